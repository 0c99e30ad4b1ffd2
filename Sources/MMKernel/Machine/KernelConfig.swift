import MMHardware

/// Settings of the simulated machine and kernel: the hardware, the sysctls, and the x86 TLB-flush tunables.
public struct KernelConfig: Hashable, Sendable {
    /// Number of CPUs (at most 64).
    public var cpus: Int = 2
    public var tlbGeometry: TLBGeometry = .intelDefault
    /// RAM size in 4 KiB frames (default 24 GiB, like this project's machines).
    public var ramFrames: Int = 24 << 18
    /// Swap size in frames (counted by the overcommit heuristic).
    public var swapFrames: Int = 0
    /// The huge page sizes the kernel has hstates for, as log2 of the size (21: 2 MiB; 30: 1 GiB where the CPU
    /// has gigantic pages): `hstate_sizelog()` finds MAP_HUGETLB's size among them. The model's hugetlb pool is
    /// empty, so a huge mapping that passes the size and alignment checks fails its reservation.
    public var hugePageShifts: Set<Int> = [21]
    /// `vm.max_map_count`.
    public var maxMapCount: Int = 65530
    /// `vm.overcommit_memory`: 0 heuristic, 1 always, 2 never.
    public var overcommitMode: Int = 0
    /// `vm.overcommit_ratio` (percent of RAM that mode 2 allows, plus swap).
    public var overcommitRatio: Int = 50
    /// `/sys/kernel/mm/transparent_hugepage/enabled`.
    public var thpMode: THPMode = .madvise
    /// `/sys/kernel/mm/transparent_hugepage/use_zero_page`.
    public var thpUseZeroPage = true
    /// `mm->mmap_base` of new processes: the top of the top-down mmap area.
    public var mmapBase: UInt64 = 0x7f00_0000_0000
    /// `vm.mmap_min_addr`.
    public var mmapMinAddress: UInt64 = 0x10000
    /// `stack_guard_gap` in bytes (256 pages).
    public var stackGuardGap: UInt64 = 256 << 12
    /// Whether CR3 carries PCIDs (X86_FEATURE_PCID); without them every switch flushes.
    public var pcid = true
    /// `tlb_single_page_flush_ceiling`: ranges of more strides than this become full flushes.
    public var flushCeiling: UInt64 = 33
    /// Whether `mm_cpumask` bits stay set after a CPU switches away (≥6.12); if false, switching clears them.
    public var lazyCpumaskTrim = true
    /// Whether `flush_tlb_range()` passes `freed_tables` (≥6.14, 3ef938c35035), so lazy CPUs get its IPI too.
    /// nil follows the scheme's era: true for `merged` (current kernels), false for the ≤5.18 `before` and `seed`.
    public var flushRangeFreesTablesOverride: Bool?
    /// Whether `mprotect_fixup()` gives private writable VMAs `MM_CP_TRY_CHANGE_WRITABLE` (≥6.0). nil follows the
    /// scheme: on for `merged` (as 6.18 runs it), off for `before` and `seed`. Off under `merged` gives the 5.19
    /// kernel the seed patch was merged into.
    public var upgradePrivateWritableOverride: Bool?

    /// The effective `freed_tables` of `flush_tlb_range()`.
    public var flushRangeFreesTables: Bool {
        get { flushRangeFreesTablesOverride ?? (scheme == .merged) }
        set { flushRangeFreesTablesOverride = newValue }
    }

    /// The effective write-upgrade rule for private VMAs.
    public var upgradesPrivateWritable: Bool {
        get { upgradePrivateWritableOverride ?? scheme.upgradesPrivateWritable }
        set { upgradePrivateWritableOverride = newValue }
    }
    /// `CONFIG_MEM_SOFT_DIRTY` (off on the reference machines): `pte_mkdirty()` then also sets the soft-dirty bit.
    public var softDirty = false
    /// `RLIMIT_STACK` in bytes, bounding stack growth on faults below a `VM_GROWSDOWN` VMA.
    public var stackLimit: UInt64 = 8 << 20
    /// `RLIMIT_DATA` in pages for `may_expand_vm()` (default unlimited).
    public var dataLimitPages: Int64 = Int64.max
    /// `RLIMIT_MEMLOCK` in bytes (`UInt64.max` = `RLIM_INFINITY`); 8 MiB, the kernel's default `MLOCK_LIMIT` and
    /// what the reference machines give their processes. It bounds mlock, mlockall(MCL_CURRENT), MAP_LOCKED and the
    /// growth of locked VMAs only without `capIPCLock`; 0 makes mlock EPERM (`can_do_mlock()`) without it.
    public var memlockLimit: UInt64 = 8 << 20
    /// Whether the model's processes have `CAP_IPC_LOCK`. On by default: the conformance worker runs as root, so
    /// `RLIMIT_MEMLOCK` never refuses its locks.
    public var capIPCLock = true
    /// The uffd-wp COW fix of 6ce64428d620: `wp_page_copy()` flushes first if a flush is pending on a uffd-wp VMA.
    public var uffdWPCopyFlushFix = true
    /// Which flush scheme `change_protection()` follows: before the mmu_gather series (≤5.18),
    /// its first commit 4a18419f71cd alone, or the series as 6.18 runs it.
    public var scheme: FlushScheme = .merged
    /// `CONFIG_MMU_GATHER_MERGE_VMAS` (x86: on): `tlb_end_vma()` does not flush between VMAs.
    public var mergeVMAs = true
    /// `CONFIG_MMU_GATHER_PAGE_SIZE` (x86: off): a gather flushes when the recorded page size changes.
    public var gatherPageSize = false
    /// Page-table isolation: each INVLPG and each full flush is paired with one for the user PCID (the model
    /// counts both; user accesses still use the kernel PCID's TLB entries).
    public var pti = false
    /// Whether the CPU has protection keys and the kernel enables them (X86_FEATURE_OSPKE): CR4.PKE and a PKRU on
    /// every CPU, per-thread PKRU, `pkey_alloc()`, and the execute-only key for `PROT_EXEC` memory. Off, every key
    /// is 0 and `pkey_alloc()` is EINVAL.
    public var pku = false
    /// Whether the simulated process holds `CAP_SYS_ADMIN` (as a root conformance worker on the host does). Off: the
    /// model's process is unprivileged, so MADV_HWPOISON and MADV_SOFT_OFFLINE are EPERM.
    public var capSysAdmin = false
    /// The readahead window of regular files in pages: the backing device's `read_ahead_kb` / 4, which
    /// `file_ra_state_init()` copies into `file->f_ra.ra_pages` at open (128 KiB = 32 pages by default; 0 turns mmap
    /// readahead off). shmem has no readahead whatever this says.
    public var readaheadPages: UInt64 = 32
    /// `fault_around_bytes` (debugfs, 64 KiB by default): the window around a read fault on a file in which
    /// `do_fault_around()` maps the pages already in the page cache. See ``faultAroundPages`` for how it is rounded.
    public var faultAroundBytes: UInt64 = 64 << 10
    /// Pages an mmu_gather batches before it must flush (`MAX_GATHER_BATCH` × `MAX_GATHER_BATCH_COUNT` + local).
    public var gatherBatchLimit = 8 + 510 * 19

    public init() {}

    /// THP policy.
    public enum THPMode: String, Hashable, Sendable, CaseIterable {
        case always
        case madvise
        case never
    }
}
