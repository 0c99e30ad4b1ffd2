import MMHardware

extension Machine {
    /// madvise(2): models `do_madvise()` in mm/madvise.c (6.18). `madvise_should_skip()` first: unknown advice, an
    /// unaligned start, a length that rounds up past the top (`PAGE_ALIGN` wrapping to 0) or a range that wraps are
    /// EINVAL, in that order, and an empty range succeeds at once. Memory-failure injection then goes to
    /// `madvise_inject_error()` with the unrounded range, the populate advice to `madvise_populate()`, and everything
    /// else to `madvise_walk_vmas()`, which applies the advice to each VMA's part of the range, stops at the first
    /// error, and reports ENOMEM at the end if the range had holes. DONTNEED, DONTNEED_LOCKED and FREE share one
    /// mmu_gather over the whole call (`madvise_init_tlb()`).
    public mutating func madvise(
        _ task: TaskID, _ start: UInt64, _ length: UInt64, advice rawAdvice: Int32
    )
        throws(KernelErrno)
    {
        let mmID = tasks[task.rawValue].mm
        currentCPU = tasks[task.rawValue].cpu
        defer { currentCPU = nil }
        guard let advice = Advice.valid(rawAdvice) else { throw .EINVAL }
        guard start & (PageGeometry.pageSize - 1) == 0 else { throw .EINVAL }
        let alignedLength = PageGeometry.alignUp(length, PageGeometry.pageSize)
        guard length == 0 || alignedLength != 0 else { throw .EINVAL }
        let end = start &+ alignedLength
        guard end >= start else { throw .EINVAL }
        if end == start { return }
        if advice.injectsMemoryFailure {
            try madviseInjectError(task, start, start + length, advice)
            return
        }
        if advice.populates {
            try madvisePopulate(task, start, end, write: advice == .populateWrite)
            return
        }
        var behaviour = MadviseBehaviour(task: task, mm: mmID, advice: advice, start: start, end: end)
        // madvise_init_tlb(): the discarding advice gathers every VMA's zap into one mmu_gather.
        if advice.batchesTLBFlush { behaviour.tlb = tlbGatherMMU(mm: mmID, cpu: runningCPU(of: mmID)) }
        defer {
            if var gather = behaviour.tlb { tlbFinishMMU(&gather) }
        }
        try madviseWalkVMAs(&behaviour)
    }

    /// Models `madvise_walk_vmas()`: each VMA meeting `[start, end)` gets the advice on its part of the range; a gap
    /// before a VMA is remembered and reported as ENOMEM once the walk is done, an error from a VMA ends the walk at
    /// once (what earlier VMAs got stays done).
    private mutating func madviseWalkVMAs(_ behaviour: inout MadviseBehaviour) throws(KernelErrno) {
        let mmID = behaviour.mm
        let end = behaviour.end
        var unmapped = false
        var address = behaviour.start
        var index = mm(mmID).vmas.firstIndex(endingAfter: address)
        while address < end {
            guard index < vmaCount(mmID) else { throw .ENOMEM }
            let vma = vma(mmID, index)
            if vma.start > address {
                unmapped = true
                address = vma.start
                if address >= end { break }
            }
            let segmentEnd = min(end, vma.end)
            behaviour.start = address
            behaviour.end = segmentEnd
            try madviseVMABehavior(&behaviour, index)
            address = segmentEnd
            index = mm(mmID).vmas.firstIndex(endingAfter: address)
        }
        if unmapped { throw .ENOMEM }
    }
}

/// Mirrors `struct madvise_behavior` (mm/madvise.c): the calling thread (`current`), the call's mm and advice, the part
/// of the range the walk has reached (one VMA's share at a time), and the mmu_gather the discarding advice share across
/// VMAs.
struct MadviseBehaviour {
    let task: TaskID
    let mm: MMID
    let advice: Advice
    var start: UInt64
    var end: UInt64
    /// `tlb`, live only for the advice of `madvise_batch_tlb_flush()`.
    var tlb: MMUGather?

    init(task: TaskID, mm: MMID, advice: Advice, start: UInt64, end: UInt64) {
        self.task = task
        self.mm = mm
        self.advice = advice
        self.start = start
        self.end = end
    }
}
