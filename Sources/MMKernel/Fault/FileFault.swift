import MMHardware

extension Machine {
    /// Models `do_fault()` for file-backed and shmem VMAs: `do_read_fault()` first maps the cached pages around the
    /// address (`do_fault_around()`) and is done if that mapped the faulting page; otherwise, and for write faults,
    /// `__do_fault()` finds the page (``filemapFault(_:_:_:tried:)``), retrying once when that had to read, and then
    /// `do_read_fault()` maps the page-cache page, `do_cow_fault()` copies it into a private anonymous page,
    /// `do_shared_fault()` maps it writable and dirty. Fault-around comes before the end-of-file check, as in the
    /// kernel, so a fault beyond the end can still map the cached pages before it and then raise SIGBUS.
    ///
    /// `tableExisted` says whether a page table covered the address before the fault: for a large folio that
    /// reaches the file's end, `filemap_map_pages()` neither maps it whole nor installs a missing page table
    /// (74207de2ba10), so without one fault-around maps nothing.
    mutating func doFault(
        _ mmID: MMID, _ index: Int, _ slot: EntrySlot, _ address: UInt64, write: Bool, tableExisted: Bool = true
    )
        -> FaultResolution
    {
        let vma = mm(mmID).vmas[index]
        guard let file = vma.file else { return .sigbus }
        // do_cow_fault() prepares the anon_vma before it asks the file for the page, so a private write past the
        // end still leaves the VMA with one.
        if write && !vma.flags.contains(.shared) { _ = anonVMAPrepare(mmID, index) }
        let page = vma.filePage(of: address)
        let largeFolioWithoutTable = files[file.rawValue].largeFolio && !files[file.rawValue].isShmem && !tableExisted
        var tried = false
        var cached: PFN
        while true {
            if !write && shouldFaultAround(vma) && !largeFolioWithoutTable
                && doFaultAround(mmID, index, slot, address)
            {
                return .fileRead
            }
            guard page < files[file.rawValue].sizePages else { return .sigbus }
            // shmem_get_folio_gfp(): a page missing from the cache of a MISSING-registered VMA is the userfaultfd's
            // to supply.
            if vma.flags.contains(.uffdMissing) && files[file.rawValue].pageCache[page] == nil {
                return .userfaultMissing
            }
            switch filemapFault(vma, file, page, tried: tried) {
            case .outOfMemory: return .outOfMemory
            case .retry:
                tried = true
                continue
            case .page(let pfn): cached = pfn
            }
            break
        }
        if write && !vma.flags.contains(.shared) {
            let anonVMA = anonVMAPrepare(mmID, index)
            guard let copy = allocatePage() else { return .outOfMemory }
            memory.copy(from: cached, to: copy)
            addNewAnonRmap(copy, anonVMA)
            pageTables[slot.table, slot.index] = mkwriteDirty(PTE(pfn: copy, flags: vma.pageProt), vma)
            withMM(mmID) { $0.rss.anon += 1 }
            return .fileCopyOnWrite
        }
        mapFilePage(mmID, vma, slot, cached, write: write)
        mapRestOfFolio(mmID, vma, file, slot, address, write: write)
        return write ? .sharedWrite : .fileRead
    }

    /// Models 6.18's `finish_fault()` for a large folio (19773df031bc, with 74207de2ba10's i_size rule): when the
    /// whole folio lies inside the VMA and inside the faulting page table, and every other PTE of it is none, the
    /// whole folio is mapped at once, as the faulting page was. The model's large folios hold a whole file, so
    /// they never cross the file's end.
    mutating func mapRestOfFolio(
        _ mmID: MMID, _ vma: VMA, _ file: FileID, _ slot: EntrySlot, _ address: UInt64, write: Bool
    ) {
        guard files[file.rawValue].largeFolio, !vma.flags.contains(.uffdWP) else { return }
        let size = files[file.rawValue].sizePages
        let page = vma.filePage(of: address)
        let pteOffset = Int64((address >> PageGeometry.pageShift) & 511)
        let vmaOffset = Int64((address - vma.start) >> PageGeometry.pageShift)
        let firstPTE = pteOffset - Int64(page)
        guard vmaOffset >= Int64(page), vmaOffset - Int64(page) + Int64(size) <= Int64(vma.pages), firstPTE >= 0,
            firstPTE + Int64(size) <= 512
        else { return }
        let others = (0..<size).filter { $0 != page }
        guard others.allSatisfy({ pageTables[slot.table, Int(firstPTE + Int64($0))].isNone }),
            others.allSatisfy({ files[file.rawValue].pageCache[$0] != nil })
        else { return }
        for other in others {
            let target = EntrySlot(table: slot.table, index: Int(firstPTE + Int64(other)))
            mapFilePage(mmID, vma, target, files[file.rawValue].pageCache[other]!, write: write)
        }
    }

