import MMHardware

/// A located page-table slot: the table frame and the index of an entry in it.
public struct EntrySlot: Hashable, Sendable {
    public var table: TableID
    public var index: Int
}

extension Machine {
    /// Finds the PMD slot for `address` in `mm`, allocating the PUD and PMD tables on the way when `allocate`
    /// (models `pud_alloc()`/`pmd_alloc()`); nil if a level is missing and not allocated.
    mutating func pmdSlot(_ mmID: MMID, _ address: UInt64, allocate: Bool) -> EntrySlot? {
        var table = mm(mmID).pgd
        for level in [4, 3] {
            let index = PageGeometry.index(address, level: level)
            var entry = pageTables[table, index]
            if entry.isNone {
                guard allocate else { return nil }
                let child = pageTables.allocate()
                entry = PageTableArena.entry(pointingTo: child)
                pageTables[table, index] = entry
            } else if entry.isHuge {
                return nil
            }
            table = PageTableArena.child(of: entry)
        }
        return EntrySlot(table: table, index: PageGeometry.index(address, level: 2))
    }

    /// Read-only variant of `pmdSlot` for lookups.
    func existingPMDSlot(_ mmID: MMID, _ address: UInt64) -> EntrySlot? {
        var table = mm(mmID).pgd
        for level in [4, 3] {
            let entry = pageTables[table, PageGeometry.index(address, level: level)]
            guard entry.hardwarePresent, !entry.isHuge else { return nil }
            table = PageTableArena.child(of: entry)
        }
        return EntrySlot(table: table, index: PageGeometry.index(address, level: 2))
    }

    /// Finds the PTE slot for `address`, allocating tables when `allocate` (models `pte_alloc_map()`); nil if the
    /// PMD maps a huge page or a level is missing.
    mutating func pteSlot(_ mmID: MMID, _ address: UInt64, allocate: Bool) -> EntrySlot? {
        guard let pmd = pmdSlot(mmID, address, allocate: allocate) else { return nil }
        var entry = pageTables[pmd.table, pmd.index]
        if entry.isNone {
            guard allocate else { return nil }
            let child = pageTables.allocate()
            entry = PageTableArena.entry(pointingTo: child)
            pageTables[pmd.table, pmd.index] = entry
        } else if entry.isHuge || !entry.hardwarePresent {
            return nil
        }
        return EntrySlot(table: PageTableArena.child(of: entry), index: PageGeometry.index(address, level: 1))
    }

    /// Read-only lookup of the PTE slot for `address`.
    func existingPTESlot(_ mmID: MMID, _ address: UInt64) -> EntrySlot? {
        guard let pmd = existingPMDSlot(mmID, address) else { return nil }
        let entry = pageTables[pmd.table, pmd.index]
        guard entry.hardwarePresent, !entry.isHuge else { return nil }
        return EntrySlot(table: PageTableArena.child(of: entry), index: PageGeometry.index(address, level: 1))
    }

    /// The leaf entry mapping `address` in `mm`: a PTE, or a PMD entry if a huge page maps it. `none` if nothing.
    public func leafEntry(_ mmID: MMID, _ address: UInt64) -> (entry: PTE, huge: Bool) {
        guard let pmd = existingPMDSlot(mmID, address) else { return (.none, false) }
        let pmdEntry = pageTables[pmd.table, pmd.index]
        if pmdEntry.isHuge && (pmdEntry.isPresent || pmdEntry.isSwap) { return (pmdEntry, true) }
        if !pmdEntry.hardwarePresent { return (pmdEntry.isNone ? .none : pmdEntry, !pmdEntry.isNone) }
        let slot = EntrySlot(table: PageTableArena.child(of: pmdEntry), index: PageGeometry.index(address, level: 1))
        return (pageTables[slot.table, slot.index], false)
    }

    /// The frame backing `address` in `mm` (through a PTE or a huge PMD), if mapped.
    public func mappedFrame(_ mmID: MMID, _ address: UInt64) -> PFN? {
        let (entry, huge) = leafEntry(mmID, address)
        guard entry.isPresent else { return nil }
        if huge { return PFN(entry.pfn.rawValue + ((address >> PageGeometry.pageShift) & 511)) }
        return entry.pfn
    }
}
