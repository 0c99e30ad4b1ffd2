import MMHardware

extension Machine {
    /// Models `change_huge_pmd()` in mm/huge_memory.c for a PMD wholly inside the range: a PMD migration entry is
    /// downgraded in place without counting any page; a present THP (or the huge zero page) is invalidated — with an immediate flush under
    /// `before` and `seed` (`pmdp_invalidate()`), without one under `merged` (`pmdp_invalidate_ad()`, relying on the
    /// hardware re-checking P before setting A/D) — rewritten with `pmd_modify()`, and recorded at the PMD stride.
    mutating func changeHugePMD(
        _ gather: inout MMUGather, _ walk: inout ProtectionWalk, _ slot: EntrySlot, _ haddr: UInt64
    ) {
        tlbChangePageSize(&gather, PageGeometry.pmdSize)
        let old = pageTables[slot.table, slot.index]
        if let entry = SwapEntry(pte: old) {
            // A migration entry is rewritten in place but counts as handled, not as 512 changed pages (the
            // function returns 1 rather than HPAGE_PMD_NR).
            if let changed = changedSwapEntry(entry, walk) { pageTables[slot.table, slot.index] = changed }
            return
        }
        if walk.flags.contains(.protNuma) && (old.isProtNone || pages.isZero(old.hugePFN)) { return }
        if walk.scheme.flushesHugePMDImmediately {
            pageTables[slot.table, slot.index] = old.clearing([.present, .protNone])
            flushTLBRange(
                initiator: gather.cpu, mm: gather.mm, start: haddr, end: haddr + PageGeometry.pmdSize,
                freedTables: config.flushRangeFreesTables)
        }
        var new = old.modified(to: walk.newProtection)
        new = walk.flags.applyingUffdWP(to: new)
        if walk.flags.contains(.tryChangeWritable) && !new.isWritable && config.upgradesPrivateWritable
            && canChangeWritable(walk.vma, new, huge: true)
        {
            new = new.setting(.writable)
        }
        pageTables[slot.table, slot.index] = new
        switch walk.scheme {
        case .before: break
        case .seed: gather.flushPMDRange(haddr, PageGeometry.pmdSize)
        case .merged:
            if NeedsFlush.hugePMD(old, new) { gather.flushPMDRange(haddr, PageGeometry.pmdSize) }
        }
        walk.pages += Int(PageGeometry.pagesPerPMD)
    }

    /// Models the migration-entry case of `__split_huge_pmd_locked()` for an anonymous VMA: the PMD migration entry
    /// is replaced, without a flush (nothing was present), by a PTE table of 512 migration entries for the
    /// consecutive pages, each with the PMD entry's kind, soft-dirty and uffd-wp bits. Kept here because only
    /// `change_pmd_range()` splits a PMD migration entry in the model.
    mutating func splitHugePMDMigrationEntry(_ slot: EntrySlot) {
        guard let entry = SwapEntry(pte: pageTables[slot.table, slot.index]) else { return }
        switch entry.kind {
        case .migrationRead, .migrationReadExclusive, .migrationWrite: break
        default: return
        }
        let table = pageTables.allocate()
        for index in 0..<Int(PageGeometry.pagesPerPMD) {
            var small = entry
            small.offset = entry.offset + UInt64(index)
            pageTables[table, index] = small.pte
        }
        pageTables[slot.table, slot.index] = PageTableArena.entry(pointingTo: table)
    }
}
