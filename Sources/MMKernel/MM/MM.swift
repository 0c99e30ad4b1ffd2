import MMHardware

/// An address space, `struct mm_struct`, with the x86 `mm_context_t` parts that TLB flushing uses.
public struct MM: Sendable {
    public let id: MMID
    public var vmas = VMASet()
    /// `pgd`: root of the page tables.
    public var pgd: TableID
    /// `mm_cpumask()`: CPUs that may hold TLB entries for this mm.
    public var cpumask = CPUMask()
    /// `context.ctx_id`: never reused, tags the per-CPU ASID slots.
    public let contextID: UInt64
    /// `context.tlb_gen`: bumped once per flush request.
    public var tlbGen: UInt64 = 1
    /// `tlb_flush_pending`: gathers in progress on this mm.
    public var tlbFlushPending = 0
    /// `mmap_base`: top of the top-down mmap area.
    public var mmapBase: UInt64
    /// `def_flags` added to every new VMA: `VM_LOCKED` (and `VM_LOCKONFAULT`) after mlockall(MCL_FUTURE),
    /// VM_NOHUGEPAGE after prctl.
    public var defaultFlags: VMFlags = []
    /// Live threads using this mm (`mm_users`).
    public var users = 0
    /// `total_vm`, `data_vm`, `exec_vm`, `stack_vm`, `locked_vm`, in pages (`locked_vm` counts the pages of
    /// `VM_LOCKED` VMAs, whether populated or not).
    public var accounting = VMAccounting()
    /// Resident pages by kind (`MM_ANONPAGES`, `MM_FILEPAGES`, `MM_SHMEMPAGES`).
    public var rss = ResidentSet()
    /// `MMF_HAS_MDWE` and `MMF_HAS_MDWE_NO_INHERIT`: what prctl(PR_SET_MDWE) set (it can never be cleared).
    public var mdwe: MDWEFlags = []
    /// `MMF_HAS_MDWE`: memory-deny-write-execute is on for this mm.
    public var denyWriteExecute: Bool { mdwe.contains(.refuseExecGain) }
    /// x86 `pkey_allocation_map`: bit n set when pkey n is allocated (pkey 0 is, when the CPU has PKU).
    public var pkeyAllocationMap: UInt16 = 0
    /// x86 `execute_only_pkey`, -1 until one is allocated.
    public var executeOnlyPKey = -1
    /// `map_count`.
    public var mapCount: Int { vmas.count }

    public init(id: MMID, pgd: TableID, contextID: UInt64, mmapBase: UInt64) {
        self.id = id
        self.pgd = pgd
        self.contextID = contextID
        self.mmapBase = mmapBase
    }
}

/// The per-mm virtual memory counters of /proc/PID/status.
public struct VMAccounting: Hashable, Sendable, Codable {
    public var totalVM: Int64 = 0
    public var dataVM: Int64 = 0
    public var execVM: Int64 = 0
    public var stackVM: Int64 = 0
    public var lockedVM: Int64 = 0

    /// Models `vm_stat_account()`: charges (or with negative `pages`, uncharges) a mapping with `flags`.
    public mutating func account(_ flags: VMFlags, pages: Int64) {
        totalVM += pages
        if flags.isExecMapping {
            execVM += pages
        } else if flags.isStackMapping {
            stackVM += pages
        } else if flags.isDataMapping {
            dataVM += pages
        }
    }
}

/// Resident pages of an mm by kind.
public struct ResidentSet: Hashable, Sendable, Codable {
    public var anon: Int64 = 0
    public var file: Int64 = 0
    public var shmem: Int64 = 0
}

/// A set of CPUs (`struct cpumask`), up to 64.
public struct CPUMask: Hashable, Sendable, Sequence {
    public var bits: UInt64 = 0
    public init() {}
    public func contains(_ cpu: CPUID) -> Bool { bits & (1 << UInt64(cpu.rawValue)) != 0 }
    public mutating func insert(_ cpu: CPUID) { bits |= 1 << UInt64(cpu.rawValue) }
    public mutating func remove(_ cpu: CPUID) { bits &= ~(1 << UInt64(cpu.rawValue)) }
    public var isEmpty: Bool { bits == 0 }
    public var count: Int { bits.nonzeroBitCount }
    public func makeIterator() -> AnyIterator<CPUID> {
        var rest = bits
        return AnyIterator {
            guard rest != 0 else { return nil }
            let bit = rest.trailingZeroBitCount
            rest &= rest - 1
            return CPUID(bit)
        }
    }
}
