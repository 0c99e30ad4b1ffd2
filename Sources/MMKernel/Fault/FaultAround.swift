import MMHardware

extension KernelConfig {
    /// The fault-around window in pages that `faultAroundBytes` gives. Models `fault_around_bytes_set()` in
    /// mm/memory.c: the largest power of two of pages not above the setting, at least one page (which turns
    /// fault-around off) and at most a PTE table's 512.
    public var faultAroundPages: UInt64 {
        let pages = min(faultAroundBytes >> PageGeometry.pageShift, UInt64(PageGeometry.entriesPerTable))
        guard pages > 1 else { return 1 }
        return 1 << (63 - UInt64(pages.leadingZeroBitCount))
    }
}

extension Machine {
    /// Models `should_fault_around()` in mm/memory.c: every file the model maps has `->map_pages`
    /// (`filemap_map_pages()`, which shmem uses too), so a read fault faults around unless the VMA is registered
    /// for uffd write-protection (`uffd_disable_fault_around()`; the model has no minor-fault registration) or the
    /// window is a single page.
    func shouldFaultAround(_ vma: VMA) -> Bool {
        vma.file != nil && !vma.flags.contains(.uffdWP) && config.faultAroundPages > 1
    }

    /// Models `do_fault_around()` in mm/memory.c for a read fault at `address` whose PTE is `slot`: the window is
    /// `faultAroundPages` PTEs aligned to that size in the virtual address space, clamped to the VMA and to the
    /// PTE table (the PMD's 2 MiB), and `filemap_map_pages()` maps what the page cache holds there. Returns whether
    /// the faulting page itself was mapped (`VM_FAULT_NOPAGE`), which ends the fault.
    mutating func doFaultAround(_ mmID: MMID, _ index: Int, _ slot: EntrySlot, _ address: UInt64) -> Bool {
        let vma = mm(mmID).vmas[index]
        let window = config.faultAroundPages
        let pteOffset = UInt64(slot.index)
        let vmaOffset = (address - vma.start) >> PageGeometry.pageShift
        let first = max(PageGeometry.alignDown(pteOffset, window), pteOffset - min(pteOffset, vmaOffset))
        let last =
            min(first + window, UInt64(PageGeometry.entriesPerTable), pteOffset + vma.pages - vmaOffset) - 1
        return filemapMapPages(mmID, vma, slot, faultPage: vma.filePage(of: address), first: first, last: last)
    }

    /// Models `filemap_map_pages()` in mm/filemap.c over PTEs `first...last` of the faulting PTE's table (which
    /// maps file page `faultPage`): each
    /// file page below the end of the file that the page cache holds, that no readahead has marked
    /// (`next_uptodate_folio()` leaves a `PG_readahead` page to the fault handler, so that it starts the next
    /// window) and whose PTE is none (a marker, a swap or hwpoison entry, a present page all stay) is mapped as a
    /// read fault maps it. Every cached page it looks at counts as a hit against the file's `mmap_miss`.
    /// Returns whether the faulting PTE was mapped.
    mutating func filemapMapPages(
        _ mmID: MMID, _ vma: VMA, _ slot: EntrySlot, faultPage: UInt64, first: UInt64, last: UInt64
    ) -> Bool {
        guard let file = vma.file else { return false }
        let pteOffset = UInt64(slot.index)
        var hits: UInt16 = 0
        var mappedFault = false
        for offset in first...last {
            let page = faultPage + offset - pteOffset
            guard page < files[file.rawValue].sizePages else { break }
            guard let pfn = files[file.rawValue].pageCache[page], !pages[pfn].flags.contains(.readahead) else {
                continue
            }
            hits &+= 1
            let target = EntrySlot(table: slot.table, index: Int(offset))
            guard pageTables[target.table, target.index].isNone else { continue }
            mapFilePage(mmID, vma, target, pfn, write: false)
            if offset == pteOffset { mappedFault = true }
        }
        let miss = files[file.rawValue].readahead.mmapMiss
        files[file.rawValue].readahead.mmapMiss = hits >= miss ? 0 : miss - hits
        return mappedFault
    }

    /// Models `set_pte_range()` in mm/memory.c for one page-cache page mapped in place of a none PTE: the VMA's
    /// protection (on x86 it carries `_PAGE_ACCESSED`, so the PTE is young whether the page faulted or was mapped
    /// around it, as `arch_wants_old_prefaulted_pte()` is false); a write fault makes it dirty and writable; a
    /// writable PTE of a folio already dirty is made dirty too (since 6.15). The page gains a mapping and a
    /// reference, and the mm's file or shmem RSS a page.
    mutating func mapFilePage(_ mmID: MMID, _ vma: VMA, _ slot: EntrySlot, _ pfn: PFN, write: Bool) {
        pages.get(pfn)
        pages[pfn].mapcount += 1
        var pte = PTE(pfn: pfn, flags: vma.pageProt)
        if write {
            pte = mkwriteDirty(pte, vma)
            pages[pfn].flags.insert(.dirty)
        } else if pte.isWritable && pages[pfn].flags.contains(.dirty) {
            pte = mkdirty(pte)
        }
        pageTables[slot.table, slot.index] = pte
        adjustRSS(mmID, pages[pfn].flags, vma, by: 1)
    }
}
