import MMHardware

/// One entry of `steps:`: an operation, an optional note, and what it is expected to do.
public struct Step: Sendable {
    /// Where the step starts in the file.
    public var location: SourceLocation
    /// The operation.
    public var kind: Kind
    /// A one-line explanation shown in reports (`note:`).
    public var note: String?
    /// The checks run after the step.
    public var expectations: [Expectation]

    /// What a step does.
    public enum Kind: Sendable {
        /// mmap(2); the result may be named as a region.
        case mmap(MmapStep)
        /// munmap(2).
        case munmap(RangeStep)
        /// madvise(2) with the raw advice value.
        case madvise(RangeStep, advice: Int32)
        /// fork(2).
        case fork(ForkStep)
        /// User-space loads, stores or instruction fetches over pages.
        case access(AccessStep)
        /// The CPU runs its idle task (lazy TLB mode).
        case idle(cpu: Int)
        /// mprotect(2) or, with a key, pkey_mprotect(2).
        case mprotect(MprotectStep)
        /// pkey_alloc(2).
        case pkeyAlloc(thread: String, flags: UInt64, accessRights: UInt64)
        /// pkey_free(2).
        case pkeyFree(thread: String, pkey: Int)
        /// WRPKRU: the thread replaces its PKRU register (protection-key rights) with `value`.
        case pkru(thread: String, value: UInt32)
        /// `ioctl(UFFDIO_REGISTER)` in write-protect mode (plus missing mode if asked).
        case uffdRegister(RangeStep, missing: Bool)
        /// `ioctl(UFFDIO_WRITEPROTECT)`: protect or unprotect a range.
        case uffdWriteProtect(RangeStep, protect: Bool)
        /// One pass of the NUMA-balancing scanner over a range.
        case numaScan(RangeStep)
        /// execve(2) as far as memory goes.
        case execve(ExecveStep)
        /// personality(2): set or clear `READ_IMPLIES_EXEC`.
        case personality(thread: String, readImpliesExec: Bool)
        /// prctl(PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN).
        case prctlMDWE(thread: String)
        /// mseal(2): seal a range against mprotect, munmap and the like.
        case mseal(RangeStep)
        /// A standalone `expect:` block.
        case expect
    }

    /// The step's keyword as written (`mmap`, `write`, `expect`, ...).
    public var keyword: String {
        switch kind {
        case .mmap: return "mmap"
        case .munmap: return "munmap"
        case .madvise: return "madvise"
        case .fork: return "fork"
        case .access(let access):
            switch access.kind {
            case .read: return "read"
            case .write: return "write"
            case .execute: return "exec"
            }
        case .idle: return "idle"
        case .mprotect(let step): return step.pkey == nil ? "mprotect" : "pkey_mprotect"
        case .pkeyAlloc: return "pkey_alloc"
        case .pkeyFree: return "pkey_free"
        case .pkru: return "pkru"
        case .uffdRegister: return "uffd_register"
        case .uffdWriteProtect: return "uffd_wp"
        case .numaScan: return "numa_scan"
        case .execve: return "execve"
        case .personality: return "personality"
        case .prctlMDWE: return "prctl_mdwe"
        case .mseal: return "mseal"
        case .expect: return "expect"
        }
    }

    /// Whether the step enters the kernel as a syscall (or an ioctl, or the NUMA scanner's task work): the cost
    /// model charges the fixed syscall cost for these. WRPKRU is a user-mode instruction, not a syscall.
    public var isSyscall: Bool {
        switch kind {
        case .access, .idle, .pkru, .expect: return false
        default: return true
        }
    }
}

/// The arguments of an mmap step. Raw values are kept so that invalid arguments can be tried.
public struct MmapStep: Sendable {
    /// The calling thread.
    public var thread: String
    /// The region name given to the returned address.
    public var region: String?
    /// The address hint (nil = NULL).
    public var address: AddressExpression?
    /// Length in bytes.
    public var length: UInt64
    /// Raw `PROT_*` bits.
    public var prot: UInt64
    /// Raw `MAP_*` bits.
    public var flags: UInt64
    /// The file descriptor.
    public var fd: FileReference
    /// File offset in bytes.
    public var offset: UInt64
}

/// The fd argument of mmap.
public enum FileReference: Hashable, Sendable {
    /// `-1`.
    case none
    /// A file declared under `files:`.
    case named(String)
    /// A raw fd number (declared files are 3, 4, ...; anything else is a bad fd).
    case number(Int64)
}

/// A range of user memory: a base address, and either a page range relative to it or an explicit length.
public struct Span: Hashable, Sendable {
    /// Where the range is measured from.
    public var base: AddressExpression
    /// Pages relative to `base`, if given.
    public var pages: PageRange?
    /// Length in bytes, if given explicitly.
    public var length: UInt64?
}

/// An inclusive range of page indices, written `0..15`, `0..<16` or `3`.
public struct PageRange: Hashable, Sendable, CustomStringConvertible {
    /// First page.
    public var lower: UInt64
    /// Last page (inclusive).
    public var upper: UInt64

    /// Number of pages.
    public var count: UInt64 { upper - lower + 1 }

    /// `3` or `0..15`.
    public var description: String { lower == upper ? "\(lower)" : "\(lower)..\(upper)" }
}

/// The arguments of munmap and madvise.
public struct RangeStep: Sendable {
    /// The calling thread.
    public var thread: String
    /// The memory range.
    public var span: Span
}

/// The arguments of fork.
public struct ForkStep: Sendable {
    /// The forking thread.
    public var thread: String
    /// The name of the child's thread.
    public var child: String
    /// The CPU the child is pinned to.
    public var cpu: Int
}

/// The arguments of an access step.
public struct AccessStep: Sendable {
    /// The accessing thread.
    public var thread: String
    /// Read, write or instruction fetch.
    public var kind: AccessKind
    /// The pages touched, one access per page.
    public var span: Span
    /// The token a write stores.
    public var value: UInt64
}
