import MMHardware

/// Mirrors `struct zap_details` (mm/memory.c): what a zap may leave in place.
struct ZapDetails: Hashable, Sendable {
    /// `ZAP_FLAG_DROP_MARKER`: PTE markers go too (unmapping and exit). Without it guard markers survive, and so do
    /// uffd-wp markers in file VMAs.
    var dropMarkers: Bool
    /// `even_cows`, as `should_zap_cows()` reads it: private anonymous pages (COW copies), swap entries and poison
    /// go too. `unmap_mapping_range()` (a file's truncation or hole punch) clears it to keep COW copies.
    var evenCOWs: Bool
    /// `reclaim_pt` (`CONFIG_PT_RECLAIM`, on for x86-64 since 6.14): a PTE table the zap covers whole and leaves
    /// empty is freed too.
    var reclaimPT = false

    /// `unmap_vmas()`: munmap, MAP_FIXED replacement and exit.
    static let unmap = ZapDetails(dropMarkers: true, evenCOWs: true)
    /// `zap_page_range_single()` with no details: everything but markers.
    static let keepMarkers = ZapDetails(dropMarkers: false, evenCOWs: true)
    /// `madvise_dontneed_single_vma()`: everything but markers, and the page tables left empty.
    static let dontNeed = ZapDetails(dropMarkers: false, evenCOWs: true, reclaimPT: true)
    /// `unmap_mapping_range(..., even_cows = 0)`: the file's pages only.
    static let fileOnly = ZapDetails(dropMarkers: false, evenCOWs: false)
}

extension Machine {
    /// Models `unmap_page_range()` → `zap_pmd_range()` → `zap_pte_range()`/`zap_huge_pmd()` for one VMA: clears every
    /// entry in `[start, end)` that `details` lets go (`zap_present_ptes()`, `zap_nonpresent_ptes()`), records each
    /// cleared present entry in the gather, and queues the mapped pages for release after the flush. A huge PMD only
    /// partly covered is split first.
    mutating func zapRange(
        _ gather: inout MMUGather, _ vma: VMA, _ start: UInt64, _ end: UInt64, details: ZapDetails = .unmap
    ) {
        gather.startVMA(vma)
        for step in pmdSteps(gather.mm, start, end) {
            let pmd = pageTables[step.slot.table, step.slot.index]
            if pmd.isHuge && pmd.isPresent {
                if step.end - step.start == PageGeometry.pmdSize {
                    // zap_huge_pmd(): without even_cows an anonymous THP (a COW copy) stays.
                    if !details.evenCOWs && !pages.isZero(pmd.pfn) && pages[pmd.pfn].flags.contains(.anon) {
                        continue
                    }
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
                let address = PageGeometry.alignDown(step.start, PageGeometry.pmdSize) + UInt64(index) << 12
                if pte.isPresent {
                    // should_zap_folio(): without even_cows only the file's own pages (and the zero page) go.
                    if !details.evenCOWs && !pte.isSpecial && pages[pte.pfn].flags.contains(.anon) { continue }
                    pageTables[table, index] = .none
                    gather.flushPTERange(address, PageGeometry.pageSize)
                    if !pte.isSpecial { releaseMapping(&gather, pte.pfn, dirty: pte.isDirty, vma) }
                } else if let entry = SwapEntry(pte: pte), zapsNonPresent(entry, vma, details) {
                    pageTables[table, index] = .none
                    if case .swap = entry.kind { swapSlots[entry.offset] = nil }
                }
            }
            if details.reclaimPT && step.end - step.start == PageGeometry.pmdSize {
                reclaimEmptyPTETable(&gather, step.slot, table, step.start)
            }
        }
        tlbEndVMA(&gather, vma)
    }

    /// Models the page-table reclaim at the end of `zap_pte_range()` (`try_get_and_clear_pmd()`/`try_to_free_pte()`,
    /// then `free_pte()` → `pte_free_tlb()`): a PTE table whose 512 entries are all empty is unhooked from its PMD and
    /// freed after the flush, which then carries `freed_tables`.
    private mutating func reclaimEmptyPTETable(
        _ gather: inout MMUGather, _ slot: EntrySlot, _ table: TableID, _ address: UInt64
    ) {
        for index in 0..<512 where !pageTables[table, index].isNone { return }
        pageTables[slot.table, slot.index] = .none
        gather.flushPMDRange(address, PageGeometry.pageSize)
        gather.freedTables = true
        gather.tables.append(table)
    }

    /// Models the choice `zap_nonpresent_ptes()` makes for one non-present entry: swap entries and poison go only
    /// with even_cows; migration and device entries unless they stand for an anonymous page that must stay; a uffd-wp
    /// marker always in anonymous VMAs and in file VMAs only when markers are dropped; a guard marker only when
    /// markers are dropped.
    func zapsNonPresent(_ entry: SwapEntry, _ vma: VMA, _ details: ZapDetails) -> Bool {
        switch entry.kind {
        case .swap, .hwPoison:
            return details.evenCOWs
        case .migrationRead, .migrationReadExclusive, .migrationWrite, .deviceRead, .deviceWrite, .deviceExclusive:
            guard !details.evenCOWs, Int(entry.offset) < pages.pages.count else { return true }
            return !pages[PFN(entry.offset)].flags.contains(.anon)
        case .marker:
            let marker = PTEMarker(rawValue: entry.offset)
            if marker.contains(.uffdWP) { return vma.isAnonymous || details.dropMarkers }
            if marker.contains(.guardRegion) { return details.dropMarkers }
            return details.evenCOWs
        }
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
