import MMHardware

extension Machine {
    /// UFFDIO_REGISTER with `UFFDIO_REGISTER_MODE_WP` (and optionally MISSING): marks every VMA of the page-aligned
    /// range `VM_UFFD_WP` (holes between VMAs are skipped), splitting at the edges and re-deriving `vm_page_prot` (a
    /// shared VMA now wants write-notify). Models `userfaultfd_register()`: `validate_range()`, EINVAL without any
    /// VMA in the range, then per VMA in order EINVAL unless `vma_can_userfault()`, EPERM without VM_MAYWRITE; all
    /// VMAs are checked before any is changed. Returns the userfaultfd context used.
    @discardableResult
    public mutating func userfaultfdRegister(
        _ task: TaskID, _ start: UInt64, _ length: UInt64, missing: Bool = false
    )
        throws(KernelErrno) -> Int
    {
        let mmID = tasks[task.rawValue].mm
        try validateUserfaultfdRange(start, length)
        let end = start + length
        // The first VMA of the range must exist; holes after it are skipped (only VMAs are registered).
        guard mm(mmID).vmas.firstIndex(intersecting: start, end) != nil else { throw .EINVAL }
        for index in mm(mmID).vmas.indices(intersecting: start, end) {
            let vma = mm(mmID).vmas[index]
            guard vmaCanUserfault(vma) else { throw .EINVAL }
            guard vma.flags.contains(.mayWrite) else { throw .EPERM }
        }
        let context = 1
        var address = start
        while address < end {
            guard let index = mm(mmID).vmas.firstIndex(intersecting: address, end) else { break }
            let vma = mm(mmID).vmas[index]
            let segmentEnd = min(end, vma.end)
            var flags = vma.flags.union(.uffdWP)
            if missing { flags.insert(.uffdMissing) }
            let newFlags = flags
            let limit = config.maxMapCount
            splitHugePMDsStraddling(mmID, index, max(address, vma.start), segmentEnd)
            let result = try withMM(mmID) { mm throws(KernelErrno) -> Int in
                try mm.modifyVMA(at: index, max(address, vma.start), segmentEnd, maxMapCount: limit) {
                    $0.flags = newFlags
                    $0.uffdContext = context
                }
            }
            let protection = pageProtection(for: mm(mmID).vmas[result])
            withMM(mmID) { $0.vmas.update(result) { $0.pageProt = protection } }
            address = segmentEnd
        }
        return context
    }

    /// Models `validate_range()` in fs/userfaultfd.c: a page-aligned, non-empty range at or above `mmap_min_addr`
    /// that ends within the task's address space; EINVAL otherwise.
    func validateUserfaultfdRange(_ start: UInt64, _ length: UInt64) throws(KernelErrno) {
        let taskSize = PageGeometry.taskSize
        guard start & (PageGeometry.pageSize - 1) == 0, length & (PageGeometry.pageSize - 1) == 0, length != 0,
            start >= config.mmapMinAddress, start < taskSize, length <= taskSize - start
        else { throw .EINVAL }
    }

    /// Models `vma_can_userfault()` for the write-protect mode: only anonymous, shmem and hugetlb VMAs (special
    /// PFNMAP/IO mappings never qualify).
    func vmaCanUserfault(_ vma: VMA) -> Bool {
        guard vma.flags.intersection([.pfnMap, .io]).isEmpty else { return false }
        if vma.isAnonymous || vma.flags.contains(.hugetlb) { return true }
        return vma.file.map { files[$0.rawValue].isShmem } ?? false
    }

    /// UFFDIO_WRITEPROTECT: models `mwriteprotect_range()` → `uffd_wp_range()` (≥6.2: one mmu_gather per VMA),
    /// under the mmap read lock, after `validate_range()`. Protecting sets uffd-wp and clears write on every PTE;
    /// unprotecting clears uffd-wp and, where the VMA allows it, makes PTEs writable again in place. Holes are
    /// skipped; the first VMA not registered for WP stops the walk with ENOENT, the VMAs before it staying changed;
    /// a range without any VMA is ENOENT too.
    public mutating func userfaultfdWriteProtect(
        _ task: TaskID, _ start: UInt64, _ length: UInt64, protect: Bool
    )
        throws(KernelErrno)
    {
        let mmID = tasks[task.rawValue].mm
        currentCPU = tasks[task.rawValue].cpu
        defer { currentCPU = nil }
        try validateUserfaultfdRange(start, length)
        let end = start + length
        var failure: KernelErrno? = .ENOENT
        var address = start
        while address < end, let index = mm(mmID).vmas.firstIndex(intersecting: address, end) {
            let vma = mm(mmID).vmas[index]
            guard vma.flags.contains(.uffdWP) else {
                failure = .ENOENT
                break
            }
            var flags: ChangeProtectionFlags = protect ? .uffdWP : .uffdWPResolve
            let upgrade = vma.flags.contains(.shared) ? wantsWriteNotify(vma) : vma.flags.contains(.write)
            if !protect && upgrade && config.upgradesPrivateWritable { flags.insert(.tryChangeWritable) }
            // uffd_wp_range(): one gather per VMA, finished (and flushed) before the next VMA is looked at.
            var gather = protectionGather(mm: mmID, cpu: tasks[task.rawValue].cpu)
            changeProtection(&gather, index, max(start, vma.start), min(end, vma.end), flags)
            finishProtectionGather(&gather)
            failure = nil
            address = vma.end
        }
        if let failure { throw failure }
    }
}
