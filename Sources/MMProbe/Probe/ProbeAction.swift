/// One scenario step as the real-kernel executor performs it, with addresses in the model's address space (the
/// executor translates them into its reserved window).
enum ProbeAction: Sendable {
    /// Nothing to do on the real kernel (`expect:` steps).
    case skip
    /// mmap: `modelAddress` is where the model placed it (nil if the model's call failed; then `hint` is tried).
    case mmap(modelAddress: UInt64?, hint: UInt64, length: UInt64, prot: Int32, flags: Int32)
    /// mprotect(start, length, prot).
    case mprotect(start: UInt64, length: UInt64, prot: Int32)
    /// munmap(start, length).
    case munmap(start: UInt64, length: UInt64)
    /// madvise(start, length, advice).
    case madvise(start: UInt64, length: UInt64, advice: Int32)
    /// Page accesses by the measuring thread (`onSpinner` false) or the second thread.
    case access(PageAccess, onSpinner: Bool)

    /// Whether the step is a measured call (bracketed by markers and compared).
    var isMeasured: Bool {
        switch self {
        case .mmap, .mprotect, .munmap, .madvise: return true
        case .skip, .access: return false
        }
    }
}
