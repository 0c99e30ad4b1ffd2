import MMHardware

extension Machine {
    /// Models `do_anonymous_page()`: a read maps the shared zero page read-only; a write allocates a zeroed page,
    /// exclusive to this process, mapped writable and dirty.
    mutating func doAnonymousPage(_ mmID: MMID, _ index: Int, _ slot: EntrySlot, write: Bool) -> FaultResolution {
        let vma = mm(mmID).vmas[index]
        // A VMA registered for MISSING events hands every first touch, read or write, to its userfaultfd.
        if vma.flags.contains(.uffdMissing) { return .userfaultMissing }
        if !write {
            pageTables[slot.table, slot.index] = PTE(pfn: pages.zeroPage, flags: vma.pageProt.union(.special))
            return .anonymousZeroPage
        }
        let anonVMA = anonVMAPrepare(mmID, index)
        guard let pfn = allocatePage() else { return .outOfMemory }
        addNewAnonRmap(pfn, anonVMA)
        pageTables[slot.table, slot.index] = mkwriteDirty(PTE(pfn: pfn, flags: vma.pageProt), vma)
        withMM(mmID) { $0.rss.anon += 1 }
        return .anonymousNew
    }

    /// Models `thp_vma_allowable_order()` for a PMD-sized anonymous fault: THP mode, `VM_HUGEPAGE`/`VM_NOHUGEPAGE`,
    /// and the aligned 2 MiB lying inside the VMA.
    func thpEligible(_ vma: VMA, _ haddr: UInt64) -> Bool {
        guard vma.isAnonymous, !vma.flags.contains(.noHugePage), !vma.flags.contains(.hugetlb) else { return false }
        switch config.thpMode {
        case .never: return false
        case .madvise: if !vma.flags.contains(.hugePage) { return false }
        case .always: break
        }
        return haddr >= vma.start && haddr + PageGeometry.pmdSize <= vma.end
    }

    /// Models `do_huge_pmd_anonymous_page()`: a read maps the huge zero page, a write a fresh THP. Nil means fall
    /// back to 4 KiB pages (no huge page available).
    mutating func doHugePMDAnonymousPage(
        _ mmID: MMID, _ index: Int, _ slot: EntrySlot, _ haddr: UInt64, write: Bool
    )
        -> FaultResolution?
    {
        let vma = mm(mmID).vmas[index]
        if vma.flags.contains(.uffdMissing) { return .userfaultMissing }
        let anonVMA = anonVMAPrepare(mmID, index)
        if !write && config.thpUseZeroPage {
            pageTables[slot.table, slot.index] = PTE(pfn: pages.hugeZeroPage, flags: vma.pageProt.union(.pse))
            return .hugeZeroPage
        }
        guard let head = allocateHugePage() else { return nil }
        addNewAnonRmap(head, anonVMA)
        pageTables[slot.table, slot.index] = mkwriteDirty(PTE(pfn: head, flags: vma.pageProt.union(.pse)), vma)
        withMM(mmID) { $0.rss.anon += 512 }
        return .hugeNew
    }

    /// Models `do_huge_pmd_wp_page()`: an exclusive (or solely referenced) THP is made writable in place; a shared
    /// THP, or one whose folio another process's PMD split already split, is split here too and the fault falls
    /// back to the PTE level (nil), where each 4 KiB page is reused or copied on its own counts.
    mutating func doHugePMDWPPage(_ mmID: MMID, _ vma: VMA, _ slot: EntrySlot, _ haddr: UInt64) -> FaultResolution? {
        let pmd = pageTables[slot.table, slot.index]
        if vma.flags.contains(.uffdWP) && pmd.contains(.uffdWP) { return .userfault }
        if !pages.isZero(pmd.pfn) && pages.isCompound(pmd.pfn) {
            let head = pages[pmd.pfn]
            if head.flags.contains(.anonExclusive) || (head.mapcount == 1 && head.refcount == 1) {
                pages[pmd.pfn].flags.insert(.anonExclusive)
                pageTables[slot.table, slot.index] = mkdirty(pmd.setting([.writable, .accessed]))
                return .reuse
            }
        }
        if pages.isZero(pmd.pfn), let resolution = doHugeZeroWPPMD(mmID, vma, slot, haddr) { return resolution }
        splitHugePMD(mmID, vma, slot, haddr)
        return nil
    }

    /// Models `do_huge_zero_wp_pmd()` (6.13+): a write to the huge zero page allocates a THP, clears the PMD with
    /// an immediate flush of its 2 MiB (`pmdp_huge_clear_flush()` → `flush_pmd_tlb_range()`, a 4 KiB-stride range
    /// flush on x86 and so a full one) and maps the THP writable and dirty. Nil when no huge page is available: the
    /// caller then splits the PMD and falls back to 4 KiB pages.
    mutating func doHugeZeroWPPMD(_ mmID: MMID, _ vma: VMA, _ slot: EntrySlot, _ haddr: UInt64) -> FaultResolution? {
        guard let index = mm(mmID).vmas.index(containing: haddr) else { return nil }
        let anonVMA = anonVMAPrepare(mmID, index)
        guard let head = allocateHugePage() else { return nil }
        addNewAnonRmap(head, anonVMA)
        pageTables[slot.table, slot.index] = .none
        flushTLBRange(
            initiator: runningCPU(of: mmID), mm: mmID, start: haddr, end: haddr + PageGeometry.pmdSize,
            freedTables: false)
        pageTables[slot.table, slot.index] = mkwriteDirty(PTE(pfn: head, flags: vma.pageProt.union(.pse)), vma)
        withMM(mmID) { $0.rss.anon += 512 }
        return .hugeNew
    }

    /// Models `do_huge_pmd_numa_page()`: a NUMA-hinting (PROT_NONE) PMD gets the VMA's protection back.
    mutating func doHugePMDNumaPage(_ mmID: MMID, _ vma: VMA, _ slot: EntrySlot) -> FaultResolution {
        let pmd = pageTables[slot.table, slot.index]
        var restored = pmd.modified(to: vma.pageProt.union(.pse)).setting(.accessed)
        if canChangeWritable(vma, restored, huge: true) { restored = restored.setting(.writable) }
        pageTables[slot.table, slot.index] = restored
        return .numaHinting
    }

    /// Models `do_numa_page()`: a NUMA-hinting PTE gets the VMA's protection back (and write access when the page
    /// may be written in place). The old entry was not present, so nothing needs flushing.
    mutating func doNumaPage(_ vma: VMA, _ slot: EntrySlot, _ pte: PTE) -> FaultResolution {
        var restored = pte.modified(to: vma.pageProt).setting(.accessed)
        if canChangeWritable(vma, restored) { restored = restored.setting(.writable) }
        pageTables[slot.table, slot.index] = restored
        return .numaHinting
    }
}
