import MMHardware
import MMKernel

/// The model side of one sequence: a `Machine` with one process holding the same window and the same files,
/// running the same calls.
public struct ConformModelSession {
    /// The simulated system.
    public var machine: Machine
    /// The one thread making the calls.
    public let task: TaskID
    /// The window, at the address the worker got.
    public let window: ConformWindow
    /// The prepared files, in ``ConformFile/all`` order.
    let files: [FileID]

    /// Builds the machine from `config` and sets up the window as the worker does (a `PROT_NONE` mapping whose
    /// interior is unmapped again) and the files.
    public init(config: KernelConfig, window: ConformWindow) throws(KernelErrno) {
        var machine = Machine(config: config)
        machine.tracing = false
        let task = machine.createProcess(name: "conform", cpu: CPUID(0))
        machine.schedule(task)
        files = ConformFile.all.map { file in
            machine.createFile(
                name: file.name, sizePages: UInt64(file.pages), readable: true, writable: file.writable,
                sealWrite: file.sealedMemfd, isShmem: file.sealedMemfd)
        }
        self.machine = machine
        self.task = task
        self.window = window
        _ = try self.machine.mmap(
            task, address: window.base, length: window.length, prot: .none, flags: [.private, .anonymous, .fixed],
            file: nil, offset: 0)
        if window.pages > 2 { try self.machine.munmap(task, window.base + 4096, window.length - 2 * 4096) }
    }

    /// The compared layout now.
    public var layout: String {
        machine.relativeLayout(machine.task(task).mm, base: window.layoutBase, length: window.layoutLength)
    }

    /// Runs `op` and returns the result and layout.
    public mutating func run(_ op: ConformOp) -> ConformObservation {
        ConformObservation(result: result(of: op), layout: layout)
    }

    /// Runs `op`, returning `0`, an address, or the errno name.
    mutating func result(of op: ConformOp) -> String {
        let base = window.base
        let unsigned = { (value: Int32) in UInt64(UInt32(bitPattern: value)) }
        do {
            switch op {
            case .mmap(let address, let length, let prot, let flags, let fd, let offset):
                let file: FileID?
                switch fd {
                case .none: file = nil
                case .file(let index): file = index < files.count ? files[index] : FileID(rawValue: 999)
                case .raw: file = FileID(rawValue: 999)
                }
                let mapped = try machine.mmap(
                    task, address: address.resolve(base: base), length: length,
                    prot: Protection(rawValue: unsigned(prot)), flags: MapFlags(rawValue: unsigned(flags)), file: file,
                    offset: offset)
                return ConformAddress.describeResult(mapped, base: base, length: window.length)
            case .mprotect(let address, let length, let prot):
                try machine.mprotect(task, address.resolve(base: base), length, prot: unsigned(prot))
            case .pkeyMprotect(let address, let length, let prot, let pkey):
                try machine.pkeyMprotect(
                    task, address.resolve(base: base), length, prot: unsigned(prot), pkey: Int(pkey))
            case .munmap(let address, let length):
                try machine.munmap(task, address.resolve(base: base), length)
            case .madvise(let address, let length, let advice):
                try machine.madvise(task, address.resolve(base: base), length, advice: advice)
            case .mremap(let address, let oldLength, let newLength, let flags, let newAddress):
                let moved = try machine.mremap(
                    task, address.resolve(base: base), oldLength, newLength, flags: unsigned(flags),
                    newAddress: newAddress.resolve(base: base))
                return ConformAddress.describeResult(moved, base: base, length: window.length)
            case .fill(let headroom):
                return fill(headroom: headroom)
            }
            return "0"
        } catch {
            return error.description
        }
    }

    /// ``ConformOp/fill(headroom:)`` in the model: the same plan, against the model's `maxMapCount`.
    mutating func fill(headroom: Int) -> String {
        let plan = ConformFillPlan(window: window)
        do {
            _ = try machine.mmap(
                task, address: plan.start, length: UInt64(plan.pages) * 4096, prot: [.read, .write],
                flags: [.private, .anonymous, .fixed], file: nil, offset: 0)
            let current = machine.mm(machine.task(task).mm).mapCount
            for address in try plan.splits(current: current, limit: machine.config.maxMapCount - headroom) {
                try machine.mprotect(task, address, 4096, prot: Protection.read.rawValue)
            }
            return "0"
        } catch let error as KernelErrno {
            return error.description
        } catch {
            return "\(error)"
        }
    }
}