    /// What the file's `->fault` handler gave.
    enum FilemapFaultResult {
        /// The page-cache page, found or read in.
        case page(PFN)
        /// The handler dropped the fault's lock to read (`VM_FAULT_RETRY`): the fault starts over.
        case retry
        /// No memory for the page.
        case outOfMemory
    }

    /// Models the `->fault` handler of the VMA's file for page `page`. shmem (`shmem_fault()`) finds or allocates
    /// the page without readahead or retry. A regular file (`filemap_fault()` in mm/filemap.c) on a page-cache hit
    /// runs `do_async_mmap_readahead()` (first attempt only) and retries if that read; on a miss it runs
    /// `do_sync_mmap_readahead()`, reads the page if readahead did not, and, on the first attempt, retries: the lock
    /// was dropped for the I/O (`maybe_unlock_mmap_for_io()`), so the retried fault faults around again and maps
    /// what the read brought in.
    mutating func filemapFault(_ vma: VMA, _ file: FileID, _ page: UInt64, tried: Bool) -> FilemapFaultResult {
        if files[file.rawValue].isShmem {
            guard let pfn = pageCachePage(file, page) else { return .outOfMemory }
            return .page(pfn)
        }
        if let pfn = files[file.rawValue].pageCache[page] {
            if !tried && doAsyncMmapReadahead(vma, file, page, pfn) { return .retry }
            return .page(pfn)
        }
        doSyncMmapReadahead(vma, file, page)
        guard let pfn = pageCachePage(file, page) else { return .outOfMemory }
        return tried ? .page(pfn) : .retry
    }

    /// Models `do_wp_page()`: a write to a present read-only PTE. Shared mappings are made writable after
    /// write-notify; an exclusive anonymous page is reused; anything else (the zero page, a page shared with a
    /// forked process, a private file page) is copied by `wp_page_copy()`.
    mutating func doWPPage(
        _ mmID: MMID, _ index: Int, _ slot: EntrySlot, _ address: UInt64, _ pte: PTE
    )
        -> FaultResolution
    {
        let vma = mm(mmID).vmas[index]
        if vma.flags.contains(.uffdWP) && pte.contains(.uffdWP) { return .userfault }
        if vma.flags.contains(.shared) {
            pageTables[slot.table, slot.index] = mkdirty(pte.setting([.writable, .accessed]))
            if !pte.isSpecial { pages[pte.pfn].flags.insert(.dirty) }
            return .writeNotify
        }
        if !pte.isSpecial {
            let page = pages[pte.pfn]
            if page.flags.contains(.anon)
                && (page.flags.contains(.anonExclusive) || (page.mapcount == 1 && page.refcount == 1))
            {
                pages[pte.pfn].flags.insert(.anonExclusive)
                pageTables[slot.table, slot.index] = mkdirty(pte.setting([.writable, .accessed]))
                return .reuse
            }
        }
        return wpPageCopy(mmID, index, slot, address, pte)
    }

