import MMHardware

extension Machine {
    /// Models `do_fault()` for file-backed and shmem VMAs: `do_read_fault()` maps the page-cache page,
    /// `do_cow_fault()` copies it into a private anonymous page, `do_shared_fault()` maps it writable and dirty.
    mutating func doFault(
        _ mmID: MMID, _ index: Int, _ slot: EntrySlot, _ address: UInt64, write: Bool, tableExisted: Bool = true
    )
        -> FaultResolution
    {
        let vma = mm(mmID).vmas[index]
        guard let file = vma.file else { return .sigbus }
        // do_read_fault() maps the cached neighbours first, even when the faulting page lies past the end.
        if !write { faultAround(mmID, vma, file, slot, address, tableExisted: tableExisted) }
        // do_cow_fault() prepares the anon_vma before it asks the file for the page, so a private write past the
        // end still leaves the VMA with one.
        if write && !vma.flags.contains(.shared) { _ = anonVMAPrepare(mmID, index) }
        let page = vma.filePage(of: address)
        guard page < files[file.rawValue].sizePages else { return .sigbus }
        // shmem_get_folio_gfp(): a page missing from the cache of a MISSING-registered VMA is the userfaultfd's to
        // supply.
        if vma.flags.contains(.uffdMissing) && files[file.rawValue].pageCache[page] == nil {
            return .userfaultMissing
        }
        guard let cached = pageCachePage(file, page) else { return .outOfMemory }
        if write && !vma.flags.contains(.shared) {
            let anonVMA = anonVMAPrepare(mmID, index)
            guard let copy = allocatePage() else { return .outOfMemory }
            memory.copy(from: cached, to: copy)
            addNewAnonRmap(copy, anonVMA)
            pageTables[slot.table, slot.index] = mkwriteDirty(PTE(pfn: copy, flags: vma.pageProt), vma)
            withMM(mmID) { $0.rss.anon += 1 }
            return .fileCopyOnWrite
        }
        pages.get(cached)
        pages[cached].mapcount += 1
        var pte = PTE(pfn: cached, flags: vma.pageProt)
        if write {
            pte = mkwriteDirty(pte, vma)
            pages[cached].flags.insert(.dirty)
        }
        pageTables[slot.table, slot.index] = pte
        adjustRSS(mmID, pages[cached].flags, vma, by: 1)
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
            let cached = files[file.rawValue].pageCache[other]!
            pages.get(cached)
            pages[cached].mapcount += 1
            var pte = PTE(pfn: cached, flags: vma.pageProt)
            if write {
                pte = mkwriteDirty(pte, vma)
                pages[cached].flags.insert(.dirty)
            }
            pageTables[slot.table, Int(firstPTE + Int64(other))] = pte
            adjustRSS(mmID, pages[cached].flags, vma, by: 1)
        }
    }

    /// Pages `do_fault_around()` tries to map around a read fault (`fault_around_bytes`, 64 KiB by default).
    static let faultAroundPages: UInt64 = 16

    /// Models `do_read_fault()`'s `do_fault_around()` → `filemap_map_pages()` (the `map_pages` of regular files
    /// and shmem alike): around a read fault, within the 16-page aligned block of the faulting PTE clipped to the
    /// VMA and to its page table, every page already in the page cache (and inside the file's size) whose PTE is
    /// still none is mapped as a read fault would map it. For a file whose pages form one large folio
    /// (``SimFile/largeFolio``) that reaches the file's end, 6.18 (74207de2ba10) maps it page by page and only if
    /// the page table already exists. Not for VMAs registered for uffd-wp (`uffd_disable_fault_around()`). The
    /// faulting page itself is left to the normal path.
    mutating func faultAround(
        _ mmID: MMID, _ vma: VMA, _ file: FileID, _ slot: EntrySlot, _ address: UInt64, tableExisted: Bool
    ) {
        if vma.flags.contains(.uffdWP) { return }
        let count = Machine.faultAroundPages
        let pteOffset = (address >> PageGeometry.pageShift) & 511
        let vmaOffset = (address - vma.start) >> PageGeometry.pageShift
        let vmaPages = (vma.end - vma.start) >> PageGeometry.pageShift
        let from = max(pteOffset & ~(count - 1), pteOffset - min(pteOffset, vmaOffset))
        let to = min(from + count, 512, pteOffset + vmaPages - vmaOffset)
        let tableBase = address & ~(UInt64(512 << PageGeometry.pageShift) - 1)
        // `can_map_large`: a folio that reaches the file's last page (the model's large folios hold the whole file)
        // may not be mapped whole, and then filemap_map_pages() does not install a missing page table either, so
        // without one nothing is mapped.
        if files[file.rawValue].largeFolio && !files[file.rawValue].isShmem && !tableExisted { return }
        for index in from..<to where index != pteOffset {
            let neighbour = tableBase + (index << PageGeometry.pageShift)
            let page = vma.filePage(of: neighbour)
            guard page < files[file.rawValue].sizePages, let cached = files[file.rawValue].pageCache[page],
                pageTables[slot.table, Int(index)].isNone
            else { continue }
            pages.get(cached)
            pages[cached].mapcount += 1
            pageTables[slot.table, Int(index)] = PTE(pfn: cached, flags: vma.pageProt)
            adjustRSS(mmID, pages[cached].flags, vma, by: 1)
        }
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
