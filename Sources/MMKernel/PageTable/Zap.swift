import MMHardware

extension Machine {
    /// Models `unmap_page_range()` → `zap_pmd_range()` → `zap_pte_range()`/`zap_huge_pmd()` for one VMA: clears every
    /// entry in `[start, end)`, records each cleared present entry in the gather, and queues the mapped pages for
    /// release after the flush. A huge PMD only partly covered is split first.
    mutating func zapRange(_ gather: inout MMUGather, _ vma: VMA, _ start: UInt64, _ end: UInt64) {
        gather.startVMA(vma)
        for step in pmdSteps(gather.mm, start, end) {
            let pmd = pageTables[step.slot.table, step.slot.index]
            if pmd.isHuge && pmd.isPresent {
                if step.end - step.start == PageGeometry.pmdSize {
                    pageTables[step.slot.table, step.slot.index] = .none
                    gather.flushPMDRange(step.start, PageGeometry.pmdSize)
                    releaseHugeMapping(&gather, pmd, vma)
                    continue
                }
                splitHugePMD(gather.mm, vma, step.slot, PageGeometry.alignDown(step.start, PageGeometry.pmdSize))
            } else if !pmd.hardwarePresent {
                // A PMD migration entry covering the range: dropped like a PTE-level one.
                if step.end - step.start == PageGeometry.pmdSize {
                    pageTables[step.slot.table, step.slot.index] = .none
                }
                continue
            }
            let table = PageTableArena.child(of: pageTables[step.slot.table, step.slot.index])
            let first = PageGeometry.index(step.start, level: 1)
            let count = Int((step.end - step.start) >> PageGeometry.pageShift)
            for index in first..<(first + count) {
                let pte = pageTables[table, index]
                if pte.isNone { continue }
                pageTables[table, index] = .none
                let address = PageGeometry.alignDown(step.start, PageGeometry.pmdSize) + UInt64(index) << 12
                if pte.isPresent {
                    gather.flushPTERange(address, PageGeometry.pageSize)
                    if !pte.isSpecial { releaseMapping(&gather, pte.pfn, dirty: pte.isDirty, vma) }
                } else if let swap = SwapEntry(pte: pte), case .swap = swap.kind {
                    swapSlots[swap.offset] = nil
                }
            }
        }
        tlbEndVMA(&gather, vma)
    }

    /// Models `folio_remove_rmap_pte()` + `tlb_remove_page()`: one mapping of `pfn` goes away; its reference is
    /// dropped only after the TLB flush.
    mutating func releaseMapping(_ gather: inout MMUGather, _ pfn: PFN, dirty: Bool, _ vma: VMA) {
        guard !pages.isZero(pfn) else { return }
        var page = pages[pfn]
        page.mapcount -= 1
        if dirty { page.flags.insert(.dirty) }
        if page.mapcount == 0 { page.flags.remove(.anonExclusive) }
        pages[pfn] = page
        adjustRSS(gather.mm, page.flags, vma, by: -1)
        tlbRemovePage(&gather, pfn)
    }

    /// The huge-PMD counterpart of `releaseMapping` (`zap_huge_pmd()`). A PMD that maps an already-split folio
    /// holds a mapping and a reference on each of its 512 frames, so each is released.
    mutating func releaseHugeMapping(_ gather: inout MMUGather, _ pmd: PTE, _ vma: VMA) {
        let head = pmd.pfn
        guard !pages.isZero(head) else { return }
        let flags = pages[head].flags
        for pfn in pages.pmdAccountedFrames(head) {
            pages[pfn].mapcount -= 1
            if pages[pfn].mapcount == 0 { pages[pfn].flags.remove(.anonExclusive) }
            tlbRemovePage(&gather, pfn)
        }
        adjustRSS(gather.mm, flags, vma, by: -512)
    }

    /// Keeps `MM_ANONPAGES`/`MM_FILEPAGES`/`MM_SHMEMPAGES` in step with mappings.
    mutating func adjustRSS(_ mmID: MMID, _ flags: PageFlags, _ vma: VMA, by delta: Int64) {
        let shmem = vma.file.map { files[$0.rawValue].isShmem } ?? false
        withMM(mmID) { mm in
            if flags.contains(.anon) {
                mm.rss.anon += delta
            } else if shmem {
                mm.rss.shmem += delta
            } else {
                mm.rss.file += delta
            }
        }
    }
}
