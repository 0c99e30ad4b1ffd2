import MMHardware

extension Machine {
    /// One pass of NUMA-balancing's scanner over `[start, end)` of `task`'s mm: models `task_numa_work()` calling
    /// `change_prot_numa()` (one mmu_gather per call, under the mmap read lock) on each VMA it may sample, turning
    /// present PTEs into PROT_NONE hinting entries so that the next access faults and reports its node. Returns the
    /// entries changed.
    @discardableResult
    public mutating func numaHintingScan(_ task: TaskID, _ start: UInt64, _ end: UInt64) -> Int {
        let mmID = tasks[task.rawValue].mm
        currentCPU = tasks[task.rawValue].cpu
        defer { currentCPU = nil }
        var updated = 0
        var address = start
        while address < end {
            let index = mm(mmID).vmas.firstIndex(endingAfter: address)
            guard index < mm(mmID).vmas.count, mm(mmID).vmas[index].start < end else { break }
            let vma = mm(mmID).vmas[index]
            let segmentStart = max(address, vma.start)
            let segmentEnd = min(end, vma.end)
            address = segmentEnd
            // vma_migratable() and the scanner's own skips: special and hugetlb mappings, inaccessible VMAs, and
            // read-only file mappings (shared libraries) whose pages are usually shared anyway.
            if !vma.flags.intersection([.io, .pfnMap, .mixedMap, .hugetlb]).isEmpty || !vma.isAccessible { continue }
            if vma.file != nil && vma.flags.intersection([.read, .write]) == .read { continue }
            var gather = protectionGather(mm: mmID, cpu: tasks[task.rawValue].cpu)
            updated += changeProtection(&gather, index, segmentStart, segmentEnd, .protNuma)
            finishProtectionGather(&gather)
        }
        return updated
    }
}
