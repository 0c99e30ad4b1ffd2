/// The `MADV_*` advice values of madvise(2), with the numbers of include/uapi/asm-generic/mman-common.h (x86-64
/// uses the generic values).
public enum Advice: Int32, Hashable, Sendable, CaseIterable {
    case normal = 0
    case random = 1
    case sequential = 2
    case willNeed = 3
    case dontNeed = 4
    case free = 8
    case remove = 9
    case dontFork = 10
    case doFork = 11
    case mergeable = 12
    case unmergeable = 13
    case hugePage = 14
    case noHugePage = 15
    case dontDump = 16
    case doDump = 17
    case wipeOnFork = 18
    case keepOnFork = 19
    case cold = 20
    case pageOut = 21
    case populateRead = 22
    case populateWrite = 23
    case dontNeedLocked = 24
    case collapse = 25
    case hwPoison = 100
    case softOffline = 101
    case guardInstall = 102
    case guardRemove = 103

    /// The name strace prints.
    public var name: String {
        switch self {
        case .normal: return "MADV_NORMAL"
        case .random: return "MADV_RANDOM"
        case .sequential: return "MADV_SEQUENTIAL"
        case .willNeed: return "MADV_WILLNEED"
        case .dontNeed: return "MADV_DONTNEED"
        case .free: return "MADV_FREE"
        case .remove: return "MADV_REMOVE"
        case .dontFork: return "MADV_DONTFORK"
        case .doFork: return "MADV_DOFORK"
        case .mergeable: return "MADV_MERGEABLE"
        case .unmergeable: return "MADV_UNMERGEABLE"
        case .hugePage: return "MADV_HUGEPAGE"
        case .noHugePage: return "MADV_NOHUGEPAGE"
        case .dontDump: return "MADV_DONTDUMP"
        case .doDump: return "MADV_DODUMP"
        case .wipeOnFork: return "MADV_WIPEONFORK"
        case .keepOnFork: return "MADV_KEEPONFORK"
        case .cold: return "MADV_COLD"
        case .pageOut: return "MADV_PAGEOUT"
        case .populateRead: return "MADV_POPULATE_READ"
        case .populateWrite: return "MADV_POPULATE_WRITE"
        case .dontNeedLocked: return "MADV_DONTNEED_LOCKED"
        case .collapse: return "MADV_COLLAPSE"
        case .hwPoison: return "MADV_HWPOISON"
        case .softOffline: return "MADV_SOFT_OFFLINE"
        case .guardInstall: return "MADV_GUARD_INSTALL"
        case .guardRemove: return "MADV_GUARD_REMOVE"
        }
    }

    /// Looks advice up by its strace name.
    public init?(name: String) {
        guard let match = Advice.allCases.first(where: { $0.name == name }) else { return nil }
        self = match
    }

    /// Models `madvise_behavior_valid()` on an x86-64 kernel with `CONFIG_KSM`, `CONFIG_TRANSPARENT_HUGEPAGE` and
    /// `CONFIG_MEMORY_FAILURE` (the reference machines' distribution kernels): every value of this enum is valid, and
    /// nothing else is.
    public static func valid(_ rawValue: Int32) -> Advice? { Advice(rawValue: rawValue) }

    /// Models `is_discard()` (mm/madvise.c, 6.17+): advice that can throw away the contents of memory, which a sealed
    /// read-only anonymous VMA refuses.
    public var discards: Bool {
        switch self {
        case .free, .dontNeed, .dontNeedLocked, .remove, .dontFork, .wipeOnFork, .guardInstall: return true
        default: return false
        }
    }

    /// Models `is_memory_failure()`: error injection, which bypasses the VMA walk and takes no lock.
    public var injectsMemoryFailure: Bool { self == .hwPoison || self == .softOffline }

    /// Models `is_madvise_populate()`: prefaulting, which runs through GUP rather than the per-VMA walk.
    public var populates: Bool { self == .populateRead || self == .populateWrite }

    /// Models `get_lock_mode()`: which lock the call takes (the model runs calls one at a time, so this is
    /// descriptive; it tells the explorer which advice may interleave with faults).
    public var lockMode: MadviseLockMode {
        switch self {
        case .hwPoison, .softOffline: return .none
        case .remove, .willNeed, .cold, .pageOut, .populateRead, .populateWrite, .collapse, .guardInstall,
            .guardRemove:
            return .mmapRead
        case .dontNeed, .dontNeedLocked, .free: return .vmaRead
        default: return .mmapWrite
        }
    }

    /// Models `madvise_batch_tlb_flush()`: the advice whose zaps share one mmu_gather across every VMA of the call
    /// (`madvise_init_tlb()`/`madvise_finish_tlb()`), so the whole call flushes once.
    public var batchesTLBFlush: Bool { self == .dontNeed || self == .dontNeedLocked || self == .free }
}

/// Mirrors `enum madvise_lock_mode` (mm/madvise.c).
public enum MadviseLockMode: Hashable, Sendable {
    /// `MADVISE_NO_LOCK`.
    case none
    /// `MADVISE_MMAP_READ_LOCK`.
    case mmapRead
    /// `MADVISE_MMAP_WRITE_LOCK`.
    case mmapWrite
    /// `MADVISE_VMA_READ_LOCK`: a per-VMA lock when the range lies in one VMA, else the mmap read lock.
    case vmaRead
}
