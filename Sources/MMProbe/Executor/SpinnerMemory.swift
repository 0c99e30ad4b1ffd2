import Glibc
import Synchronization

/// The spinner's region, `MADV_DONTFORK`: a mailbox page of atomics, the 64 KiB buffer it reads, and its stack. A
/// value of pointers only, so that the thread's loop touches no reference-counted object.
struct SpinnerMemory: @unchecked Sendable {
    /// The region's first byte (the mailbox).
    let base: UnsafeMutableRawPointer

    /// The command word, also the futex word.
    var command: UnsafeMutablePointer<Atomic<UInt32>> { slot(0) }
    /// The access kind of a request (``PageAccess/Kind`` raw value).
    var kind: UnsafeMutablePointer<Atomic<Int>> { slot(8) }
    /// First address of a request.
    var address: UnsafeMutablePointer<Atomic<UInt64>> { slot(16) }
    /// Pages of a request.
    var pages: UnsafeMutablePointer<Atomic<UInt64>> { slot(24) }
    /// Value a write request stores.
    var value: UnsafeMutablePointer<Atomic<UInt64>> { slot(32) }
    /// The thread's ``Spinner/State``.
    var state: UnsafeMutablePointer<Atomic<Int>> { slot(40) }
    /// The thread's kernel id.
    var tid: UnsafeMutablePointer<Atomic<Int32>> { slot(48) }
    /// Whether `SCHED_FIFO` was granted.
    var fifo: UnsafeMutablePointer<Atomic<Bool>> { slot(56) }
    /// Where the buffer's sum goes when the thread ends, so that its reads are not optimised away.
    var sink: UnsafeMutablePointer<Atomic<UInt64>> { slot(64) }
    /// The CPU to pin to.
    var cpu: UnsafeMutablePointer<Atomic<Int>> { slot(72) }
    /// The buffer the thread reads while spinning.
    var buffer: UnsafeMutableRawPointer { base + 4096 }
    /// The lowest byte of the stack.
    var stack: UnsafeMutableRawPointer { base + 4096 + Spinner.bufferBytes }

    /// The atomic at `offset` in the mailbox page.
    func slot<T: ~Copyable>(_ offset: Int) -> UnsafeMutablePointer<T> {
        (base + offset).assumingMemoryBound(to: T.self)
    }

    /// Maps and initialises a region of `regionBytes`, marked `MADV_DONTFORK`; nil if mmap or madvise fail.
    static func map(regionBytes: Int) -> SpinnerMemory? {
        guard
            let base = mmap(
                nil, regionBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0),
            base != MAP_FAILED
        else { return nil }
        guard madvise(base, regionBytes, 10) == 0 else {  // MADV_DONTFORK
            munmap(base, regionBytes)
            return nil
        }
        let memory = SpinnerMemory(base: base)
        memory.command.initialize(to: Atomic(0))
        memory.kind.initialize(to: Atomic(0))
        memory.address.initialize(to: Atomic(0))
        memory.pages.initialize(to: Atomic(0))
        memory.value.initialize(to: Atomic(0))
        memory.state.initialize(to: Atomic(Spinner.State.starting.rawValue))
        memory.tid.initialize(to: Atomic(0))
        memory.fifo.initialize(to: Atomic(false))
        memory.sink.initialize(to: Atomic(0))
        memory.cpu.initialize(to: Atomic(0))
        memory.buffer.initializeMemory(as: UInt8.self, repeating: 1, count: Spinner.bufferBytes)
        return memory
    }

    /// Unmaps the region.
    func unmap(regionBytes: Int) { munmap(base, regionBytes) }

    /// `FUTEX_WAKE_PRIVATE` on the command word.
    func wake() {
        guard let raw = RawSyscall.load() else { return }
        _ = raw.call(RawSyscall.Number.futex, Int(bitPattern: base), 129, Int(Int32.max), 0, 0, 0)
    }

    /// `FUTEX_WAIT_PRIVATE` on the command word while it holds `expected`.
    func wait(expected: UInt32, _ raw: RawSyscall) {
        _ = raw.call(RawSyscall.Number.futex, Int(bitPattern: base), 128, Int(expected), 0, 0, 0)
    }

    /// The thread body: pin, try `SCHED_FIFO`, then spin until told to quit.
    func loop() {
        tid.pointee.store(HostThread.tid(), ordering: .releasing)
        guard let raw = RawSyscall.load(), HostThread.pin(to: cpu.pointee.load(ordering: .relaxed)) else {
            state.pointee.store(Spinner.State.failed.rawValue, ordering: .releasing)
            return
        }
        fifo.pointee.store(HostThread.trySchedFIFO(), ordering: .releasing)
        state.pointee.store(Spinner.State.running.rawValue, ordering: .releasing)
        var sum: UInt64 = 0
        while true {
            switch command.pointee.load(ordering: .acquiring) {
            case Spinner.Command.quit.rawValue:
                sink.pointee.store(sum, ordering: .relaxed)
                return
            case Spinner.Command.access.rawValue:
                let request = PageAccess(
                    kind: PageAccess.Kind(rawValue: kind.pointee.load(ordering: .relaxed)) ?? .read,
                    address: address.pointee.load(ordering: .relaxed), pages: pages.pointee.load(ordering: .relaxed),
                    value: value.pointee.load(ordering: .relaxed))
                request.perform()
                command.pointee.store(Spinner.Command.spin.rawValue, ordering: .releasing)
            case Spinner.Command.park.rawValue:
                state.pointee.store(Spinner.State.parked.rawValue, ordering: .releasing)
                wait(expected: Spinner.Command.park.rawValue, raw)
                if command.pointee.load(ordering: .acquiring) != Spinner.Command.park.rawValue {
                    state.pointee.store(Spinner.State.running.rawValue, ordering: .releasing)
                }
            default:
                for offset in stride(from: 0, to: Spinner.bufferBytes, by: 64) {
                    sum &+= UInt64(buffer.load(fromByteOffset: offset, as: UInt8.self))
                }
            }
        }
    }
}
