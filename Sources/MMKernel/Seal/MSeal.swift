import MMHardware

extension Machine {
    /// mseal(2) (≥6.10): models `do_mseal()`. `flags` must be 0 and `start` page-aligned (EINVAL); the length is
    /// rounded up and must not wrap (EINVAL); every page of the range must be mapped (ENOMEM); then each VMA's part of
    /// the range is sealed, splitting at the edges. A sealed VMA refuses mprotect, munmap, MAP_FIXED replacement and
    /// destructive madvise with EPERM.
    public mutating func mseal(_ task: TaskID, _ start: UInt64, _ length: UInt64, flags: UInt64 = 0) throws(KernelErrno)
    {
        let mmID = tasks[task.rawValue].mm
        guard flags == 0, start & (PageGeometry.pageSize - 1) == 0 else { throw .EINVAL }
        let alignedLength = PageGeometry.alignUp(length, PageGeometry.pageSize)
        guard length == 0 || alignedLength != 0 else { throw .EINVAL }
        let end = start &+ alignedLength
        guard end >= start else { throw .EINVAL }
        if end == start { return }
        guard mm(mmID).vmas.coversWithoutHoles(start, end) else { throw .ENOMEM }
        var address = start
        let limit = config.maxMapCount
        while address < end {
            guard let index = mm(mmID).vmas.index(containing: address) else { throw .ENOMEM }
            let segmentEnd = min(end, mm(mmID).vmas[index].end)
            if !mm(mmID).vmas[index].sealed {
                let segmentStart = address
                splitHugePMDsStraddling(mmID, index, segmentStart, segmentEnd)
                _ = try withMM(mmID) { mm throws(KernelErrno) -> Int in
                    try mm.modifyVMA(at: index, segmentStart, segmentEnd, maxMapCount: limit) { $0.sealed = true }
                }
            }
            address = segmentEnd
        }
    }
}
