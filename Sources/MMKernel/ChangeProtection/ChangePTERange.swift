import MMHardware

extension Machine {
    /// Models `change_pte_range()`: rewrites each entry of one PTE table in `[start, end)`. Present entries (PROT_NONE
    /// included) get `pte_modify()` to the new protection plus the uffd-wp and write-upgrade rules, and are recorded in
    /// the gather as the scheme says; swap, migration and device entries are downgraded or re-marked but never
    /// recorded (the hardware cannot have cached them).
    mutating func changePTERange(
        _ gather: inout MMUGather, _ walk: inout ProtectionWalk, _ table: TableID, _ start: UInt64, _ end: UInt64
    ) {
        tlbChangePageSize(&gather, PageGeometry.pageSize)
        let base = PageGeometry.alignDown(start, PageGeometry.pmdSize)
        let first = PageGeometry.index(start, level: 1)
        let count = Int((end - start) >> PageGeometry.pageShift)
        let tryWritable = walk.flags.contains(.tryChangeWritable)
        let uffdWP = walk.flags.contains(.uffdWP)
        for index in first..<(first + count) {
            let old = pageTables[table, index]
            let address = base + UInt64(index) << PageGeometry.pageShift
            if old.isPresent {
                if walk.flags.contains(.protNuma) && skipsNumaHinting(old, walk) { continue }
                var new = old.modified(to: walk.newProtection)
                new = walk.flags.applyingUffdWP(to: new)
                if tryWritable && !new.isWritable && mayUpgradeWritable(walk, new) {
                    new = new.setting(.writable)
                }
                pageTables[table, index] = new
                switch walk.scheme {
                case .before: break
                case .seed: gather.flushPTERange(address, PageGeometry.pageSize)
                case .merged:
                    if NeedsFlush.pte(old, new) { gather.flushPTERange(address, PageGeometry.pageSize) }
                }
                walk.pages += 1
            } else if let entry = SwapEntry(pte: old) {
                if let changed = changedSwapEntry(entry, walk) {
                    pageTables[table, index] = changed
                    walk.pages += 1
                }
            } else if uffdWP && userfaultfdWPUsesMarkers(walk.vma) {
                // File memory has no page to carry the bit: a uffd-wp marker stands in for the future page.
                pageTables[table, index] = SwapEntry(kind: .marker, offset: PTEMarker.uffdWP.rawValue).pte
                walk.pages += 1
            }
        }
    }

    /// Whether the write-upgrade rule lets this rewritten PTE become writable: ≥6.0 `can_change_pte_writable()`;
    /// 5.16–5.19 `MM_CP_DIRTY_ACCT` (shared write-notify VMAs only): dirty PTEs with soft-dirty satisfied.
    func mayUpgradeWritable(_ walk: ProtectionWalk, _ pte: PTE) -> Bool {
        if config.upgradesPrivateWritable { return canChangeWritable(walk.vma, pte) }
        let softDirtyArmed = config.softDirty && !walk.vma.flags.contains(.softDirty)
        return pte.isDirty && (!softDirtyArmed || pte.contains(.softDirty))
    }

    /// The `MM_CP_PROT_NUMA` skips of `change_pte_range()`: entries already PROT_NONE, the zero page and other special
    /// mappings, shared or possibly pinned COW pages, dirty file-LRU pages (not shmem), and (single node) pages that are
    /// already local for single-threaded private memory.
    func skipsNumaHinting(_ pte: PTE, _ walk: ProtectionWalk) -> Bool {
        if pte.isProtNone || pte.isSpecial { return true }
        let page = pages[pte.pfn]
        if walk.vma.flags.isCOWMapping && page.mapcount > 1 { return true }
        if folioIsFileLRU(page) && page.flags.contains(.dirty) { return true }
        return walk.singleThreadedPrivate
    }

    /// Models `folio_is_file_lru()`: a page that is not swap-backed, i.e. neither anonymous nor shmem (shmem page
    /// cache, including the object behind shared anonymous memory, is swap-backed).
    func folioIsFileLRU(_ page: PageDescriptor) -> Bool {
        if page.flags.contains(.anon) { return false }
        if page.flags.contains(.pageCache), Int(page.owner) < files.count, files[Int(page.owner)].isShmem {
            return false
        }
        return true
    }

    /// The non-present half of `change_pte_range()` (mm/mprotect.c): a writable migration entry becomes readable
    /// (read-exclusive for an exclusive anonymous page), a writable device-private entry readable (soft-dirty
    /// dropped), uffd-wp bits follow the flags, a uffd-wp marker goes away on resolve. Nil if nothing changes.
    func changedSwapEntry(_ entry: SwapEntry, _ walk: ProtectionWalk) -> PTE? {
        var new = entry
        switch entry.kind {
        case .migrationWrite:
            // An anonymous page under a writable migration entry is exclusive to this mapping (the kernel tests
            // only folio_test_anon(); PageAnonExclusive lives in the entry while the page migrates).
            var pfn = PFN(entry.offset)
            // pfn_swap_entry_folio(): a tail page answers for its folio, whose head is 2 MiB-aligned.
            if Int(pfn.rawValue) < pages.pages.count && pages[pfn].flags.contains(.tail) {
                pfn = PFN(pfn.rawValue & ~(PageGeometry.pagesPerPMD - 1))
            }
            let anon = Int(pfn.rawValue) < pages.pages.count && pages[pfn].flags.contains(.anon)
            new.kind = anon ? .migrationReadExclusive : .migrationRead
        case .deviceWrite:
            new.kind = .deviceRead
            new.softDirty = false
        case .marker:
            let marker = PTEMarker(rawValue: entry.offset)
            if marker == .uffdWP && walk.flags.contains(.uffdWPResolve) { return PTE.none }
            return nil
        default:
            break
        }
        if walk.flags.contains(.uffdWP) {
            new.uffdWP = true
        } else if walk.flags.contains(.uffdWPResolve) {
            new.uffdWP = false
        }
        return new == entry ? nil : new.pte
    }
}
