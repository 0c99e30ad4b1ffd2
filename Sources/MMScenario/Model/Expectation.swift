/// One check a scenario makes after a step.
public struct Expectation: Sendable {
    /// Where the check is written.
    public var location: SourceLocation
    /// What is checked.
    public var check: Check

    /// The kinds of check.
    public enum Check: Sendable {
        /// The syscall's result.
        case result(ResultMatcher)
        /// Every access of the step returned this token.
        case value(UInt64)
        /// The access raised this signal (and `si_code`, if given).
        case signal(name: String, code: String?)
        /// A hardware or kernel counter summed over the step equals the number (possibly per scheme).
        case counter(Counter, SchemeValues<Int>)
        /// The step's flushes, in order, as `tlb:tlb_flush` shows their size on the initiator: INVLPGs per CPU, or -1
        /// for a full flush (`flush_pages:`).
        case flushPages(SchemeValues<[Int]>)
        /// The stride shift of each flush, in order (`flush_strides:`): 12, 21 or 30.
        case flushStrides(SchemeValues<[Int]>)
        /// The fault resolutions of the step, in order.
        case resolutions([String])
        /// The VMAs over a range, in the `[0,1)r--p [1,4)rw-p` notation.
        case layout(thread: String, span: Span, expected: String)
        /// Every page of the range is mapped and holds this token.
        case contents(thread: String, span: Span, value: UInt64)
        /// The number of VMAs of a thread's process.
        case vmas(thread: String, count: Int)
        /// A property of the VMA containing the span's first byte, as /proc/PID/smaps shows it.
        case vma(thread: String, span: Span, property: VMAProperty)
    }

    /// What a `vma:` check compares, each written as its own key.
    public enum VMAProperty: Sendable {
        /// `vmflags: [rd, wr, ...]`: exactly these `VmFlags` mnemonics (in any order), or with `has`/`lacks` every
        /// mnemonic of `has` and none of `lacks`.
        case vmFlags(exactly: [String]?, has: [String], lacks: [String])
        /// `rss:` bytes resident (`Rss`).
        case rss(UInt64)
        /// `anon_huge_pages:` bytes of PMD-mapped anonymous memory (`AnonHugePages`).
        case anonHugePages(UInt64)
    }

    /// What a `result:` accepts.
    public enum ResultMatcher: Sendable {
        /// Any success.
        case success
        /// This errno.
        case errno(String)
        /// This exact return value (0 or an address).
        case value(AddressExpression)
    }

    /// The counters a step can be checked against (the YAML key is the raw value).
    public enum Counter: String, Sendable, CaseIterable {
        /// `flush_tlb_mm_range()` calls.
        case flushes
        /// Flush IPIs received, all CPUs.
        case ipis
        /// INVLPG instructions, all CPUs.
        case invlpg
        /// Full flushes, all CPUs.
        case fullFlushes = "full_flushes"
        /// TLB misses, all CPUs.
        case tlbMisses = "tlb_misses"
        /// TLB hits (L1 or STLB), all CPUs.
        case tlbHits = "tlb_hits"
        /// Hardware page walks, all CPUs.
        case walks
        /// Page faults handled by the kernel.
        case faults
    }
}