    /// Models `wp_page_copy()`: allocates a new page, copies the old contents (or zeroes for the zero page), clears
    /// the old PTE with an immediate single-page flush (`ptep_clear_flush()`), maps the copy writable, and drops the
    /// old mapping. With the uffd-wp fix, a pending deferred flush on a uffd-wp VMA is forced first.
    mutating func wpPageCopy(
        _ mmID: MMID, _ index: Int, _ slot: EntrySlot, _ address: UInt64, _ pte: PTE
    )
        -> FaultResolution
    {
        let vma = mm(mmID).vmas[index]
        let page = PageGeometry.alignDown(address, PageGeometry.pageSize)
        let cpu = runningCPU(of: mmID)
        if config.uffdWPCopyFlushFix && vma.flags.contains(.uffdWP) && mm(mmID).tlbFlushPending > 0 {
            flushTLBRange(initiator: cpu, mm: mmID, start: page, end: page + PageGeometry.pageSize, freedTables: false)
        }
        let anonVMA = anonVMAPrepare(mmID, index)
        guard let copy = allocatePage() else { return .outOfMemory }
        let old = pte.pfn
        let wasFile = !pte.isSpecial && !pages[old].flags.contains(.anon)
        if !pte.isSpecial { memory.copy(from: old, to: copy) }
        addNewAnonRmap(copy, anonVMA)
        pageTables[slot.table, slot.index] = .none
        flushTLBRange(initiator: cpu, mm: mmID, start: page, end: page + PageGeometry.pageSize, freedTables: false)
        pageTables[slot.table, slot.index] = mkwriteDirty(PTE(pfn: copy, flags: vma.pageProt), vma)
        if !pte.isSpecial {
            pages[old].mapcount -= 1
            if pages[old].mapcount == 0 { pages[old].flags.remove(.anonExclusive) }
            adjustRSS(mmID, pages[old].flags, vma, by: -1)
            pages.put(old)
        }
        withMM(mmID) { $0.rss.anon += 1 }
        return wasFile ? .fileCopyOnWrite : .copyOnWrite
    }

    /// Models `do_swap_page()` and the migration-entry wait: a swapped page is read back; a migration or
    /// device-private entry is restored as the page it stands for, writable only if the entry was writable; a guard
    /// marker raises SIGSEGV, poison SIGBUS; a uffd-wp marker behaves as an empty PTE that stays write-protected.
    mutating func doSwapPage(
        _ mmID: MMID, _ vma: VMA, _ slot: EntrySlot, _ address: UInt64, _ pte: PTE, write: Bool = false
    )
        -> FaultResolution
    {
        guard let entry = SwapEntry(pte: pte) else { return .sigbus }
        var flags = vma.pageProt
        if entry.softDirty { flags.insert(.softDirty) }
        if entry.uffdWP { flags.insert(.uffdWP) }
        switch entry.kind {
        case .swap:
            guard let pfn = allocatePage() else { return .outOfMemory }
            memory.write(pfn, swapSlots[entry.offset] ?? 0)
            swapSlots[entry.offset] = nil
            let anonVMA = mm(mmID).vmas[mm(mmID).vmas.index(containing: address) ?? 0].anonVMA ?? newAnonVMA()
            addNewAnonRmap(pfn, anonVMA)
            if !entry.exclusive { pages[pfn].flags.remove(.anonExclusive) }
            pageTables[slot.table, slot.index] = PTE(pfn: pfn, flags: flags)
            withMM(mmID) { $0.rss.anon += 1 }
            return .swapIn
        case .migrationRead, .migrationReadExclusive, .migrationWrite, .deviceRead, .deviceWrite, .deviceExclusive:
            var restored = PTE(pfn: PFN(entry.offset), flags: flags)
            if entry.kind.isWritable && !entry.uffdWP { restored = restored.setting(.writable) }
            pageTables[slot.table, slot.index] = restored
            return .migrationRestore
        case .marker:
            // handle_pte_marker(): poison outranks a guard, and a guard is VM_FAULT_SIGSEGV, which x86's
            // mm_fault_error() delivers through bad_area_nosemaphore() as SEGV_MAPERR.
            let marker = PTEMarker(rawValue: entry.offset)
            if marker.contains(.poisoned) { return .sigbus }
            if marker.contains(.guardRegion) { return .segvMapError }
            // pte_marker_handle_uffd_wp(): on a file or shmem VMA still registered for uffd-wp the marker stands for
            // a write-protected page not yet populated: do_pte_missing() faults it in and set_pte_range() installs
            // it with uffd-wp (and so without write), so a write traps next. Elsewhere the marker is just cleared.
            if marker.contains(.uffdWP) && !vma.isAnonymous && vma.flags.contains(.uffdWP),
                let index = mm(mmID).vmas.index(containing: address)
            {
                let resolution = doFault(mmID, index, slot, address, write: write)
                let installed = pageTables[slot.table, slot.index]
                if installed.isPresent {
                    pageTables[slot.table, slot.index] = installed.setting(.uffdWP).clearing(.writable)
                }
                return resolution
            }
            pageTables[slot.table, slot.index] = .none
            return .spurious
        case .hwPoison:
            return .sigbus
        }
    }
}
