import MMHardware

/// The outcomes of a collapse attempt the model can reach. Mirrors the part of `enum scan_result` (mm/khugepaged.c)
/// that MADV_COLLAPSE of anonymous memory meets.
enum CollapseResult: Hashable, Sendable {
    /// `SCAN_FAIL`.
    case fail
    /// `SCAN_SUCCEED`: collapsed.
    case succeed
    /// `SCAN_PMD_NULL`: no PMD table on the way down.
    case pmdNull
    /// `SCAN_PMD_NONE`: the PMD entry is empty (no PTE table).
    case pmdNone
    /// `SCAN_PMD_MAPPED`: already a huge PMD (the huge zero page counts), or a PMD migration entry.
    case pmdMapped
    /// `SCAN_EXCEED_NONE_PTE`: an empty PTE in a VMA armed for userfaultfd.
    case exceedNonePTE
    /// `SCAN_PTE_NON_PRESENT`: a non-swap entry (marker, migration, poison) in the range.
    case pteNonPresent
    /// `SCAN_PTE_UFFD_WP`.
    case pteUffdWP
    /// `SCAN_PAGE_RO`: no writable PTE.
    case pageReadOnly
    /// `SCAN_PAGE_NULL`: a special mapping other than the zero page.
    case pageNull
    /// `SCAN_PAGE_ANON`: a page that is not anonymous (a private file mapping's unshared page).
    case pageNotAnon
    /// `SCAN_PAGE_COUNT`: references beyond the mappings (a pin).
    case pageCount
    /// `SCAN_ALLOC_HUGE_PAGE_FAIL`.
    case allocFailed

    /// Whether `madvise_collapse()` goes on to the next 2 MiB after this result (its whitelist).
    var continuesCollapse: Bool {
        switch self {
        case .pmdNull, .pteNonPresent, .pteUffdWP, .pageReadOnly, .pageNull, .pageCount: return true
        default: return false
        }
    }

    /// Models `madvise_collapse_errno()`.
    var errno: KernelErrno {
        switch self {
        case .allocFailed: return .ENOMEM
        default: return .EINVAL
        }
    }
}

extension Machine {
    /// Models `madvise_collapse()` (mm/khugepaged.c, 6.18) for anonymous memory: EINVAL unless
    /// `thp_vma_allowable_order(TVA_FORCED_COLLAPSE)` holds (not `VM_NOHUGEPAGE`, not special or hugetlb, an aligned
    /// 2 MiB fits in the VMA, and the VMA has an `anon_vma`: sysfs `enabled` is ignored). Then each 2 MiB-aligned block
    /// wholly inside the range is scanned (`hpage_collapse_scan_pmd()`) and collapsed into a new THP mapped by a PMD
    /// (`collapse_huge_page()`). The call succeeds only if every block ends PMD-mapped; otherwise the last failure
    /// gives the errno (ENOMEM for a failed allocation, else EINVAL), and a failure outside the whitelist stops the walk.
    /// A range holding no aligned block but ending before its first one fails as the kernel's unsigned arithmetic does.
    /// File and shmem collapse are not modelled: such VMAs are EINVAL here (the kernel collapses shmem).
    mutating func madviseCollapse(_ behaviour: MadviseBehaviour, _ index: Int) throws(KernelErrno) {
        let mmID = behaviour.mm
        guard collapseAllowed(vma(mmID, index)) else { throw .EINVAL }
        let hstart = PageGeometry.alignUp(behaviour.start, PageGeometry.pmdSize)
        let hend = PageGeometry.alignDown(behaviour.end, PageGeometry.pmdSize)
        if hend < hstart { throw .EINVAL }
        var collapsed: UInt64 = 0
        var lastFail = CollapseResult.fail
        var address = hstart
        while address < hend {
            let result = collapseScanPMD(mmID, address)
            if result == .succeed || result == .pmdMapped {
                collapsed += 1
            } else {
                lastFail = result
                if !result.continuesCollapse { break }
            }
            address += PageGeometry.pmdSize
        }
        if collapsed != (hend - hstart) >> PageGeometry.pmdShift { throw lastFail.errno }
    }

    /// Models `thp_vma_allowable_order(vma, vm_flags, TVA_FORCED_COLLAPSE, PMD_ORDER)` for the VMAs the model can
    /// collapse.
    func collapseAllowed(_ vma: VMA) -> Bool {
        guard vma.isAnonymous, vma.anonVMA != nil else { return false }
        if vma.flags.contains(.noHugePage) || !vma.flags.intersection(VMFlags.special.union(.hugetlb)).isEmpty {
            return false
        }
        if vma.flags.contains(.growsDown) && vma.flags.isSuperset(of: .stackIncompleteSetup) { return false }
        guard vma.end >= PageGeometry.pmdSize else { return false }
        let haddr = PageGeometry.alignDown(vma.end - PageGeometry.pmdSize, PageGeometry.pmdSize)
        return haddr >= vma.start
    }

