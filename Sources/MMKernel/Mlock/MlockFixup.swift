import MMHardware

extension Machine {
    /// Models `mlock_fixup()` in mm/mlock.c: gives `[start, end)` of the VMA at `index` the flags `newFlags` (its
    /// own with `VM_LOCKED`/`VM_LOCKONFAULT` set or cleared). Nothing happens if the flags do not change or the VMA
    /// is one mlock leaves alone without an error (`VM_SPECIAL`, hugetlb, `VM_DROPPABLE`); otherwise the range is split off or
    /// merged with a matching neighbour (`vma_modify_flags()`, ENOMEM past `max_map_count`) and `locked_vm` is
    /// charged for pages becoming locked or given back for pages unlocked. The per-folio mlock state that
    /// `mlock_vma_pages_range()` keeps for reclaim is not modelled (there is no reclaim). Returns the index of the
    /// VMA holding the range.
    mutating func mlockFixup(
        _ mmID: MMID, _ index: Int, _ start: UInt64, _ end: UInt64, _ newFlags: VMFlags
    ) throws(KernelErrno) -> Int {
        let old = vma(mmID, index).flags
        if newFlags == old || !old.isDisjoint(with: VMFlags.special.union([.hugetlb, .droppable])) { return index }
        let limit = config.maxMapCount
        splitHugePMDsStraddling(mmID, index, start, end)
        let result = try withMM(mmID) { mm throws(KernelErrno) -> Int in
            try mm.modifyVMA(at: index, start, end, maxMapCount: limit) { $0.flags = newFlags }
        }
        var pages = Int64((end - start) >> PageGeometry.pageShift)
        if !newFlags.contains(.locked) {
            pages = -pages
        } else if old.contains(.locked) {
            pages = 0
        }
        withMM(mmID) { $0.accounting.lockedVM += pages }
        return result
    }
}
