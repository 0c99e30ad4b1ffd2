import Glibc
import Synchronization

/// The second thread of a probe (host-kernel.md §2 method): pinned to another CPU, it spins reading its own
/// 64 KiB buffer so that the mm stays loaded there, non-lazy, and in `mm_cpumask`, without touching the regions
/// under test; on request it performs the page accesses a scenario gives its thread.
///
/// The mailbox is a set of atomics: the main thread fills in the request, stores `command = access` with
/// release ordering and waits for the spinner to store `idle` back.
final class Spinner: Sendable {
    /// Mailbox commands.
    enum Command: Int {
        /// Nothing to do: spin.
        case idle = 0
        /// Perform the request in `kind`/`address`/`pages`/`value`.
        case access = 1
        /// Leave the loop.
        case quit = 2
    }

    /// The current command.
    let command = Atomic<Int>(0)
    /// The access kind of the request (see ``PageAccess``).
    let kind = Atomic<Int>(0)
    /// First address of the request.
    let address = Atomic<UInt64>(0)
    /// Pages in the request.
    let pages = Atomic<UInt64>(0)
    /// Value a write request stores.
    let value = Atomic<UInt64>(0)
    /// 0 while starting, 1 running pinned, -1 if pinning failed.
    let state = Atomic<Int>(0)
    /// The spinner's kernel thread id.
    let tid = Atomic<Int32>(0)
    /// Whether `SCHED_FIFO` was granted.
    let fifo = Atomic<Bool>(false)
    /// Where the spinner's reads go, so that they are not optimised away.
    let sink = Atomic<UInt64>(0)
    /// The CPU to pin to.
    let cpu: Int
    /// The pthread, once started.
    let thread = Mutex<pthread_t?>(nil)

    /// Starts a spinner pinned to `cpu` and waits until it runs there; nil if it could not be pinned.
    static func start(cpu: Int) -> Spinner? {
        let spinner = Spinner(cpu: cpu)
        var handle = pthread_t()
        let context = Unmanaged.passRetained(spinner).toOpaque()
        let created = pthread_create(
            &handle, nil,
            { context in
                guard let context else { return nil }
                let spinner = Unmanaged<Spinner>.fromOpaque(context).takeRetainedValue()
                spinner.main()
                return nil
            }, context)
        guard created == 0 else {
            Unmanaged<Spinner>.fromOpaque(context).release()
            return nil
        }
        spinner.thread.withLock { $0 = handle }
        while spinner.state.load(ordering: .acquiring) == 0 { sched_yield() }
        if spinner.state.load(ordering: .acquiring) < 0 {
            spinner.stop()
            return nil
        }
        return spinner
    }

    /// A spinner for `cpu`, not yet started.
    init(cpu: Int) {
        self.cpu = cpu
    }

    /// The spinner's thread id.
    var threadID: Int32 { tid.load(ordering: .acquiring) }

    /// Whether the spinner runs as `SCHED_FIFO`.
    var isFIFO: Bool { fifo.load(ordering: .acquiring) }

    /// Has the spinner perform `access` and waits for it to finish.
    func perform(_ access: PageAccess) {
        kind.store(access.kind.rawValue, ordering: .relaxed)
        address.store(access.address, ordering: .relaxed)
        pages.store(access.pages, ordering: .relaxed)
        value.store(access.value, ordering: .relaxed)
        command.store(Command.access.rawValue, ordering: .releasing)
        while command.load(ordering: .acquiring) == Command.access.rawValue {}
    }

    /// Stops the spinner and joins its thread.
    func stop() {
        command.store(Command.quit.rawValue, ordering: .releasing)
        if let handle = thread.withLock({ $0 }) {
            pthread_join(handle, nil)
            thread.withLock { $0 = nil }
        }
    }

    /// The thread body: pin, try FIFO, then spin until told to quit.
    func main() {
        tid.store(HostThread.tid(), ordering: .releasing)
        guard HostThread.pin(to: cpu) else {
            state.store(-1, ordering: .releasing)
            return
        }
        fifo.store(HostThread.trySchedFIFO(), ordering: .releasing)
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: 65536, alignment: 4096)
        defer { buffer.deallocate() }
        buffer.initializeMemory(as: UInt8.self, repeating: 1, count: 65536)
        state.store(1, ordering: .releasing)
        var sum: UInt64 = 0
        while true {
            switch command.load(ordering: .acquiring) {
            case Command.quit.rawValue:
                sink.store(sum, ordering: .relaxed)
                return
            case Command.access.rawValue:
                let request = PageAccess(
                    kind: PageAccess.Kind(rawValue: kind.load(ordering: .relaxed)) ?? .read,
                    address: address.load(ordering: .relaxed), pages: pages.load(ordering: .relaxed),
                    value: value.load(ordering: .relaxed))
                request.perform()
                command.store(Command.idle.rawValue, ordering: .releasing)
            default:
                for offset in stride(from: 0, to: 65536, by: 64) {
                    sum &+= UInt64(buffer.load(fromByteOffset: offset, as: UInt8.self))
                }
                sink.store(sum, ordering: .relaxed)
            }
        }
    }
}
