import MMHardware

extension Machine {
    /// Models `madvise_cold()`: EINVAL for locked, PFN-mapped or hugetlb VMAs (`can_madv_lru_vma()`); then every page
    /// mapped only here is made old (`madvise_cold_or_pageout_pte_range()` without `pageout`): young PTEs lose their
    /// accessed bit and are recorded for the flush, a young THP wholly in the range is invalidated with an immediate
    /// flush and made old, one only partly covered is split first. Deactivating the pages on the LRU has no effect
    /// the model shows.
    mutating func madviseCold(_ behaviour: MadviseBehaviour, _ index: Int) throws(KernelErrno) {
        let vma = vma(behaviour.mm, index)
        guard Machine.canMadviseLRU(vma) else { throw .EINVAL }
        var gather = tlbGatherMMU(mm: behaviour.mm, cpu: runningCPU(of: behaviour.mm))
        gather.startVMA(vma)
        for step in pmdSteps(behaviour.mm, behaviour.start, behaviour.end) {
            let haddr = PageGeometry.alignDown(step.start, PageGeometry.pmdSize)
            let pmd = pageTables[step.slot.table, step.slot.index]
            if pmd.isHuge && pmd.hardwarePresent {
                if pages.isZero(pmd.pfn) || pages[pmd.pfn].mapcount > 1 { continue }
                if step.end - step.start == PageGeometry.pmdSize {
                    if pmd.isAccessed {
                        invalidateHugePMD(gather.mm, step.slot, haddr)
                        pageTables[step.slot.table, step.slot.index] = pmd.clearing(.accessed)
                        gather.flushPMDRange(haddr, PageGeometry.pmdSize)
                    }
                    continue
                }
                splitHugePMD(gather.mm, vma, step.slot, haddr)
            }
            guard let table = existingPTESlot(gather.mm, step.start)?.table else { continue }
            for (slotIndex, address) in Machine.pteIndices(step) {
                let pte = pageTables[table, slotIndex]
                guard pte.hardwarePresent, !pte.isSpecial, pages[pte.pfn].mapcount == 1, pte.isAccessed else {
                    continue
                }
                pageTables[table, slotIndex] = pte.clearing(.accessed)
                gather.flushPTERange(address, PageGeometry.pageSize)
            }
        }
        tlbEndVMA(&gather, vma)
        tlbFinishMMU(&gather)
    }

    /// Models `madvise_pageout()`: EINVAL as for COLD; then each page mapped only here is reclaimed at once
    /// (`reclaim_pages()` → `shrink_folio_list()`, references ignored). What that does depends on the page and on
    /// whether the machine has swap (`KernelConfig.swapFrames`, none by default):
    /// - swap-backed anonymous memory is written to a free swap slot, its PTE becoming a swap entry, or stays as it
    ///   is when there is no swap (no slot, `folio_alloc_swap()` fails); a THP is split either way, since a swap-less
    ///   large folio is split to fall back to small pages;
    /// - lazily freeable memory (after MADV_FREE) that is still clean is discarded, so the next access finds a
    ///   demand-zero page; written since, it becomes ordinary anonymous memory again and stays;
    /// - file pages are unmapped, and dropped from the page cache if clean; dirty ones stay cached, since only kswapd
    ///   writes file pages back.
    /// Unmapping is flushed once per page-table walk step, with a full flush of the mm (`try_to_unmap_flush()` of a
    /// TLB batch). The caller is taken to own, or be able to write, every file it maps (`can_do_file_pageout()`).
    mutating func madvisePageOut(_ behaviour: MadviseBehaviour, _ index: Int) throws(KernelErrno) {
        let vma = vma(behaviour.mm, index)
        guard Machine.canMadviseLRU(vma) else { throw .EINVAL }
        let mmID = behaviour.mm
        for step in pmdSteps(mmID, behaviour.start, behaviour.end) {
            let haddr = PageGeometry.alignDown(step.start, PageGeometry.pmdSize)
            let pmd = pageTables[step.slot.table, step.slot.index]
            var unmapped = false
            if pmd.isHuge && pmd.hardwarePresent {
                if pages.isZero(pmd.pfn) || pages[pmd.pfn].mapcount > 1 { continue }
                if step.end - step.start == PageGeometry.pmdSize && pages[pmd.pfn].flags.contains(.lazyFree) {
                    unmapped = reclaimLazyFreeHugePMD(mmID, vma, step.slot)
                    if unmapped { flushTLBBatch(mmID) }
                    continue
                }
                splitHugePMD(mmID, vma, step.slot, haddr)
            }
            guard let table = existingPTESlot(mmID, step.start)?.table else { continue }
            for (slotIndex, _) in Machine.pteIndices(step) {
                let pte = pageTables[table, slotIndex]
                guard pte.hardwarePresent, !pte.isSpecial, pages[pte.pfn].mapcount == 1 else { continue }
                // A large file folio must be split first (split_folio()), which fails while it is dirty with buffers
                // (ext4 after a write): the folio is skipped and stays mapped.
                if let file = fileOwning(pte.pfn), files[file.rawValue].largeFolio { continue }
                if reclaimPage(mmID, vma, EntrySlot(table: table, index: slotIndex), pte) { unmapped = true }
            }
            if unmapped { flushTLBBatch(mmID) }
        }
    }