    /// Models `hpage_collapse_scan_pmd()` for MADV_COLLAPSE (no `khugepaged_max_ptes_*` limits, no young-page
    /// requirement), followed on success by `collapse_huge_page()`.
    private mutating func collapseScanPMD(_ mmID: MMID, _ haddr: UInt64) -> CollapseResult {
        guard let pmdSlot = existingPMDSlot(mmID, haddr) else { return .pmdNull }
        let pmd = pageTables[pmdSlot.table, pmdSlot.index]
        if pmd.isNone { return .pmdNone }
        if pmd.isHuge { return .pmdMapped }
        guard pmd.hardwarePresent, let index = mm(mmID).vmas.index(containing: haddr) else { return .pmdNull }
        let vma = vma(mmID, index)
        let table = PageTableArena.child(of: pmd)
        var writable = false
        var swapped = 0
        for slot in 0..<512 {
            let pte = pageTables[table, slot]
            if let entry = SwapEntry(pte: pte) {
                guard case .swap = entry.kind else { return .pteNonPresent }
                if entry.uffdWP { return .pteUffdWP }
                swapped += 1
                continue
            }
            if pte.isNone || (pte.isSpecial && pages.isZero(pte.pfn)) {
                if !vma.flags.intersection([.uffdMissing, .uffdWP]).isEmpty { return .exceedNonePTE }
                continue
            }
            if pte.contains(.uffdWP) { return .pteUffdWP }
            if pte.isWritable { writable = true }
            if pte.isSpecial { return .pageNull }
            let page = pages[pte.pfn]
            guard page.flags.contains(.anon) else { return .pageNotAnon }
            if page.refcount != page.mapcount { return .pageCount }
        }
        guard writable else { return .pageReadOnly }
        return collapseHugePage(mmID, index, pmdSlot, haddr, swapped: swapped)
    }

    /// Models `collapse_huge_page()`: a THP is allocated (ENOMEM's `SCAN_ALLOC_HUGE_PAGE_FAIL` if none), swapped-out
    /// pages are read back first (`__collapse_huge_page_swapin()`), the PMD is cleared with an immediate flush of its
    /// 2 MiB (`pmdp_collapse_flush()`), the contents are copied (empty and zero-page entries give zeroes), the small
    /// pages lose this mapping, and the PMD maps the new THP dirty and, in a writable VMA, writable. The old PTE table
    /// is freed (the kernel deposits it for a later split; the model allocates one when it splits).
    private mutating func collapseHugePage(
        _ mmID: MMID, _ index: Int, _ pmdSlot: EntrySlot, _ haddr: UInt64, swapped: Int
    ) -> CollapseResult {
        guard let head = allocateHugePage() else { return .allocFailed }
        let table = PageTableArena.child(of: pageTables[pmdSlot.table, pmdSlot.index])
        if swapped > 0 {
            for slot in 0..<512 where SwapEntry(pte: pageTables[table, slot]) != nil {
                let address = haddr + UInt64(slot) << PageGeometry.pageShift
                let entrySlot = EntrySlot(table: table, index: slot)
                guard doSwapPage(mmID, vma(mmID, index), entrySlot, address, pageTables[table, slot]) == .swapIn else {
                    pages.put(head)
                    return .fail
                }
            }
        }
        let vma = vma(mmID, index)
        pageTables[pmdSlot.table, pmdSlot.index] = .none
        flushTLBRange(
            initiator: runningCPU(of: mmID), mm: mmID, start: haddr, end: haddr + PageGeometry.pmdSize,
            freedTables: config.flushRangeFreesTables)
        var filled: Int64 = 0
        for slot in 0..<512 {
            let pte = pageTables[table, slot]
            let target = PFN(head.rawValue + UInt64(slot))
            if pte.isNone || pte.isSpecial {
                filled += 1
                continue
            }
            memory.copy(from: pte.pfn, to: target)
            pages[pte.pfn].mapcount -= 1
            if pages[pte.pfn].mapcount == 0 { pages[pte.pfn].flags.remove(.anonExclusive) }
            pages.put(pte.pfn)
        }
        pageTables.free(table)
        addNewAnonRmap(head, anonVMAPrepare(mmID, index))
        pageTables[pmdSlot.table, pmdSlot.index] = mkwriteDirty(PTE(pfn: head, flags: vma.pageProt.union(.pse)), vma)
        withMM(mmID) { $0.rss.anon += filled }
        return .succeed
    }
}
