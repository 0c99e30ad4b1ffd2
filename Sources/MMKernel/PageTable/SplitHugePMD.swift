import MMHardware

extension Machine {
    /// Models `__split_huge_pmd()` on a PMD-mapped anonymous THP or the huge zero page: the PMD is invalidated with an
    /// immediate flush of its 2 MiB (`pmdp_invalidate()` → `flush_pmd_tlb_range()`, which on x86 is the generic
    /// `flush_tlb_range()` at the 4 KiB stride, so a full flush), then a PTE table takes its place holding 512 entries
    /// with the VMA's protection and the PMD's RW, A, D, soft-dirty and uffd-wp bits. A THP's folio is split into 512
    /// pages (unless another mapping already split it).
    /// File THPs are not modelled (shmem THP is off on the reference machines).
    mutating func splitHugePMD(_ mmID: MMID, _ vma: VMA, _ slot: EntrySlot, _ haddr: UInt64) {
        let pmd = pageTables[slot.table, slot.index]
        guard pmd.isHuge, pmd.isPresent else { return }
        // pmdp_invalidate(): the PMD becomes non-present, then the TLB is flushed before the PTEs appear.
        pageTables[slot.table, slot.index] = pmd.clearing([.present, .protNone])
        flushTLBRange(
            initiator: runningCPU(of: mmID), mm: mmID, start: haddr, end: haddr + PageGeometry.pmdSize,
            freedTables: config.flushRangeFreesTables)
        let table = pageTables.allocate()
        let zero = pages.isZero(pmd.pfn)
        if !zero { pages.splitHuge(pmd.pfn) }
        // The PTEs take the VMA's protection, not the PMD's (a NUMA-hinting PROT_NONE is not carried over), plus the
        // PMD's write, young, dirty, soft-dirty and uffd-wp state (`__split_huge_pmd_locked()`).
        var bits = vma.pageProt
        if zero {
            bits.insert(.special)
        } else {
            if pmd.isWritable { bits.insert(.writable) }
            if !pmd.isAccessed { bits.remove(.accessed) }
            if pmd.isDirty { bits.insert(.dirty) }
            if pmd.contains(.softDirty) { bits.insert(.softDirty) }
        }
        if pmd.contains(.uffdWP) {
            bits.insert(.uffdWP)
            bits.remove(.writable)
        }
        for index in 0..<512 {
            let pfn = zero ? pages.zeroPage : PFN(pmd.pfn.rawValue + UInt64(index))
            pageTables[table, index] = PTE(pfn: pfn, flags: bits)
        }
        pageTables[slot.table, slot.index] = PageTableArena.entry(pointingTo: table)
    }

    /// The CPU a kernel path runs on for `mm`: the CPU of a task of that mm that is currently running, else the
    /// CPU of its first task. Kernel paths entered from a syscall use the caller's CPU instead.
    func runningCPU(of mmID: MMID) -> CPUID {
        if let current = currentCPU, cpuState[current.rawValue].loadedMM == mmID { return current }
        for (index, state) in cpuState.enumerated() where state.loadedMM == mmID && !state.isLazy {
            return CPUID(index)
        }
        return tasks.first(where: { $0.mm == mmID })?.cpu ?? CPUID(0)
    }
}