    /// Models `can_madv_lru_vma()`.
    static func canMadviseLRU(_ vma: VMA) -> Bool { vma.flags.intersection([.locked, .pfnMap, .hugetlb]).isEmpty }

    /// The PTE slots of one walk step and their addresses.
    static func pteIndices(_ step: PMDStep) -> [(Int, UInt64)] {
        let base = PageGeometry.alignDown(step.start, PageGeometry.pmdSize)
        let first = PageGeometry.index(step.start, level: 1)
        let count = Int((step.end - step.start) >> PageGeometry.pageShift)
        return (first..<(first + count)).map { ($0, base + UInt64($0) << PageGeometry.pageShift) }
    }

    /// Models `pmdp_invalidate()`: the PMD is made non-present and its 2 MiB flushed at once (on x86 a 4 KiB-stride
    /// range flush, and so a full one); the caller writes the new PMD.
    mutating func invalidateHugePMD(_ mmID: MMID, _ slot: EntrySlot, _ haddr: UInt64) {
        pageTables[slot.table, slot.index] = pageTables[slot.table, slot.index].clearing([.present, .protNone])
        flushTLBRange(
            initiator: runningCPU(of: mmID), mm: mmID, start: haddr, end: haddr + PageGeometry.pmdSize,
            freedTables: config.flushRangeFreesTables)
    }

    /// Models `try_to_unmap_flush()` after `TTU_BATCH_FLUSH` unmaps (`arch_tlbbatch_flush()`): a full flush of the
    /// CPUs that may cache the mm, lazy ones left alone (no page table was freed).
    private mutating func flushTLBBatch(_ mmID: MMID) {
        flushTLBMMRange(
            initiator: runningCPU(of: mmID), mm: mmID, start: 0, end: tlbFlushAll, strideShift: 0,
            freedTables: false)
    }

    /// Models `shrink_folio_list()` for one small folio mapped by one PTE: returns whether the PTE was unmapped (and
    /// so needs the batch flush).
    private mutating func reclaimPage(_ mmID: MMID, _ vma: VMA, _ slot: EntrySlot, _ pte: PTE) -> Bool {
        let pfn = pte.pfn
        var page = pages[pfn]
        if page.flags.contains(.anon) && vma.flags.contains(.droppable) {
            // A droppable VMA's anonymous folios are not swap-backed (folio_add_new_anon_rmap()): reclaim discards
            // them, written or not (try_to_unmap_one()), with or without swap.
            pageTables[slot.table, slot.index] = .none
            unmapAndPut(mmID, vma, pfn)
            return true
        }
        if page.flags.contains(.anon) && !page.flags.contains(.lazyFree) {
            guard let offset = freeSwapSlot() else { return false }
            swapSlots[offset] = memory.read(pfn)
            let entry = SwapEntry(
                kind: .swap(type: 0), offset: offset, softDirty: pte.contains(.softDirty),
                uffdWP: pte.contains(.uffdWP),
                exclusive: page.flags.contains(.anonExclusive))
            pageTables[slot.table, slot.index] = entry.pte
            unmapAndPut(mmID, vma, pfn)
            return true
        }
        if page.flags.contains(.anon) {
            // try_to_unmap_one() on a lazily freeable folio: written since MADV_FREE, it is swap-backed again.
            if pte.isDirty || page.flags.contains(.dirty) {
                pages[pfn].flags.remove(.lazyFree)
                return false
            }
            pageTables[slot.table, slot.index] = .none
            unmapAndPut(mmID, vma, pfn)
            return true
        }
        // A page-cache page: unmapped, the PTE's dirty bit moving to the folio; dropped unless dirty.
        pageTables[slot.table, slot.index] = .none
        if pte.isDirty { page.flags.insert(.dirty) }
        pages[pfn] = page
        unmapAndPut(mmID, vma, pfn)
        if !page.flags.contains(.dirty), let file = fileOwning(pfn) {
            let index = files[file.rawValue].pageCache.first(where: { $0.value == pfn })?.key
            if let index {
                files[file.rawValue].pageCache[index] = nil
                pages.put(pfn)
            }
        }
        return true
    }

