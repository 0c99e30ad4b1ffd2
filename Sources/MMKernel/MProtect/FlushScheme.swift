/// The three ways of flushing after `change_protection()` that mmsim compares, selected per machine: before
/// Nadav Amit's mmu_gather series, its first commit alone, and the series merged (5.19).
/// One code path runs all three; the scheme only flips the decisions below.
public enum FlushScheme: String, Hashable, Sendable, CaseIterable, Codable {
    /// ≤5.18: `change_protection_range()` raises `tlb_flush_pending` itself and, if any entry was rewritten, flushes
    /// the whole VMA segment with `flush_tlb_range()`; a THP is also flushed immediately by `pmdp_invalidate()`.
    case before
    /// 4a18419f71cd "mm/mprotect: use mmu_gather" alone: every rewritten present entry is recorded in the caller's
    /// mmu_gather, flushed once at `tlb_finish_mmu()`; `pmdp_invalidate()` still flushes a THP at once.
    case seed
    /// The 5.19 merge (with c9fe66560bf2 and 4f83145721f3) as current kernels run it: only entries for which
    /// `pte_needs_flush()`/`huge_pmd_needs_flush()` say so are recorded, and a THP is invalidated without a flush.
    case merged

    /// Whether `change_protection()` records into the caller's mmu_gather instead of flushing per VMA segment.
    public var usesGather: Bool { self != .before }
    /// Whether the flush-need predicates filter what is recorded.
    public var filtersWithNeedsFlush: Bool { self == .merged }
    /// Whether `change_huge_pmd()` flushes at once (`pmdp_invalidate()` instead of `pmdp_invalidate_ad()`).
    public var flushesHugePMDImmediately: Bool { self != .merged }
    /// The era default of whether a private writable VMA gets `MM_CP_TRY_CHANGE_WRITABLE` (≥6.0; see
    /// `KernelConfig.upgradesPrivateWritable` for the effective value); earlier kernels only made dirty
    /// PTEs of shared write-notify VMAs writable in place (`MM_CP_DIRTY_ACCT`).
    public var upgradesPrivateWritable: Bool { self == .merged }

    /// The label the reports use.
    public var title: String {
        switch self {
        case .before: return "before (≤5.18)"
        case .seed: return "seed (4a18419f71cd)"
        case .merged: return "merged (5.19+)"
        }
    }
}
