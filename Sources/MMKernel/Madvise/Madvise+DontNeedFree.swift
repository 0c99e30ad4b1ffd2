import MMHardware

extension Machine {
    /// Models `madvise_dontneed_free()`: `madvise_dontneed_free_valid_vma()` first (EINVAL for PFN-mapped VMAs,
    /// locked ones unless the advice is DONTNEED_LOCKED, and for hugetlb anything but the DONTNEED forms or a start
    /// not aligned to the huge page, whose end is then rounded down), then the zap or the lazy-free walk into the
    /// call's shared mmu_gather. (`userfaultfd_remove()` only matters with a UFFD_EVENT_REMOVE reader, which the
    /// model does not have.)
    mutating func madviseDontNeedFree(_ behaviour: inout MadviseBehaviour, _ index: Int) throws(KernelErrno) {
        let vma = vma(behaviour.mm, index)
        let advice = behaviour.advice
        if vma.flags.contains(.hugetlb) {
            guard advice != .free, behaviour.start & (PageGeometry.pmdSize - 1) == 0 else { throw .EINVAL }
            behaviour.end = PageGeometry.alignDown(behaviour.end, PageGeometry.pmdSize)
        } else {
            var forbidden: VMFlags = .pfnMap
            if advice != .dontNeedLocked { forbidden.insert(.locked) }
            guard vma.flags.intersection(forbidden).isEmpty else { throw .EINVAL }
        }
        if behaviour.start == behaviour.end { return }
        guard var gather = behaviour.tlb else { preconditionFailure("DONTNEED and FREE run with the call's gather") }
        defer { behaviour.tlb = gather }
        if advice == .free {
            // madvise_free_single_vma(): MADV_FREE works on anonymous memory only.
            guard vma.isAnonymous else { throw .EINVAL }
            markLazyFree(&gather, vma, behaviour.start, behaviour.end)
        } else {
            // madvise_dontneed_single_vma(): a zap that leaves guard markers in place and frees the PTE tables it
            // empties whole.
            zapRange(&gather, vma, behaviour.start, behaviour.end, details: .dontNeed)
        }
    }

    /// Models `madvise_free_pte_range()` with `madvise_free_huge_pmd()`: swap entries and poison are simply cleared
    /// (a later fault zero-fills, which is cheaper than swapping in); a THP wholly in the range and mapped only here is
    /// made clean and old in place (`pmdp_invalidate()` flushes it at once) and marked lazily freeable, one only partly
    /// covered is split first; each normal page becomes lazily freeable with its PTE made clean and old (recorded for
    /// the flush), except that a page already dirty at the folio level is left alone while another process maps it.
    /// The zero page is skipped.
    mutating func markLazyFree(_ gather: inout MMUGather, _ vma: VMA, _ start: UInt64, _ end: UInt64) {
        gather.startVMA(vma)
        for step in pmdSteps(gather.mm, start, end) {
            let pmd = pageTables[step.slot.table, step.slot.index]
            if pmd.isHuge && pmd.hardwarePresent {
                if pages.isZero(pmd.pfn) || pages[pmd.pfn].mapcount > 1 { continue }
                let haddr = PageGeometry.alignDown(step.start, PageGeometry.pmdSize)
                if step.end - step.start == PageGeometry.pmdSize {
                    freeHugePMDLazily(&gather, step.slot, haddr)
                    continue
                }
                splitHugePMD(gather.mm, vma, step.slot, haddr)
            }
            guard let table = existingPTESlot(gather.mm, step.start)?.table else { continue }
            let base = PageGeometry.alignDown(step.start, PageGeometry.pmdSize)
            let first = PageGeometry.index(step.start, level: 1)
            let count = Int((step.end - step.start) >> PageGeometry.pageShift)
            for index in first..<(first + count) {
                let pte = pageTables[table, index]
                if pte.isNone { continue }
                guard pte.isPresent else {
                    if let entry = SwapEntry(pte: pte), Machine.lazyFreeClears(entry) {
                        if case .swap = entry.kind { swapSlots[entry.offset] = nil }
                        pageTables[table, index] = .none
                    }
                    continue
                }
                guard !pte.isSpecial else { continue }
                let page = pages[pte.pfn]
                if page.flags.contains(.dirty) && page.mapcount != 1 { continue }
                pages[pte.pfn].flags.remove(.dirty)
                if pte.isDirty || pte.isAccessed {
                    pageTables[table, index] = pte.clearing([.dirty, .accessed])
                    gather.flushPTERange(base + UInt64(index) << PageGeometry.pageShift, PageGeometry.pageSize)
                }
                // folio_mark_lazyfree(): only swap-backed anonymous memory becomes lazily freeable.
                if page.flags.contains(.anon) { pages[pte.pfn].flags.insert(.lazyFree) }
            }
        }
        tlbEndVMA(&gather, vma)
    }

    /// The non-present entries `madvise_free_pte_range()` clears: real swap entries, hwpoison and poison markers.
    static func lazyFreeClears(_ entry: SwapEntry) -> Bool {
        switch entry.kind {
        case .swap, .hwPoison: return true
        case .marker: return PTEMarker(rawValue: entry.offset).contains(.poisoned)
        default: return false
        }
    }

    /// The whole-THP half of `madvise_free_huge_pmd()`: the folio is made clean, and a young or dirty PMD is
    /// invalidated with an immediate flush of its 2 MiB (`pmdp_invalidate()`), rewritten old and clean, and recorded
    /// in the gather (`tlb_remove_pmd_tlb_entry()`).
    private mutating func freeHugePMDLazily(_ gather: inout MMUGather, _ slot: EntrySlot, _ haddr: UInt64) {
        let pmd = pageTables[slot.table, slot.index]
        pages[pmd.pfn].flags.remove(.dirty)
        if pmd.isDirty || pmd.isAccessed {
            pageTables[slot.table, slot.index] = pmd.clearing([.present, .protNone])
            flushTLBRange(
                initiator: gather.cpu, mm: gather.mm, start: haddr, end: haddr + PageGeometry.pmdSize,
                freedTables: config.flushRangeFreesTables)
            pageTables[slot.table, slot.index] = pmd.clearing([.dirty, .accessed])
            gather.flushPMDRange(haddr, PageGeometry.pmdSize)
        }
        pages[pmd.pfn].flags.insert(.lazyFree)
    }
}