    /// The lazily-freeable THP half of `try_to_unmap_one()` (`unmap_huge_pmd_locked()`): a clean PMD-mapped
    /// lazyfree THP is discarded whole; a dirty one becomes ordinary anonymous memory again and stays.
    private mutating func reclaimLazyFreeHugePMD(_ mmID: MMID, _ vma: VMA, _ slot: EntrySlot) -> Bool {
        let pmd = pageTables[slot.table, slot.index]
        if pmd.isDirty || pages[pmd.pfn].flags.contains(.dirty) {
            pages[pmd.pfn].flags.remove(.lazyFree)
            return false
        }
        pageTables[slot.table, slot.index] = .none
        let flags = pages[pmd.pfn].flags
        for frame in pages.pmdAccountedFrames(pmd.pfn) {
            pages[frame].mapcount -= 1
            if pages[frame].mapcount == 0 { pages[frame].flags.remove(.anonExclusive) }
            pages.put(frame)
        }
        adjustRSS(mmID, flags, vma, by: -512)
        return true
    }

    /// Drops one mapping of `pfn` and its reference (the unmap half of reclaim, after which the batch flush runs
    /// before the frame can be reused by anyone: the model frees at once, which no CPU can observe before the flush
    /// because the model runs the call to completion).
    private mutating func unmapAndPut(_ mmID: MMID, _ vma: VMA, _ pfn: PFN) {
        pages[pfn].mapcount -= 1
        if pages[pfn].mapcount == 0 { pages[pfn].flags.remove(.anonExclusive) }
        adjustRSS(mmID, pages[pfn].flags, vma, by: -1)
        pages.put(pfn)
    }

    /// The file whose page cache holds `pfn`.
    private func fileOwning(_ pfn: PFN) -> FileID? {
        let page = pages[pfn]
        guard page.flags.contains(.pageCache), Int(page.owner) < files.count else { return nil }
        return FileID(rawValue: Int(page.owner))
    }

    /// Models `folio_alloc_swap()` for one page: the lowest free slot of the swap device (slot 0 holds the swap
    /// header), or nil when there is no swap or it is full.
    private func freeSwapSlot() -> UInt64? {
        guard config.swapFrames > 0, swapSlots.count < config.swapFrames else { return nil }
        return lowestUnusedSwapSlot()
    }

    /// The lowest slot number above the header that holds nothing.
    private func lowestUnusedSwapSlot() -> UInt64 {
        var offset: UInt64 = 1
        while swapSlots[offset] != nil { offset += 1 }
        return offset
    }

    /// Stands in for `swap_duplicate()` at fork: the kernel counts a second reference to the slot; the model, which
    /// keeps one owner per slot, copies the contents to a slot of the child's own (so that either side may drop or
    /// read back its copy independently). Returns the child's slot.
    mutating func duplicateSwapSlot(_ offset: UInt64) -> UInt64 {
        let copy = lowestUnusedSwapSlot()
        swapSlots[copy] = swapSlots[offset] ?? 0
        return copy
    }
}
