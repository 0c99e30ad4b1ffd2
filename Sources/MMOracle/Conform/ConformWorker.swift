import Glibc
import MMHardware
import MMHost
import MMKernel

/// The real-kernel side of `mmsim conform`, run in a child process (`mmsim conform-worker`): it reserves the
/// window, prepares the files, then executes one call per input line and answers with its result, the window's
/// layout from `/proc/self/maps` and its pages from `/proc/self/pagemap`.
///
/// Protocol (text lines):
/// * in: `start PAGES LAYOUT_FROM LAYOUT_PAGES 0xPREFERRED_BASE`; out: `ready 0xBASE OUTSIDE MAX_MAP_COUNT MEMLOCK
///   CAP_IPC_LOCK 0xFS_MAGIC` or `error TEXT`. OUTSIDE is the number of VMAs outside the window (the model's
///   `max_map_count` is reduced by it); MEMLOCK is the soft `RLIMIT_MEMLOCK` in bytes (`inf` for unlimited) and
///   CAP_IPC_LOCK `1` or `0`, the worker's effective capability; FS_MAGIC is statfs(2)'s `f_type` of the temporary
///   directory the regular files live in.
/// * in: a ``ConformCall`` wire line; out: `RESULT<TAB>LAYOUT<TAB>OUTSIDE<TAB>PAGES`.
/// * end of input: the worker undoes any mlockall(2) of the sequence with munlockall(2) and exits 0.
///
/// The worker adds no mapping of its own once it is ready (``ConformWorkerMemory``), so near-limit sequences
/// compare only their own VMAs. A sequence's mlockall(`MCL_FUTURE`) locks the worker's heap growth too; it lies
/// outside the window, and the lock ends with the worker (each sequence has a fresh one). Settings that cannot be
/// undone (prctl `PR_SET_MDWE`, personality) die with it too.
public enum ConformWorker {
    /// Runs the loop over `input` and `output` descriptors; returns the exit status.
    public static func run(input: Int32, output: Int32) -> Int32 {
        ConformWorkerMemory.prepareHeap()
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
            let ready = try state.proc.scanMaps(window: state.window)
            let limit = ConformWorker.memlockLimit().map { "\($0)" } ?? "inf"
            try HostLineReader.write(
                "ready 0x\(String(state.window.base, radix: 16)) \(ready.outside) \(state.maxMapCount) \(limit) "
                    + "\(ConformWorker.hasCapIPCLock() ? 1 : 0) 0x\(String(state.fileSystem, radix: 16))\n",
                to: output)
            defer { state.finish() }
            while let line = try reader.readLine() {
                guard let call = ConformCall(wire: line) else {
                    try HostLineReader.write("error bad call \(line)\n", to: output)
                    return 1
                }
                let result = state.execute(call)
                let scan = try state.proc.scanMaps(window: state.window)
                // A mapping that reaches far past the window should have failed (the generator sizes huge mappings
                // to fail the commit limit); end the sequence before an mlockall or a fault could populate it.
                if scan.windowVMAEnd > state.window.base + state.window.length + ConformWorker.overreach {
                    try HostLineReader.write("error mapping past the window after '\(line)'\n", to: output)
                    return 3
                }
                let pages = try state.proc.scanPages(window: state.window)
                try HostLineReader.write("\(result)\t\(scan.layout)\t\(scan.outside)\t\(pages)\n", to: output)
            }
            return 0
        } catch {
            return 2
        }
    }

    /// How far past the window a VMA may reach before the worker gives up on the sequence (1 GiB).
    static let overreach: UInt64 = 1 << 30

    /// The soft `RLIMIT_MEMLOCK` in bytes, nil for `RLIM_INFINITY`.
    static func memlockLimit() -> UInt64? {
        var limit = rlimit()
        // RLIMIT_MEMLOCK is 8 (include/uapi/asm-generic/resource.h).
        guard getrlimit(__rlimit_resource_t(8), &limit) == 0 else { return nil }
        return limit.rlim_cur == rlim_t.max ? nil : UInt64(limit.rlim_cur)
    }

    /// Whether `CapEff` of `/proc/self/status` holds `CAP_IPC_LOCK` (bit 14).
    static func hasCapIPCLock() -> Bool {
        guard let status = try? HostFile.read(path: "/proc/self/status"),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("CapEff:") }),
            let mask = UInt64(
                line.dropFirst("CapEff:".count).trimmingPrefix(while: { $0 == "\t" || $0 == " " }), radix: 16)
        else { return false }
        return mask & (1 << 14) != 0
    }

    /// The worker's window, open files and readers.
    struct State {
        /// The reserved window.
        var window: ConformWindow
        /// Descriptors of the prepared files, in ``ConformFile/all`` order.
        var fds: [Int32]
        /// `vm.max_map_count`, for ``ConformCall/fill(headroom:)``.
        var maxMapCount = 65530
        /// The `/proc` readers and their buffers.
        var proc: ConformProcReader
        /// Whether a call of the sequence was a successful mlockall(2), to be undone at the end.
        var lockedAll = false
        /// The temporary directory's file system magic.
        var fileSystem: UInt64 = 0

        /// Parses the start line, reserves the window, prepares the files, the readers and the access code page.
        init(startLine: String) throws {
            let fields = startLine.split(separator: " ")
            guard fields.count == 5, fields[0] == "start", let pages = Int(fields[1]), let from = Int(fields[2]),
                let count = Int(fields[3]), fields[4].hasPrefix("0x"),
                let preferred = UInt64(fields[4].dropFirst(2), radix: 16),
                pages >= 3, from >= 0, count >= 1, from + count <= pages
            else { throw HostError(operation: "bad start line", code: EINVAL) }
            maxMapCount =
                (try? HostFile.read(path: "/proc/sys/vm/max_map_count")).flatMap(HostProfile.firstInteger) ?? 65530
            let base = try ConformWorker.reserve(pages: pages, preferred: preferred)
            window = ConformWindow(base: base, pages: pages, layoutFromPage: from, layoutPages: count)
            (fds, fileSystem) = try ConformWorker.openFiles()
            proc = try ConformProcReader(window: window, maxMapCount: maxMapCount)
            try ConformHostAccess.install()
        }

        /// Executes one call and returns its result text (``ConformObservation/resultText(returned:for:window:)``,
        /// an errno name, `SIGNAL/CODE` for an access that faulted, or `REFUSED` for a call that must never reach
        /// this kernel).
        mutating func execute(_ call: ConformCall) -> String {
            guard let resolved = call.resolved(base: window.base) else {
                if case .fill(let headroom) = call { return fill(headroom: headroom) }
                return "EINVAL"
            }
            if ConformHostCall.isForbidden(resolved) { return "REFUSED" }
            if case .access(let address, let kind, let value) = resolved {
                guard kind != .execute else { return "ENOSYS" }
                switch ConformHostAccess.perform(store: kind == .write, address: address, value: value) {
                case .success(let token):
                    return ConformObservation.resultText(returned: token, for: resolved, window: window)
                case .failure(let signal): return ConformObservation.signalText(signal.signal, code: signal.code)
                }
            }
            switch ConformHostCall.perform(hostDescriptors(resolved)) {
            case .success(let value):
                if case .mlockall = resolved { lockedAll = true }
                return ConformObservation.resultText(returned: value, for: resolved, window: window)
            case .failure(let error):
                return error.name
            }
        }

        /// `call` with an mmap descriptor 3, 4, ... replaced by the worker's descriptor of that prepared file (any
        /// other number passes unchanged: -1, or a number that is not open).
        func hostDescriptors(_ call: Syscall) -> Syscall {
            guard case .mmap(let address, let length, let prot, let flags, let fd, let offset) = call,
                let file = ConformFile.index(ofDescriptor: fd), file < fds.count
            else { return call }
            return .mmap(
                address: address, length: length, prot: prot, flags: flags, fd: Int64(fds[file]), offset: offset)
        }

        /// Undoes a sequence's mlockall, so that the worker's exit does not unlock a locked address space page by
        /// page.
        func finish() {
            if lockedAll { _ = ConformHostCall.perform(.munlockall) }
        }

        /// ``ConformCall/fill(headroom:)`` on the real kernel.
        func fill(headroom: Int) -> String {
            let plan = ConformFillPlan(window: window)
            do {
                try HostMemory.mmap(
                    address: HostAddress(plan.start), length: plan.pages * 4096, prot: .readWrite,
                    flags: [.private, .anonymous, .fixed])
                let scan = try proc.scanMaps(window: window)
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

    /// Creates the ``ConformFile/all`` files (regular files in a fresh temporary directory, removed again at once:
    /// the open descriptors keep them alive; memfds), writes every page with its initial token
    /// (``ConformFile/initialToken(index:page:)``), seals the sealed memfd, and returns the descriptors and the
    /// directory's file system magic.
    static func openFiles() throws(HostError) -> (fds: [Int32], fileSystem: UInt64) {
        let directory = try HostFile.makeTemporaryDirectory()
        defer { rmdir(directory) }
        let fileSystem = try fileSystemMagic(directory)
        var fds: [Int32] = []
        for (index, file) in ConformFile.all.enumerated() {
            var contents = [UInt8](repeating: 0, count: file.pages * 4096)
            for page in 0..<file.pages {
                withUnsafeBytes(of: ConformFile.initialToken(index: index, page: page).littleEndian) { token in
                    for byte in 0..<8 { contents[page * 4096 + byte] = token[byte] }
                }
            }
            let fd: Int32
            if file.memfd {
                fd = try HostFile.memfd(name: file.name, bytes: file.pages * 4096, sealWrite: false)
            } else {
                let path = directory + "/" + file.name
                try HostFile.create(path: path, bytes: file.pages * 4096)
                defer { unlink(path) }
                let writer = try HostFile.openDescriptor(path: path, flags: O_RDWR)
                defer { close(writer) }
                try write(contents, to: writer)
                fds.append(try HostFile.openDescriptor(path: path, flags: file.writable ? O_RDWR : O_RDONLY))
                continue
            }
            try write(contents, to: fd)
            if file.sealed && fcntl(fd, HostFile.addSealsCommand, HostFile.sealWrite) != 0 {
                throw HostError.lastErrno("fcntl F_ADD_SEALS")
            }
            fds.append(fd)
        }
        return (fds, fileSystem)
    }

    /// `statfs(3)`, looked up by name (sys/statfs.h is not part of the Glibc module).
    typealias StatfsFunction = @convention(c) (UnsafePointer<CChar>, UnsafeMutableRawPointer) -> Int32

    /// statfs(2)'s `f_type` of `path` (the first field of `struct statfs` on x86-64).
    static func fileSystemMagic(_ path: String) throws(HostError) -> UInt64 {
        guard let symbol = dlsym(nil, "statfs") else { throw HostError(operation: "statfs", code: ENOSYS) }
        let function = unsafeBitCast(symbol, to: StatfsFunction.self)
        var buffer = [UInt64](repeating: 0, count: 32)
        let result = buffer.withUnsafeMutableBytes { raw in function(path, raw.baseAddress!) }
        guard result == 0 else { throw HostError.lastErrno("statfs \(path)") }
        return buffer[0]
    }

    /// pwrite(2)s `contents` at offset 0 of `fd`.
    static func write(_ contents: [UInt8], to fd: Int32) throws(HostError) {
        let written = contents.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        if written != contents.count { throw HostError.lastErrno("pwrite") }
    }
}
