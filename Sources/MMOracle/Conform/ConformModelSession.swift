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
    /// The prepared files, in ``ConformFile/all`` order: descriptors 3, 4, ... of the calls.
    let files: [FileID]

    /// Builds the machine from `config` and sets up the window as the worker does (a `PROT_NONE` mapping whose
    /// interior is unmapped again) and the files, every page of which is in the page cache (the worker wrote
    /// them). The regular files behave as the file system with magic `fileSystem` (statfs(2)'s `f_type`) makes them:
    /// shmem on tmpfs, refusing MAP_SYNC on ext4 and xfs.
    public init(config: KernelConfig, window: ConformWindow, fileSystem: UInt64 = 0xEF53) throws(KernelErrno) {
        var machine = Machine(config: config)
        machine.tracing = false
        let task = machine.createProcess(name: "conform", cpu: CPUID(0))
        machine.schedule(task)
        let tmpfs = fileSystem == ConformModelSession.tmpfsMagic
        files = ConformFile.all.map { file in
            let id = machine.createFile(
                name: file.name, sizePages: UInt64(file.pages), readable: true, writable: file.writable,
                sealWrite: file.sealed, isShmem: file.memfd || tmpfs)
            machine.files[id.rawValue].refusesSync =
                !file.memfd && ConformModelSession.syncRefusingMagics.contains(fileSystem)
            return id
        }
        // The worker writes each file in one pwrite(2): on a file system with large folios (not tmpfs, not a memfd)
        // its four pages become one folio.
        for (file, spec) in zip(files, ConformFile.all) {
            machine.cacheFilePages(file, oneFolio: !spec.memfd && !tmpfs)
        }
        self.machine = machine
        self.task = task
        self.window = window
        _ = try self.machine.mmap(
            task, address: window.base, length: window.length, prot: .none, flags: [.private, .anonymous, .fixed],
            file: nil, offset: 0)
        if window.pages > 2 { try self.machine.munmap(task, window.base + 4096, window.length - 2 * 4096) }
    }

    /// `TMPFS_MAGIC`.
    static let tmpfsMagic: UInt64 = 0x0102_1994
    /// `EXT4_SUPER_MAGIC` (ext2/3/4) and `XFS_SUPER_MAGIC`: their mmap hooks refuse VM_SYNC without DAX.
    static let syncRefusingMagics: Set<UInt64> = [0xEF53, 0x5846_5342]

    /// The compared layout now.
    public var layout: String {
        machine.relativeLayout(machine.task(task).mm, base: window.layoutBase, length: window.layoutLength)
    }

    /// The compared pages now (``ConformPages``): present entries with their frame's token, swap entries, guard
    /// markers.
    public var pages: String {
        let mmID = machine.task(task).mm
        let entries = (0..<window.layoutPages).map { page -> ConformPages.Entry in
            let address = window.layoutBase + UInt64(page) * 4096
            let (entry, _) = machine.leafEntry(mmID, address)
            if entry.isPresent {
                return .present(machine.mappedFrame(mmID, address).map { machine.memory.read($0) })
            }
            guard entry.isSwap else { return .none }
            if let swap = SwapEntry(pte: entry), swap.kind == .marker,
                PTEMarker(rawValue: swap.offset).contains(.guardRegion)
            {
                return .guardMarker
            }
            return .swap
        }
        return ConformPages.render(entries)
    }

    /// Runs `call` and returns the result, layout and pages.
    public mutating func run(_ call: ConformCall) -> ConformObservation {
        let result = result(of: call)
        return ConformObservation(result: result, layout: layout, pages: pages)
    }

    /// Runs `call` through `Machine.perform(_:by:)` with the window's base filled in, returning the result text
    /// (``ConformObservation/resultText(_:for:window:)``).
    mutating func result(of call: ConformCall) -> String {
        switch call {
        case .fill(let headroom):
            return fill(headroom: headroom)
        case .syscall:
            let resolved = call.resolved(base: window.base)!
            let outcome = machine.perform(resolved, by: task)
            return ConformObservation.resultText(outcome, for: resolved, window: window)
        }
    }

    /// ``ConformCall/fill(headroom:)`` in the model: the same plan, against the model's `maxMapCount`.
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
