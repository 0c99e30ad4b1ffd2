import MMHardware

extension Machine {
    /// Models `__get_unmapped_area()` with x86 `arch_get_unmapped_area_topdown()`: MAP_FIXED takes the address as
    /// given; a free, page-aligned hint is honoured; otherwise the highest gap below `mmap_base` that fits (keeping
    /// `stack_guard_gap` below a `VM_GROWSDOWN` VMA), 2 MiB-aligned inside a gap padded by 2 MiB for anonymous
    /// private mappings whose length is a multiple of 2 MiB (`thp_get_unmapped_area_vmflags()`), falling back to a
    /// bottom-up search.
    func getUnmappedArea(
        _ mmID: MMID, _ hint: UInt64, _ length: UInt64, _ flags: MapFlags, anonymousPrivate: Bool
    )
        throws(KernelErrno) -> UInt64
    {
        let taskSize = PageGeometry.taskSize
        guard length <= taskSize else { throw .ENOMEM }
        var address: UInt64
        if flags.contains(.fixed) {
            address = hint
        } else {
            guard length <= taskSize - config.mmapMinAddress else { throw .ENOMEM }
            if hint != 0, let free = hintIfFree(mmID, hint, length) {
                address = free
            } else {
                // __get_unmapped_area(): anonymous private, no hint, a whole number of PMDs — whatever the
                // runtime THP mode — goes through thp_get_unmapped_area_vmflags().
                let thpAlign = anonymousPrivate && hint == 0 && length % PageGeometry.pmdSize == 0
                if let found = (thpAlign ? thpGetUnmappedArea(mmID, length) : nil)
                    ?? topDownGap(mmID, length, align: PageGeometry.pageSize)
                    ?? bottomUpGap(mmID, length)
                {
                    address = found
                } else {
                    throw .ENOMEM
                }
            }
        }
        if address > taskSize - length { throw .ENOMEM }
        if address & (PageGeometry.pageSize - 1) != 0 { throw .EINVAL }
        return address
    }

    /// Models `__thp_get_unmapped_area()` for an anonymous mapping (offset 0): searches the ordinary way for
    /// `length` plus one PMD, then moves the result up to the next 2 MiB boundary — or, top-down, by a whole PMD
    /// when it is already aligned — so the mapping ends as high in the padded gap as alignment allows. Nil when
    /// even the padded search fails (the caller then searches for `length` alone).
    private func thpGetUnmappedArea(_ mmID: MMID, _ length: UInt64) -> UInt64? {
        let size = PageGeometry.pmdSize
        let padded = length &+ size
        guard padded > length, padded <= PageGeometry.taskSize - config.mmapMinAddress else { return nil }
        guard let found = topDownGap(mmID, padded, align: PageGeometry.pageSize) ?? bottomUpGap(mmID, padded) else {
            return nil
        }
        let offSub = (0 &- found) & (size - 1)
        return offSub == 0 ? found + size : found + offSub
    }

    /// `vm_start_gap()`: a growsdown VMA reserves `stack_guard_gap` below itself.
    func startGap(_ vma: VMA) -> UInt64 {
        guard vma.flags.contains(.growsDown) else { return vma.start }
        return vma.start > config.stackGuardGap ? vma.start - config.stackGuardGap : 0
    }

    private func hintIfFree(_ mmID: MMID, _ hint: UInt64, _ length: UInt64) -> UInt64? {
        let address = PageGeometry.alignUp(hint, PageGeometry.pageSize)
        guard address != 0, PageGeometry.taskSize - length >= address, address >= config.mmapMinAddress else {
            return nil
        }
        let vmas = mm(mmID).vmas
        let index = vmas.firstIndex(endingAfter: address)
        if index < vmas.count && address + length > startGap(vmas[index]) { return nil }
        if index > 0 && vmas[index - 1].end > address { return nil }
        return address
    }

    /// `vm_unmapped_area()` top-down: the highest gap in `[max(PAGE_SIZE, mmap_min_addr), mmap_base)`.
    private func topDownGap(_ mmID: MMID, _ length: UInt64, align: UInt64) -> UInt64? {
        let vmas = mm(mmID).vmas
        let low = max(PageGeometry.pageSize, config.mmapMinAddress)
        let high = mm(mmID).mmapBase
        var index = vmas.firstIndex(endingAfter: high)
        var gapEnd = index < vmas.count ? min(high, startGap(vmas[index])) : high
        while true {
            let gapStart = index > 0 ? max(vmas[index - 1].end, low) : low
            if gapEnd >= gapStart && gapEnd - gapStart >= length {
                let candidate = PageGeometry.alignDown(gapEnd - length, align)
                if candidate >= gapStart { return candidate }
            }
            if index == 0 { return nil }
            index -= 1
            gapEnd = min(high, startGap(vmas[index]))
            if gapEnd <= low { return nil }
        }
    }

    /// `arch_get_unmapped_area()` bottom-up fallback from `TASK_UNMAPPED_BASE` (a third of the address space).
    private func bottomUpGap(_ mmID: MMID, _ length: UInt64) -> UInt64? {
        let vmas = mm(mmID).vmas
        var start = PageGeometry.alignUp(PageGeometry.taskSize / 3, PageGeometry.pageSize)
        var index = vmas.firstIndex(endingAfter: start)
        while true {
            let gapEnd = index < vmas.count ? startGap(vmas[index]) : PageGeometry.taskSize
            if gapEnd > start && gapEnd - start >= length { return start }
            guard index < vmas.count else { return nil }
            start = max(start, vmas[index].end)
            index += 1
        }
    }
}
