import Glibc
import MMHost

/// The real-kernel side of `mmsim conform`, run in a child process (`mmsim conform-worker`): it reserves the
/// window, prepares the files, then executes one call per input line and answers with its result and the
/// window's layout from `/proc/self/maps`.
///
/// Protocol (text lines):
/// * in: `start PAGES LAYOUT_FROM LAYOUT_PAGES 0xPREFERRED_BASE`; out: `ready 0xBASE OUTSIDE MAX_MAP_COUNT` or
///   `error TEXT`. OUTSIDE is the number of VMAs outside the window (the model's `max_map_count` is reduced by it).
/// * in: a ``ConformOp`` wire line; out: `RESULT<TAB>LAYOUT<TAB>OUTSIDE`.
/// * end of input: the worker exits 0.
public enum ConformWorker {
    /// Runs the loop over `input` and `output` descriptors; returns the exit status.
    public static func run(input: Int32, output: Int32) -> Int32 {
        var reader = HostLineReader(fd: input)
        do {
            guard let first = try reader.readLine() else { return 0 }
            var state: State
            do {
                state = try State(startLine: first)
            } catch {
                try HostLineReader.write("error \(error)\n", to: output)
                return 1
            }
            let ready = try ConformMapsScan.readSelf(window: state.window)
            let maxMapCount =
                (try? HostFile.read(path: "/proc/sys/vm/max_map_count")).flatMap(HostProfile.firstInteger) ?? 65530
            try HostLineReader.write(
                "ready 0x\(String(state.window.base, radix: 16)) \(ready.outside) \(maxMapCount)\n", to: output)
            state.maxMapCount = maxMapCount
            while let line = try reader.readLine() {
                guard let op = ConformOp(wire: line) else {
                    try HostLineReader.write("error bad op \(line)\n", to: output)
                    return 1
                }
                let result = state.execute(op)
                let scan = try ConformMapsScan.readSelf(window: state.window)
                try HostLineReader.write("\(result)\t\(scan.layout)\t\(scan.outside)\n", to: output)
            }
            return 0
        } catch {
            return 2
        }
    }

    /// The worker's window and open files.
    struct State {
        /// The reserved window.
        var window: ConformWindow
        /// Descriptors of the prepared files, in ``ConformFile/all`` order.
        var fds: [Int32]
        /// `vm.max_map_count`, for ``ConformOp/fill(headroom:)``.
        var maxMapCount = 65530

        /// Parses the start line, reserves the window and prepares the files.
        init(startLine: String) throws {
            let fields = startLine.split(separator: " ")
            guard fields.count == 5, fields[0] == "start", let pages = Int(fields[1]), let from = Int(fields[2]),
                let count = Int(fields[3]), fields[4].hasPrefix("0x"),
                let preferred = UInt64(fields[4].dropFirst(2), radix: 16)
            else { throw HostError(operation: "bad start line", code: EINVAL) }
            let base = try ConformWorker.reserve(pages: pages, preferred: preferred)
            window = ConformWindow(base: base, pages: pages, layoutFromPage: from, layoutPages: count)
            fds = try ConformWorker.openFiles()
        }

        /// Executes one call and returns its result text.
        mutating func execute(_ op: ConformOp) -> String {
            let base = window.base
            let size = { (value: UInt64) in Int(bitPattern: UInt(value)) }
            switch op {
            case .mmap(let address, let length, let prot, let flags, let fd, let offset):
                let descriptor: Int32
                switch fd {
                case .none: descriptor = -1
                case .file(let index): descriptor = index < fds.count ? fds[index] : 999
                case .raw(let number): descriptor = number
                }
                let result = HostMemory.mmapResult(
                    address: HostAddress(address.resolve(base: base)), length: size(length),
                    prot: HostProtection(rawValue: prot), flags: HostMapFlags(rawValue: flags), fd: descriptor,
                    offset: size(offset))
                switch result {
                case .success(let mapped):
                    return ConformAddress.describeResult(mapped.rawValue, base: base, length: window.length)
                case .failure(let error): return error.name
                }
            case .mprotect(let address, let length, let prot):
                return outcome {
                    () throws(HostError) in
                    try HostMemory.mprotect(
                        HostAddress(address.resolve(base: base)), length: size(length),
                        prot: HostProtection(rawValue: prot))
                }
            case .pkeyMprotect(let address, let length, let prot, let pkey):
                return outcome {
                    () throws(HostError) in
                    try HostMemory.pkeyMprotect(
                        HostAddress(address.resolve(base: base)), length: size(length),
                        prot: HostProtection(rawValue: prot), pkey: pkey)
                }
            case .munmap(let address, let length):
                return outcome {
                    () throws(HostError) in
                    try HostMemory.munmap(HostAddress(address.resolve(base: base)), length: size(length))
                }
            case .madvise(let address, let length, let advice):
                return outcome {
                    () throws(HostError) in
                    try HostMemory.madvise(
                        HostAddress(address.resolve(base: base)), length: size(length),
                        advice: HostAdvice(rawValue: advice))
                }
            case .mremap(let address, let oldLength, let newLength, let flags, let newAddress):
                let result = ConformWorker.mremap(
                    address.resolve(base: base), oldLength, newLength, flags, newAddress.resolve(base: base))
                switch result {
                case .success(let moved):
                    return ConformAddress.describeResult(moved, base: base, length: window.length)
                case .failure(let error): return error.name
                }
            case .fill(let headroom):
                return fill(headroom: headroom)
            }
        }

