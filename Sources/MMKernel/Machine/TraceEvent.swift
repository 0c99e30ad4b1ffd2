import MMHardware

/// What the kernel and hardware did, in order; reports slice it per step. Flush events carry what the kernel's
/// `tlb:tlb_flush` tracepoint shows.
public enum TraceEvent: Hashable, Sendable {
    /// A `tlb:tlb_flush` event. `pages` is the number of INVLPGs, or -1 for a full flush.
    case tlbFlush(cpu: CPUID, reason: FlushReason, pages: Int)
    /// A flush IPI delivered from `from` to `to`.
    case ipi(from: CPUID, to: CPUID)
    /// One call of `flush_tlb_mm_range()`.
    case flushRequest(FlushRequest)
    /// A page fault taken by `task` and how the kernel resolved it.
    case pageFault(task: TaskID, cpu: CPUID, address: UInt64, error: PageFaultError, resolution: FaultResolution)
}

/// The `reason` field of `tlb:tlb_flush`. Mirrors `enum tlb_flush_reason`.
public enum FlushReason: Int, Hashable, Sendable, Codable {
    case taskSwitch = 0
    case remoteShootdown = 1
    case localShootdown = 2
    case localMMShootdown = 3
    case remoteSendIPI = 4
    case remoteWrongCPU = 5

    public var name: String {
        switch self {
        case .taskSwitch: return "flush on task switch"
        case .remoteShootdown: return "remote shootdown"
        case .localShootdown: return "local shootdown"
        case .localMMShootdown: return "local mm shootdown"
        case .remoteSendIPI: return "remote ipi send"
        case .remoteWrongCPU: return "remote wrong CPU"
        }
    }
}

/// One `flush_tlb_mm_range()` call as issued: who asked, the range after the ceiling, and whom it reached.
public struct FlushRequest: Hashable, Sendable {
    public var initiator: CPUID
    public var mm: MMID
    public var start: UInt64
    /// `UInt64.max` for `TLB_FLUSH_ALL`.
    public var end: UInt64
    public var strideShift: UInt64
    public var freedTables: Bool
    /// CPUs that received an IPI.
    public var remote: [CPUID]

    /// Whether the request was (or became) a full flush.
    public var isFull: Bool { end == UInt64.max }
    /// INVLPGs per CPU for a partial flush, -1 for a full one.
    public var pages: Int { isFull ? -1 : Int((end - start) >> strideShift) }
}

/// How the fault handler resolved a fault.
public enum FaultResolution: String, Hashable, Sendable, Codable {
    case anonymousZeroPage = "zero-page"
    case anonymousNew = "anon"
    case hugeZeroPage = "huge-zero-page"
    case hugeNew = "thp"
    case copyOnWrite = "cow"
    case reuse = "reuse"
    case fileRead = "file-read"
    case fileCopyOnWrite = "file-cow"
    case sharedWrite = "shared-write"
    case writeNotify = "write-notify"
    case numaHinting = "numa-hint"
    case swapIn = "swap-in"
    case migrationRestore = "migration"
    case stackExpansion = "stack-growth"
    case spurious = "spurious"
    case userfault = "userfault"
    /// `handle_userfault(VM_UFFD_MISSING)`: a fault on a missing page of a VMA registered for MISSING events.
    case userfaultMissing = "userfault-missing"
    /// `VM_FAULT_OOM`: the fault could not allocate a page, so the OOM killer ends the process.
    case outOfMemory = "oom"
    case segvMapError = "SEGV_MAPERR"
    case segvAccessError = "SEGV_ACCERR"
    /// An access error caused by protection keys (`bad_area_access_from_pkeys()`): `SIGSEGV` with `SEGV_PKUERR`.
    case segvPKeyError = "SEGV_PKUERR"
    case sigbus = "SIGBUS"
}
