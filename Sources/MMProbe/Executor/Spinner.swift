import Glibc
import Synchronization

/// The second thread of a probe: pinned to another CPU, it spins reading its own 64 KiB buffer so that the mm stays
/// loaded there, non-lazy, and in `mm_cpumask`, without touching the regions under test; on request it performs the
/// page accesses a scenario gives its thread, or parks (sleeps on a futex) so that its CPU goes idle with the mm
/// still loaded in lazy TLB mode, as the model's `idle` step does.
///
/// Its stack, thread-local storage, buffer and mailbox all live in one region marked `MADV_DONTFORK`: after a
/// measured fork the spinner writes nothing shared copy-on-write with the child, so it takes no copy-on-write fault
/// and causes no flush of its own (a flush the spinner started could leave the measuring CPU a `tlb_gen` behind and
/// turn the next measured partial flush into a full one).
final class Spinner {
    /// Mailbox commands (the futex word).
    enum Command: UInt32 {
        /// Nothing to do: spin.
        case spin = 0
        /// Perform the request in the mailbox, then spin.
        case access = 1
        /// Leave the loop.
        case quit = 2
        /// Sleep until another command arrives.
        case park = 3
    }

    /// The thread's states in the mailbox.
    enum State: Int {
        /// Not yet pinned.
        case starting = 0
        /// Pinned and spinning (or accessing).
        case running = 1
        /// Pinning failed; the thread ended.
        case failed = -1
        /// About to sleep, or sleeping, on the futex.
        case parked = 2
    }

    /// Bytes of the spinner's own buffer.
    static let bufferBytes = 65536
    /// Bytes of its stack (thread-local storage included; the C library puts it at the top).
    static let stackBytes = 1 << 20
    /// The whole region: the mailbox page, the buffer, the stack.
    static let regionBytes = 4096 + bufferBytes + stackBytes

    /// The region.
    let memory: SpinnerMemory
    /// The CPU it is pinned to.
    let cpu: Int
    /// The pthread, once started.
    var thread: pthread_t?

    /// Starts a spinner pinned to `cpu` and waits until it runs there; nil if it could not be set up or pinned.
    static func start(cpu: Int) -> Spinner? {
        guard let memory = SpinnerMemory.map(regionBytes: regionBytes) else { return nil }
        memory.cpu.pointee.store(cpu, ordering: .relaxed)
        let spinner = Spinner(memory: memory, cpu: cpu)
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        pthread_attr_setstack(&attributes, memory.stack, stackBytes)
        var handle = pthread_t()
        let created = pthread_create(
            &handle, &attributes,
            { argument in
                guard let argument else { return nil }
                SpinnerMemory(base: argument).loop()
                return nil
            }, memory.base)
        guard created == 0 else {
            memory.unmap(regionBytes: regionBytes)
            return nil
        }
        spinner.thread = handle
        while memory.state.pointee.load(ordering: .acquiring) == State.starting.rawValue { sched_yield() }
        if memory.state.pointee.load(ordering: .acquiring) == State.failed.rawValue {
            spinner.stop()
            return nil
        }
        return spinner
    }

    /// A spinner on `memory`, not yet started.
    init(memory: SpinnerMemory, cpu: Int) {
        self.memory = memory
        self.cpu = cpu
    }

    /// The spinner's thread id.
    var threadID: Int32 { memory.tid.pointee.load(ordering: .acquiring) }

    /// Whether the spinner runs as `SCHED_FIFO`.
    var isFIFO: Bool { memory.fifo.pointee.load(ordering: .acquiring) }

    /// Has the spinner perform `access` (waking it if parked) and waits for it to finish; it spins afterwards.
    func perform(_ access: PageAccess) {
        memory.kind.pointee.store(access.kind.rawValue, ordering: .relaxed)
        memory.address.pointee.store(access.address, ordering: .relaxed)
        memory.pages.pointee.store(access.pages, ordering: .relaxed)
        memory.value.pointee.store(access.value, ordering: .relaxed)
        post(.access)
        while memory.command.pointee.load(ordering: .acquiring) == Command.access.rawValue { sched_yield() }
    }

    /// Parks the spinner and waits until the kernel has taken it off its CPU (its state reads `S`); false if it
    /// did not go to sleep within `timeout` seconds.
    func park(timeout: Double = 1) -> Bool {
        post(.park)
        let tid = threadID
        var waited = 0.0
        while waited < timeout {
            if memory.state.pointee.load(ordering: .acquiring) == State.parked.rawValue,
                Self.schedulerState(tid: tid) == "S"
            {
                return true
            }
            usleep(200)
            waited += 0.0002
        }
        return false
    }

    /// Wakes a parked spinner, which spins again.
    func unpark() { post(.spin) }

    /// Stops the spinner, joins its thread and unmaps its region.
    func stop() {
        post(.quit)
        if let handle = thread {
            pthread_join(handle, nil)
            thread = nil
        }
        memory.unmap(regionBytes: Self.regionBytes)
    }

    /// Stores `command` and wakes the futex (the spinner may be parked).
    func post(_ command: Command) {
        memory.command.pointee.store(command.rawValue, ordering: .releasing)
        memory.wake()
    }

    /// The one-letter state of thread `tid` in `/proc/self/task/<tid>/stat` (`R`, `S`, ...), nil if unreadable.
    static func schedulerState(tid: Int32) -> Character? {
        let fd = open("/proc/self/task/\(tid)/stat", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 512)
        let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard count > 0 else { return nil }
        // `pid (comm) S ...`: the comm may hold spaces and parentheses, so the state follows the last ')'.
        guard let close = buffer[..<count].lastIndex(of: UInt8(ascii: ")")), close + 2 < count else { return nil }
        return Character(UnicodeScalar(buffer[close + 2]))
    }
}