        /// ``ConformOp/fill(headroom:)`` on the real kernel.
        func fill(headroom: Int) -> String {
            let plan = ConformFillPlan(window: window)
            do {
                try HostMemory.mmap(
                    address: HostAddress(plan.start), length: plan.pages * 4096, prot: .readWrite,
                    flags: [.private, .anonymous, .fixed])
                let scan = try ConformMapsScan.readSelf(window: window)
                for address in try plan.splits(current: scan.outside + scan.inside, limit: maxMapCount - headroom) {
                    try HostMemory.mprotect(HostAddress(address), length: 4096, prot: .read)
                }
                return "0"
            } catch let error as HostError {
                return error.name
            } catch {
                return "\(error)"
            }
        }
    }

    /// `__NR_mremap` on x86-64 (Glibc's `SYS_mremap` macro does not reach Swift).
    static let sysMremap = 25

    /// `syscall(2)` with the five arguments of mremap. Swift cannot call the variadic C function, so its symbol
    /// is looked up and called through this fixed prototype (integer arguments pass the same way on x86-64).
    typealias SyscallFunction = @convention(c) (Int, Int, Int, Int, Int, Int) -> Int

    /// The real mremap(2), through `syscall(SYS_mremap, ...)` (Glibc's `mremap` and `syscall` are variadic, which
    /// Swift does not import): the resulting address, or the errno.
    static func mremap(
        _ address: UInt64, _ oldLength: UInt64, _ newLength: UInt64, _ flags: Int32, _ newAddress: UInt64
    ) -> Result<UInt64, HostError> {
        guard let symbol = dlsym(nil, "syscall") else {
            return .failure(HostError(operation: "mremap", code: ENOSYS))
        }
        let call = unsafeBitCast(symbol, to: SyscallFunction.self)
        let result = call(
            sysMremap, Int(bitPattern: UInt(address)), Int(bitPattern: UInt(oldLength)),
            Int(bitPattern: UInt(newLength)), Int(flags), Int(bitPattern: UInt(newAddress)))
        if result == -1 { return .failure(HostError(operation: "mremap", code: errno)) }
        return .success(UInt64(UInt(bitPattern: result)))
    }

    /// `0` or the errno name of a call.
    static func outcome(_ call: () throws(HostError) -> Void) -> String {
        do {
            try call()
            return "0"
        } catch {
            return error.name
        }
    }

    /// Reserves `pages` pages plus one page beyond each end with `MAP_FIXED_NOREPLACE` (trying `preferred` and a
    /// few lower addresses, then any address), unmaps the outer pages and the interior, and returns the base.
    static func reserve(pages: Int, preferred: UInt64) throws(HostError) -> UInt64 {
        let length = (pages + 2) * 4096
        var outer: HostAddress?
        for attempt in 0..<8 {
            let hint = HostAddress(preferred - UInt64(attempt) << 36 - 4096)
            if case .success(let address) = HostMemory.mmapResult(
                address: hint, length: length, prot: .none, flags: [.private, .anonymous, .fixedNoReplace])
            {
                outer = address
                break
            }
        }
        if outer == nil {
            outer = try HostMemory.mmap(length: length, prot: .none, flags: [.private, .anonymous])
        }
        let start = outer!
        let base = start.advanced(by: 4096)
        try HostMemory.munmap(start, length: 4096)
        try HostMemory.munmap(base.advanced(by: pages * 4096), length: 4096)
        if pages > 2 { try HostMemory.munmap(base.advanced(by: 4096), length: (pages - 2) * 4096) }
        return base.rawValue
    }

    /// Creates the ``ConformFile/all`` files in a fresh temporary directory (removed again at once: the open
    /// descriptors keep them alive) and returns their descriptors.
    static func openFiles() throws(HostError) -> [Int32] {
        let directory = try HostFile.makeTemporaryDirectory()
        defer { rmdir(directory) }
        var fds: [Int32] = []
        for file in ConformFile.all {
            if file.sealedMemfd {
                fds.append(try HostFile.memfd(name: file.name, bytes: file.pages * 4096, sealWrite: true))
            } else {
                let path = directory + "/" + file.name
                try HostFile.create(path: path, bytes: file.pages * 4096)
                defer { unlink(path) }
                fds.append(try HostFile.openDescriptor(path: path, flags: file.writable ? O_RDWR : O_RDONLY))
            }
        }
        return fds
    }
}
