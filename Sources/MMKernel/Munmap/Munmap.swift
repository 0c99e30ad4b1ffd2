import MMHardware

extension Machine {
    /// munmap(2): models `__vm_munmap()` → `do_vmi_munmap()`. Returns 0 or throws the errno.
    public mutating func munmap(_ task: TaskID, _ start: UInt64, _ length: UInt64) throws(KernelErrno) {
        let mmID = tasks[task.rawValue].mm
        currentCPU = tasks[task.rawValue].cpu
        defer { currentCPU = nil }
        guard start & (PageGeometry.pageSize - 1) == 0, start <= PageGeometry.taskSize,
            length <= PageGeometry.taskSize - start
        else { throw .EINVAL }
        let end = start + PageGeometry.alignUp(length, PageGeometry.pageSize)
        guard end != start else { throw .EINVAL }
        try unmapRange(mmID, start, end)
    }

    /// Models `do_vmi_align_munmap()` with `vms_gather_munmap_vmas()`'s order: if the range starts inside a VMA,
    /// a middle split beyond `max_map_count` is ENOMEM and a sealed VMA EPERM, else that VMA is split; then each VMA
    /// of the range is checked for a seal (EPERM, leaving the first split in place) and the last one split at the
    /// end. The detached VMAs' pages are zapped and their page tables freed through one mmu_gather, and their
    /// accounting given back.
    mutating func unmapRange(_ mmID: MMID, _ start: UInt64, _ end: UInt64) throws(KernelErrno) {
        guard let (lowIndex, highIndex) = try gatherSplits(mmID, start, end) else { return }
        let removed = Array(mm(mmID).vmas[lowIndex...highIndex])
        let floor = lowIndex > 0 ? mm(mmID).vmas[lowIndex - 1].end : 0
        let ceiling = highIndex + 1 < mm(mmID).vmas.count ? mm(mmID).vmas[highIndex + 1].start : 0
        withMM(mmID) { $0.vmas.remove(lowIndex..<(highIndex + 1)) }
        var gather = tlbGatherMMU(mm: mmID, cpu: runningCPU(of: mmID))
        for vma in removed { zapRange(&gather, vma, vma.start, vma.end) }
        freePageTables(&gather, removed[0].start, removed[removed.count - 1].end, floor: floor, ceiling: ceiling)
        tlbFinishMMU(&gather)
        for vma in removed { releaseAccounting(mmID, vma) }
    }

    /// The splitting half of `vms_gather_munmap_vmas()`: if the range starts inside a VMA, a middle split beyond
    /// `max_map_count` is ENOMEM and a sealed VMA EPERM, else that VMA is split at the start; then each VMA of the
    /// range is checked for a seal (EPERM, leaving the splits made so far in place) and the last one split at the
    /// end. Returns the indices of the first and last VMA of the range, nil if the range holds none. mmap(2)
    /// gathers the range it replaces the same way before its limit and commit checks, whose failures keep the
    /// splits too.
    mutating func gatherSplits(_ mmID: MMID, _ start: UInt64, _ end: UInt64) throws(KernelErrno) -> (Int, Int)? {
        let range = mm(mmID).vmas.indices(intersecting: start, end)
        guard !range.isEmpty else { return nil }
        let first = vma(mmID, range.lowerBound)
        var lowIndex = range.lowerBound
        if start > first.start {
            if end < first.end && mm(mmID).mapCount >= config.maxMapCount { throw .ENOMEM }
            if first.sealed { throw .EPERM }
            withMM(mmID) { $0.splitVMA(at: lowIndex, start) }
            lowIndex += 1
        }
        var highIndex = lowIndex
        while highIndex < vmaCount(mmID) && vma(mmID, highIndex).start < end {
            let next = vma(mmID, highIndex)
            if next.sealed { throw .EPERM }
            if next.end > end { withMM(mmID) { $0.splitVMA(at: highIndex, end) } }
            highIndex += 1
        }
        return (lowIndex, highIndex - 1)
    }

    /// Gives back what a VMA charged: `vm_stat_account()`, `locked_vm`, and its commit charge.
    mutating func releaseAccounting(_ mmID: MMID, _ vma: VMA) {
        let pages = Int64(vma.pages)
        withMM(mmID) { mm in
            mm.accounting.account(vma.flags, pages: -pages)
            if vma.flags.contains(.locked) { mm.accounting.lockedVM -= pages }
        }
        if vma.flags.contains(.account) { vmUnaccountMemory(pages) }
    }
}
