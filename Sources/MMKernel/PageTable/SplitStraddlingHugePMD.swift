import MMHardware

extension Machine {
    /// Models `vma_adjust_trans_huge()` → `split_huge_pmd_if_needed()`: before the VMA at `index` is split at `start`
    /// or `end`, a THP mapped across either boundary is split while the VMA still has its old protection, so the
    /// 512 PTEs carry the protection every part of the THP had. (A later `change_protection()` of one part then
    /// rewrites only that part, recording what it changes.)
    mutating func splitHugePMDsStraddling(_ mmID: MMID, _ index: Int, _ start: UInt64, _ end: UInt64) {
        for boundary in [start, end] where boundary & (PageGeometry.pmdSize - 1) != 0 {
            let vma = vma(mmID, index)
            let haddr = PageGeometry.alignDown(boundary, PageGeometry.pmdSize)
            guard haddr >= vma.start, haddr + PageGeometry.pmdSize <= vma.end,
                let slot = pmdSlot(mmID, boundary, allocate: false)
            else { continue }
            let pmd = pageTables[slot.table, slot.index]
            guard pmd.isHuge, pmd.isPresent else { continue }
            splitHugePMD(mmID, vma, slot, haddr)
        }
    }
}
