import Glibc

/// A child process started with `posix_spawn`, talking over two pipes: lines go to its standard input, lines
/// come back from its standard output; its standard error is inherited.
///
/// Used to run real system calls that may fault or wreck an address space in a process of their own. A Swift
/// process must never `fork()` (its runtime holds locks and threads), so the child is a fresh `execve` of an
/// executable, typically `/proc/self/exe` with a hidden subcommand.
public final class HostChildProcess {
    /// The child's process id.
    public let pid: pid_t
    /// The write end of the child's standard input (-1 once closed).
    private var inputFD: Int32
    /// The read end of the child's standard output.
    private let outputFD: Int32
    /// Line reader over the child's standard output.
    private var reader: HostLineReader
    /// Whether the child has been reaped.
    private var reaped = false

    /// Spawns `executable` with `arguments` (not including argv[0]).
    ///
    /// `SIGPIPE` is ignored in this process from then on, so that writing to a child that died is an error
    /// (`EPIPE`) and not the end of the caller.
    public init(executable: String, arguments: [String]) throws(HostError) {
        signal(SIGPIPE, SIG_IGN)
        var toChild: [Int32] = [-1, -1]
        var fromChild: [Int32] = [-1, -1]
        if pipe(&toChild) != 0 { throw HostError.lastErrno("pipe") }
        if pipe(&fromChild) != 0 {
            let error = HostError.lastErrno("pipe")
            close(toChild[0])
            close(toChild[1])
            throw error
        }
        // Close-on-exec everywhere (Glibc's overlay lacks pipe2): only the dup2'd copies reach the child.
        for fd in toChild + fromChild { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        // dup2 clears close-on-exec on the new descriptors; the originals close at exec.
        posix_spawn_file_actions_adddup2(&actions, toChild[0], 0)
        posix_spawn_file_actions_adddup2(&actions, fromChild[1], 1)
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var child: pid_t = 0
        let status = argv.withUnsafeBufferPointer { buffer in
            posix_spawn(&child, executable, &actions, nil, UnsafeMutablePointer(mutating: buffer.baseAddress!), environ)
        }
        close(toChild[0])
        close(fromChild[1])
        guard status == 0 else {
            close(toChild[1])
            close(fromChild[0])
            throw HostError(operation: "posix_spawn \(executable)", code: status)
        }
        pid = child
        inputFD = toChild[1]
        outputFD = fromChild[0]
        reader = HostLineReader(fd: fromChild[0])
    }

    /// Closes the pipes, and kills and reaps the child if it is still running.
    deinit {
        if inputFD >= 0 { close(inputFD) }
        close(outputFD)
        if !reaped {
            kill(pid, SIGKILL)
            var status: Int32 = 0
            _ = waitpid(pid, &status, 0)
        }
    }

    /// Writes `line` and a newline to the child's standard input.
    public func writeLine(_ line: String) throws(HostError) {
        try HostLineReader.write(line + "\n", to: inputFD)
    }

    /// The next line of the child's standard output without its newline, or `nil` at end of file (the child
    /// closed it or died).
    public func readLine() throws(HostError) -> String? {
        try reader.readLine()
    }

    /// Closes the child's standard input (its signal to finish) and waits for it; returns the `waitpid` status
    /// word, from which ``HostChildProcess/describe(status:)`` makes text.
    public func finish() -> Int32 {
        if inputFD >= 0 {
            close(inputFD)
            inputFD = -1
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        reaped = true
        return status
    }

    /// `"exit 0"`, `"exit 3"` or `"killed by signal 11"` for a `waitpid` status word.
    public static func describe(status: Int32) -> String {
        let signalNumber = status & 0x7f
        if signalNumber == 0 { return "exit \((status >> 8) & 0xff)" }
        return "killed by signal \(signalNumber)"
    }

    /// The path of the running executable (`/proc/self/exe` resolved), so a child can run the same program.
    public static func currentExecutable() -> String {
        var buffer = [CChar](repeating: 0, count: 4096)
        let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard count > 0 else { return "/proc/self/exe" }
        return String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
