import Glibc

/// Everything a measured call executes and touches between its `B n` and `E n` markers, prepared beforehand, so that
/// nothing there allocates, formats, resolves a symbol or takes a page fault of its own: any such fault could flush
/// (a copy-on-write fault on a data page, or on any page after a fork, flushes that page) and would be charged to
/// the call.
///
/// * The marker texts live in one buffer allocated once; ``prepare(number:)`` writes the fixed-width number into it
///   before the `B` marker, so the window itself formats nothing.
/// * The call, the marker writes and the syscall wrapper all go through ``RawSyscall`` (one `syscall()` pointer),
///   and the result comes back in registers as a pair of integers.
/// * ``warmUpOperations(scratch:)`` are run through the same path with `W` markers immediately before every measured
///   call, from the same call site, so the stack pages, `errno` and the code pages the window uses are present and private (after a
///   fork, writable again) before the `B` marker: a failing `mprotect` (EINVAL before any lookup) and an access to
///   a scratch page.
///
/// The probe also checks this on every run: flushes of the measuring thread inside a window but outside the
/// measured system call are reported as a harness failure (``KernelWindows``).
struct MeasuredPath {
    /// The width of the marker number.
    static let digits = 10
    /// Bytes per marker text: a letter, a space and the number.
    static let textLength = 2 + digits
    /// Where the `E` text starts in ``text``.
    static let endOffset = 32

    /// The system call entry points.
    let raw: RawSyscall
    /// The trace instance's `trace_marker`.
    let markerFD: Int32
    /// The two marker texts (`B n` at 0, `E n` at ``endOffset``), owned by the executor.
    let text: UnsafeMutablePointer<UInt8>

    /// What one window does.
    enum Operation {
        /// A system call with six arguments.
        case syscall(number: Int, arguments: (Int, Int, Int, Int, Int, Int))
        /// Page accesses by the measuring thread.
        case access(PageAccess)
        /// `clone()` of a child process that runs `entry(argument)` on `stack` (fork(2) semantics: `SIGCHLD`,
        /// no shared memory).
        case fork(
            entry: @convention(c) (UnsafeMutableRawPointer?) -> Int32, stack: UnsafeMutableRawPointer,
            argument: UnsafeMutableRawPointer)
    }

    /// Allocates the marker buffer; nil if the C library's entry points are missing.
    static func make(markerFD: Int32) -> MeasuredPath? {
        guard let raw = RawSyscall.load() else { return nil }
        let text = UnsafeMutablePointer<UInt8>.allocate(capacity: 64)
        text.initialize(repeating: UInt8(ascii: " "), count: 64)
        return MeasuredPath(raw: raw, markerFD: markerFD, text: text)
    }

    /// Frees the marker buffer.
    func release() { text.deallocate() }

    /// Writes `B number` and `E number` (or `W` for both when `warm`) into the buffer.
    func prepare(number: Int, warm: Bool = false) {
        text[0] = UInt8(ascii: warm ? "W" : "B")
        text[Self.endOffset] = UInt8(ascii: warm ? "W" : "E")
        var value = max(0, number)
        for index in stride(from: Self.textLength - 1, through: 2, by: -1) {
            let digit = UInt8(ascii: "0") + UInt8(value % 10)
            text[index] = digit
            text[Self.endOffset + index] = digit
            value /= 10
        }
    }

    /// The warm-up windows run (with `W` markers) just before every measured call, from the same call site as the
    /// call itself: a failing `mprotect` (EINVAL before any lookup: `errno` and the system-call path), then a
    /// write and a read of `scratch` (the access path).
    static func warmUpOperations(scratch: UnsafeMutableRawPointer) -> [Operation] {
        let address = UInt64(UInt(bitPattern: scratch))
        return [
            .syscall(number: RawSyscall.Number.mprotect, arguments: (Int(bitPattern: scratch) + 1, 4096, 1, 0, 0, 0)),
            .access(PageAccess(kind: .write, address: address, pages: 1, value: 1)),
            .access(PageAccess(kind: .read, address: address, pages: 1, value: 0)),
        ]
    }

    /// The measured window: `B` marker, the operation, `E` marker. Returns the raw result and `errno` (0 unless the
    /// result is -1).
    @inline(never)
    func measure(_ operation: Operation) -> (Int, Int32) {
        let marker = Int(bitPattern: text)
        _ = raw.call(RawSyscall.Number.write, Int(markerFD), marker, Self.textLength, 0, 0, 0)
        var result = 0
        var error: Int32 = 0
        switch operation {
        case .syscall(let number, let arguments):
            result = raw.call(number, arguments.0, arguments.1, arguments.2, arguments.3, arguments.4, arguments.5)
            if result == -1 { error = errno }
        case .access(let access):
            result = Int(truncatingIfNeeded: access.perform())
        case .fork(let entry, let stack, let argument):
            result = Int(raw.clone(entry, stack, SIGCHLD, argument))
            if result == -1 { error = errno }
        }
        _ = raw.call(RawSyscall.Number.write, Int(markerFD), marker + Self.endOffset, Self.textLength, 0, 0, 0)
        return (result, error)
    }
}
