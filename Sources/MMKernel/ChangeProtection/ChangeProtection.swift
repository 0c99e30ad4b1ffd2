import MMHardware

/// `MM_CP_*` flags of `change_protection()` (include/linux/mm.h).
public struct ChangeProtectionFlags: OptionSet, Hashable, Sendable {
    public var rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    /// `MM_CP_TRY_CHANGE_WRITABLE` (≤5.19 `MM_CP_DIRTY_ACCT`): make PTEs writable in place where that is safe.
    public static let tryChangeWritable = ChangeProtectionFlags(rawValue: 1 << 0)
    /// `MM_CP_PROT_NUMA`: install NUMA-hinting PROT_NONE entries.
    public static let protNuma = ChangeProtectionFlags(rawValue: 1 << 1)
    /// `MM_CP_UFFD_WP`: write-protect for userfaultfd.
    public static let uffdWP = ChangeProtectionFlags(rawValue: 1 << 2)
    /// `MM_CP_UFFD_WP_RESOLVE`: lift the userfaultfd write protection.
    public static let uffdWPResolve = ChangeProtectionFlags(rawValue: 1 << 3)

    /// The uffd-wp part of rewriting a present entry: `MM_CP_UFFD_WP` sets the bit and clears write (`pte_mkuffd_wp()`,
    /// which write-protects since 6.2), `MM_CP_UFFD_WP_RESOLVE` only clears the bit (`pte_clear_uffd_wp()`).
    func applyingUffdWP(to entry: PTE) -> PTE {
        if contains(.uffdWP) { return entry.setting(.uffdWP).clearing(.writable) }
        if contains(.uffdWPResolve) { return entry.clearing(.uffdWP) }
        return entry
    }
}

extension Machine {
    /// Models `change_protection()` → `change_protection_range()` in mm/mprotect.c for `[start, end)` of the VMA at
    /// `index`: rewrites every entry to the VMA's `vm_page_prot` (or PAGE_NONE for NUMA hinting) and returns how many
    /// entries it rewrote. Under the gather schemes each entry that needs it is recorded in `gather`; under
    /// `before` the function raises `tlb_flush_pending` itself and flushes the whole segment if anything changed.
    @discardableResult
    public mutating func changeProtection(
        _ gather: inout MMUGather, _ index: Int, _ start: UInt64, _ end: UInt64, _ flags: ChangeProtectionFlags
    ) -> Int {
        precondition(!flags.isSuperset(of: [.uffdWP, .uffdWPResolve]), "MM_CP_UFFD_WP with _RESOLVE")
        let mmID = gather.mm
        let vma = mm(mmID).vmas[index]
        let newProtection = flags.contains(.protNuma) ? ProtectionMap.pageNone : vma.pageProt
        var walk = ProtectionWalk(
            vma: vma, newProtection: newProtection, flags: flags, scheme: config.scheme,
            singleThreadedPrivate: !vma.flags.contains(.shared) && mm(mmID).users == 1)
        if config.scheme.usesGather {
            gather.startVMA(vma)
            changePMDRange(&gather, &walk, start, end)
            tlbEndVMA(&gather, vma)
        } else {
            withMM(mmID) { $0.tlbFlushPending += 1 }
            changePMDRange(&gather, &walk, start, end)
            if walk.pages > 0 {
                gather.flushes.append(
                    flushTLBRange(initiator: gather.cpu, mm: mmID, start: start, end: end, freedTables: false))
            }
            withMM(mmID) { $0.tlbFlushPending -= 1 }
        }
        return walk.pages
    }

    /// Models `change_pmd_range()` (with the PGD/P4D/PUD levels above it): huge PMDs wholly inside the range go to
    /// `change_huge_pmd()`, partly covered ones are split first (a THP with the split's own immediate flush, a
    /// migration entry into PTE migration entries), and PTE tables go to `change_pte_range()`.
    mutating func changePMDRange(
        _ gather: inout MMUGather, _ walk: inout ProtectionWalk, _ start: UInt64, _ end: UInt64
    ) {
        let populate = pgtablePopulateNeeded(walk.vma, walk.flags)
        if populate {
            // change_prepare()/change_pmd_prepare(): every level down to the PTE tables exists before the walk, so
            // each none PTE of the range is visited and can take a uffd-wp marker. A huge PMD stays as it is here
            // (it is split below, then given its table).
            var address = start
            while address < end {
                _ = pteSlot(gather.mm, address, allocate: true)
                address = min(PageGeometry.alignDown(address, PageGeometry.pmdSize) + PageGeometry.pmdSize, end)
            }
        }
        for step in pmdSteps(gather.mm, start, end) {
            var pmd = pageTables[step.slot.table, step.slot.index]
            let isHugeEntry = (pmd.isHuge && pmd.isPresent) || (!pmd.hardwarePresent && pmd.isSwap)
            if isHugeEntry {
                let whole = step.end - step.start == PageGeometry.pmdSize
                if whole && !(walk.flags.contains(.uffdWP) && !walk.vma.isAnonymous) {
                    changeHugePMD(&gather, &walk, step.slot, step.start)
                    continue
                }
                if pmd.isSwap {
                    // __split_huge_pmd() on a migration entry: PTE migration entries that change_pte_range() then
                    // downgrades. File THPs (whose split only clears the PMD) are not modelled.
                    guard walk.vma.isAnonymous else { continue }
                    splitHugePMDMigrationEntry(step.slot)
                    pmd = pageTables[step.slot.table, step.slot.index]
                    guard pmd.hardwarePresent, !pmd.isHuge else { continue }
                    changePTERange(&gather, &walk, PageTableArena.child(of: pmd), step.start, step.end)
                    continue
                }
                splitHugePMD(gather.mm, walk.vma, step.slot, PageGeometry.alignDown(step.start, PageGeometry.pmdSize))
                // Splitting a file THP only clears the PMD: populate again so the markers still have a table.
                if populate { _ = pteSlot(gather.mm, step.start, allocate: true) }
                pmd = pageTables[step.slot.table, step.slot.index]
            }
            guard pmd.hardwarePresent, !pmd.isHuge else { continue }
            changePTERange(&gather, &walk, PageTableArena.child(of: pmd), step.start, step.end)
        }
    }
}

extension Machine {
    /// Models `userfaultfd_wp_use_markers()`: a VMA registered for uffd-wp that is not anonymous write-protects
    /// none PTEs with markers (anonymous memory would need `UFFD_FEATURE_WP_UNPOPULATED`, not modelled).
    func userfaultfdWPUsesMarkers(_ vma: VMA) -> Bool {
        vma.flags.contains(.uffdWP) && !vma.isAnonymous
    }

    /// Models `pgtable_populate_needed()`: only `MM_CP_UFFD_WP` on a VMA that uses markers allocates page tables.
    func pgtablePopulateNeeded(_ vma: VMA, _ flags: ChangeProtectionFlags) -> Bool {
        flags.contains(.uffdWP) && userfaultfdWPUsesMarkers(vma)
    }
}

/// The state of one `change_protection()` walk: its inputs and the pages it has rewritten.
struct ProtectionWalk {
    let vma: VMA
    let newProtection: PTEFlags
    let flags: ChangeProtectionFlags
    let scheme: FlushScheme
    /// NUMA hinting skips pages already on the local node only for single-threaded private memory.
    let singleThreadedPrivate: Bool
    var pages = 0
}
