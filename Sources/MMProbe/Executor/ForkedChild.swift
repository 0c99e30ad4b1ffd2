import Glibc

/// The child process of a scenario's `fork` step, made by a measured `clone()` with fork semantics: it gets a
/// copy-on-write copy of the probe's address space and runs on a stack of its own, pinned to the step's CPU, doing
/// the page accesses its thread is given (requests and acknowledgements over two pipes) until told to quit.
///
/// A Swift process must not run Swift code after `fork()` (another thread may hold a runtime lock), so the child
/// runs only ``childMain``: raw system calls through a `syscall()` pointer handed over in its context, and plain
/// loads and stores. It asks for `SIGKILL` if the probe dies (`PR_SET_PDEATHSIG`).
final class ForkedChild {
    /// Bytes of the context page.
    static let contextBytes = 4096
    /// Bytes of the child's stack.
    static let stackBytes = 256 << 10
    /// Bytes of the region: context page and stack.
    static let regionBytes = contextBytes + stackBytes

    /// The context page and the stack above it.
    let base: UnsafeMutableRawPointer
    /// The write end of the request pipe.
    let requestFD: Int32
    /// The read end of the acknowledgement pipe.
    let replyFD: Int32
    /// The fds the child uses (closed here once it exists).
    let childFDs: [Int32]
    /// The child's pid once forked (0 before, -1 if the fork failed).
    var pid: pid_t = 0

    /// Context offsets.
    enum Offset {
        /// The `syscall()` pointer.
        static let syscall = 0
        /// The request pipe's read end.
        static let requestFD = 8
        /// The reply pipe's write end.
        static let replyFD = 16
        /// The affinity mask (128 bytes, 1024 CPUs).
        static let mask = 64
        /// The request: kind (0 read, 1 write, 2 quit), address, pages, value.
        static let request = 256
        /// The acknowledgement word.
        static let reply = 512
    }

    /// Maps the region and opens the pipes for a child pinned to `cpu`; nil on failure.
    init?(cpu: Int, raw: RawSyscall) {
        guard cpu >= 0, cpu < 1024,
            let base = mmap(nil, Self.regionBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
            base != MAP_FAILED
        else { return nil }
        var request: [Int32] = [-1, -1]
        var reply: [Int32] = [-1, -1]
        guard pipe(&request) == 0 else {
            munmap(base, Self.regionBytes)
            return nil
        }
        guard pipe(&reply) == 0 else {
            close(request[0])
            close(request[1])
            munmap(base, Self.regionBytes)
            return nil
        }
        for fd in request + reply { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        self.base = base
        requestFD = request[1]
        replyFD = reply[0]
        childFDs = [request[0], reply[1]]
        base.initializeMemory(as: UInt8.self, repeating: 0, count: Self.contextBytes)
        base.storeBytes(
            of: UInt(bitPattern: unsafeBitCast(raw.call, to: Int.self)), toByteOffset: Offset.syscall, as: UInt.self)
        base.storeBytes(of: Int(request[0]), toByteOffset: Offset.requestFD, as: Int.self)
        base.storeBytes(of: Int(reply[1]), toByteOffset: Offset.replyFD, as: Int.self)
        base.storeBytes(of: UInt64(1) << UInt64(cpu % 64), toByteOffset: Offset.mask + 8 * (cpu / 64), as: UInt64.self)
    }

    /// The top of the child's stack (16-byte aligned), for `clone()`.
    var stackTop: UnsafeMutableRawPointer { base + Self.regionBytes }

    /// Has the child perform `access` and waits for its acknowledgement; false if the child is gone.
    func perform(_ access: PageAccess) -> Bool {
        send(kind: UInt64(access.kind.rawValue), access.address, access.pages, access.value)
            && receiveAcknowledgement()
    }

    /// Tells the child to quit and reaps it (killing it if it does not exit), then closes the pipes and unmaps the
    /// region. Returns the `waitpid` status, or nil if there was no child.
    @discardableResult
    func finish() -> Int32? {
        var status: Int32?
        if pid > 0 {
            if !send(kind: 2, 0, 0, 0) { kill(pid, SIGKILL) }
            var word: Int32 = 0
            while waitpid(pid, &word, 0) < 0 && errno == EINTR {}
            status = word
            pid = 0
        }
        for fd in childFDs + [requestFD, replyFD] { close(fd) }
        munmap(base, Self.regionBytes)
        return status
    }

    /// Writes one 32-byte request.
    func send(kind: UInt64, _ address: UInt64, _ pages: UInt64, _ value: UInt64) -> Bool {
        var words = [kind, address, pages, value]
        return words.withUnsafeMutableBytes { write(requestFD, $0.baseAddress, 32) } == 32
    }

    /// Reads one acknowledgement.
    func receiveAcknowledgement() -> Bool {
        var word: UInt64 = 0
        while true {
            let count = read(replyFD, &word, 8)
            if count == 8 { return true }
            if count < 0 && errno == EINTR { continue }
            return false
        }
    }

    /// The child's whole life, on its own stack: die with the probe, pin, then serve requests until `quit` or the
    /// pipe closes. Only raw system calls and plain memory accesses.
    static let childMain: @convention(c) (UnsafeMutableRawPointer?) -> Int32 = { argument in
        guard let context = argument else { return 1 }
        let call = unsafeBitCast(
            Int(bitPattern: context.load(fromByteOffset: Offset.syscall, as: UInt.self)), to: RawSyscall.Function.self)
        let requestFD = context.load(fromByteOffset: Offset.requestFD, as: Int.self)
        let replyFD = context.load(fromByteOffset: Offset.replyFD, as: Int.self)
        let request = Int(bitPattern: context + Offset.request)
        let reply = Int(bitPattern: context + Offset.reply)
        _ = call(RawSyscall.Number.prctl, 1, Int(SIGKILL), 0, 0, 0, 0)  // PR_SET_PDEATHSIG
        _ = call(RawSyscall.Number.schedSetAffinity, 0, 128, Int(bitPattern: context + Offset.mask), 0, 0, 0)
        while true {
            guard call(RawSyscall.Number.read, requestFD, request, 32, 0, 0, 0) == 32 else { return 0 }
            let kind = context.load(fromByteOffset: Offset.request, as: UInt64.self)
            guard kind < 2, let accessKind = PageAccess.Kind(rawValue: Int(kind)) else { return 0 }
            let access = PageAccess(
                kind: accessKind, address: context.load(fromByteOffset: Offset.request + 8, as: UInt64.self),
                pages: context.load(fromByteOffset: Offset.request + 16, as: UInt64.self),
                value: context.load(fromByteOffset: Offset.request + 24, as: UInt64.self))
            access.perform()
            guard call(RawSyscall.Number.write, replyFD, reply, 8, 0, 0, 0) == 8 else { return 0 }
        }
    }
}
