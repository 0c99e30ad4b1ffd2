import MMHardware

/// One PMD slot met by a range walk and the part of the range it covers.
struct PMDStep {
    var slot: EntrySlot
    var start: UInt64
    var end: UInt64
}

extension Machine {
    /// The PMD slots covering `[start, end)` in `mm`, skipping missing PGD/PUD entries at their own granularity
    /// (so a walk over a huge empty reservation costs nothing). Models the outer loops of the kernel's
    /// `walk_p4d_range()`/`walk_pud_range()` family.
    func pmdSteps(_ mmID: MMID, _ start: UInt64, _ end: UInt64) -> [PMDStep] {
        var steps: [PMDStep] = []
        let pgd = mm(mmID).pgd
        var address = start
        while address < end {
            let pgdEntry = pageTables[pgd, PageGeometry.index(address, level: 4)]
            let pgdNext = min(PageGeometry.alignDown(address, 1 << PageGeometry.pgdirShift) + (1 << 39), end)
            guard pgdEntry.hardwarePresent else {
                address = pgdNext
                continue
            }
            let pud = PageTableArena.child(of: pgdEntry)
            while address < pgdNext {
                let pudEntry = pageTables[pud, PageGeometry.index(address, level: 3)]
                let pudNext = min(PageGeometry.alignDown(address, PageGeometry.pudSize) + PageGeometry.pudSize, end)
                if pudEntry.hardwarePresent && !pudEntry.isHuge {
                    let pmd = PageTableArena.child(of: pudEntry)
                    while address < pudNext {
                        let next = min(
                            PageGeometry.alignDown(address, PageGeometry.pmdSize) + PageGeometry.pmdSize, end)
                        let slot = EntrySlot(table: pmd, index: PageGeometry.index(address, level: 2))
                        if !pageTables[slot.table, slot.index].isNone {
                            steps.append(PMDStep(slot: slot, start: address, end: next))
                        }
                        address = next
                    }
                }
                address = pudNext
            }
        }
        return steps
    }

    /// Models `free_pgd_range()` (mm/memory.c): frees the page tables that only served `[start, end)`, never those
    /// that could also serve something in `[floor, ceiling)`'s outside (`ceiling` 0 = top of the address space).
    /// Each freed table records its level's range in the gather and sets `freed_tables`.
    mutating func freePageTables(
        _ gather: inout MMUGather, _ start: UInt64, _ end: UInt64, floor: UInt64, ceiling: UInt64
    ) {
        var address = PageGeometry.alignDown(start, PageGeometry.pmdSize)
        var last = end
        var top = ceiling
        if address < floor {
            address &+= PageGeometry.pmdSize
            if address == 0 { return }
        }
        if top != 0 {
            top = PageGeometry.alignDown(top, PageGeometry.pmdSize)
            if top == 0 { return }
        }
        if last &- 1 > top &- 1 { last &-= PageGeometry.pmdSize }
        if address > last &- 1 { return }
        let pgd = mm(gather.mm).pgd
        while address < last {
            let index = PageGeometry.index(address, level: 4)
            let next = min(PageGeometry.alignDown(address, 1 << 39) &+ (1 << 39), last)
            let entry = pageTables[pgd, index]
            if entry.hardwarePresent {
                let pud = PageTableArena.child(of: entry)
                freePMDTables(&gather, pud, address, next, floor: floor, ceiling: ceiling)
                if upperFree(address, next, floor: floor, ceiling: ceiling, mask: 1 << 39) {
                    pageTables[pgd, index] = .none
                    gather.flushP4DRange(PageGeometry.alignDown(address, 1 << 39), PageGeometry.pageSize)
                    gather.freedTables = true
                    gather.tables.append(pud)
                }
            }
            address = next
        }
    }

    /// `free_pud_range()`'s loop: the PMD tables under one PUD table, then the PTE tables under them.
    private mutating func freePMDTables(
        _ gather: inout MMUGather, _ pud: TableID, _ start: UInt64, _ end: UInt64, floor: UInt64, ceiling: UInt64
    ) {
        var address = start
        while address < end {
            let index = PageGeometry.index(address, level: 3)
            let next = min(PageGeometry.alignDown(address, PageGeometry.pudSize) &+ PageGeometry.pudSize, end)
            let entry = pageTables[pud, index]
            if entry.hardwarePresent && !entry.isHuge {
                let pmd = PageTableArena.child(of: entry)
                freePTETables(&gather, pmd, address, next)
                if upperFree(address, next, floor: floor, ceiling: ceiling, mask: PageGeometry.pudSize) {
                    pageTables[pud, index] = .none
                    gather.flushPUDRange(PageGeometry.alignDown(address, PageGeometry.pudSize), PageGeometry.pageSize)
                    gather.freedTables = true
                    gather.tables.append(pmd)
                }
            }
            address = next
        }
    }

    /// `free_pmd_range()`'s loop: every PTE table under one PMD table in range (`free_pte_range()`).
    private mutating func freePTETables(_ gather: inout MMUGather, _ pmd: TableID, _ start: UInt64, _ end: UInt64) {
        var address = start
        while address < end {
            let index = PageGeometry.index(address, level: 2)
            let next = min(PageGeometry.alignDown(address, PageGeometry.pmdSize) &+ PageGeometry.pmdSize, end)
            let entry = pageTables[pmd, index]
            if entry.hardwarePresent && !entry.isHuge {
                pageTables[pmd, index] = .none
                gather.flushPMDRange(PageGeometry.alignDown(address, PageGeometry.pmdSize), PageGeometry.pageSize)
                gather.freedTables = true
                gather.tables.append(PageTableArena.child(of: entry))
            }
            address = next
        }
    }

    /// The floor/ceiling test each upper level of `free_pgd_range()` applies before freeing its table.
    private func upperFree(_ start: UInt64, _ end: UInt64, floor: UInt64, ceiling: UInt64, mask size: UInt64) -> Bool {
        let base = PageGeometry.alignDown(start, size)
        if base < floor { return false }
        var top = ceiling
        if top != 0 {
            top = PageGeometry.alignDown(top, size)
            if top == 0 { return false }
        }
        return !(end &- 1 > top &- 1)
    }
}
