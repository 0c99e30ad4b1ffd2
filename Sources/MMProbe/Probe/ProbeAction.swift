/// One scenario step as the real-kernel executor performs it, with addresses in the model's address space (the
/// executor translates them into its reserved window).
enum ProbeAction: Sendable {
    /// Nothing to do on the real kernel (`expect:` steps, an `idle` of a CPU no probe thread uses).
    case skip
    /// mmap: `modelAddress` is where the model placed it (nil if the model's call failed; then `hint` is tried);
    /// `file` is the index of a declared file, nil for fd -1.
    case mmap(
        modelAddress: UInt64?, hint: UInt64, length: UInt64, prot: Int32, flags: Int32, file: Int?, offset: UInt64)
    /// mprotect(start, length, prot).
    case mprotect(start: UInt64, length: UInt64, prot: Int32)
    /// munmap(start, length).
    case munmap(start: UInt64, length: UInt64)
    /// madvise(start, length, advice).
    case madvise(start: UInt64, length: UInt64, advice: Int32)
    /// Page accesses by one of the probe's threads or by the forked child.
    case access(PageAccess, by: Actor)
    /// fork(2) by the measuring thread; the child is pinned to `cpu`.
    case fork(cpu: Int)
    /// A CPU goes idle.
    case idle(Idle)

    /// Who performs an access.
    enum Actor: Sendable {
        /// The measuring thread (the access is measured).
        case measuring
        /// The second thread, on the other CPU.
        case spinner
        /// The forked child process.
        case child
    }

    /// How a CPU is made idle for real.
    enum Idle: Sendable {
        /// The second thread parks on a futex: its CPU runs the idle task with this mm loaded, lazily.
        case parkSpinner
        /// The measuring thread sleeps briefly, so its CPU goes idle until the next step wakes it.
        case sleepMeasuring
    }

    /// Whether the step is a measured call (bracketed by markers and compared).
    var isMeasured: Bool {
        switch self {
        case .mmap, .mprotect, .munmap, .madvise, .fork: return true
        case .access(_, let actor): return actor == .measuring
        case .skip, .idle: return false
        }
    }

    /// The system call a measured step makes (its flushes are those between that call's entry and exit), nil for
    /// accesses, whose whole window counts.
    var syscallNumber: Int? {
        switch self {
        case .mmap: return RawSyscall.Number.mmap
        case .mprotect: return RawSyscall.Number.mprotect
        case .munmap: return RawSyscall.Number.munmap
        case .madvise: return RawSyscall.Number.madvise
        case .fork: return RawSyscall.Number.clone
        case .skip, .access, .idle: return nil
        }
    }
}
