import MMHardware

extension Machine {
    /// UFFDIO_REGISTER with `UFFDIO_REGISTER_MODE_WP` (and optionally MISSING): marks every VMA of the fully mapped,
    /// page-aligned range `VM_UFFD_WP`, splitting at the edges and re-deriving `vm_page_prot` (a shared VMA now wants
    /// write-notify). Models `userfaultfd_register()`. Returns the userfaultfd context used.
    @discardableResult
    public mutating func userfaultfdRegister(
        _ task: TaskID, _ start: UInt64, _ length: UInt64, missing: Bool = false
    )
        throws(KernelErrno) -> Int
    {
        let mmID = tasks[task.rawValue].mm
        let end = start &+ length
        guard start & 0xFFF == 0, length & 0xFFF == 0, length > 0, end > start, end <= PageGeometry.taskSize else {
            throw .EINVAL
        }
        guard mm(mmID).vmas.coversWithoutHoles(start, end) else { throw .EINVAL }
        if mm(mmID).vmas.indices(intersecting: start, end).contains(where: {
            !vma(mmID, $0).flags.intersection([.pfnMap, .io]).isEmpty
        }) {
            throw .EINVAL
        }
        let context = 1
        var address = start
        while address < end {
            guard let index = mm(mmID).vmas.index(containing: address) else { break }
            let vma = mm(mmID).vmas[index]
            let segmentEnd = min(end, vma.end)
            var flags = vma.flags.union(.uffdWP)
            if missing { flags.insert(.uffdMissing) }
            let newFlags = flags
            let limit = config.maxMapCount
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

    /// UFFDIO_WRITEPROTECT: models `mwriteprotect_range()` → `uffd_wp_range()` (≥6.2: one mmu_gather per VMA),
    /// under the mmap read lock. Protecting sets uffd-wp and clears write on every PTE; unprotecting clears uffd-wp
    /// and, where the VMA allows it, makes PTEs writable again in place. Every VMA must be registered for WP (ENOENT).
    public mutating func userfaultfdWriteProtect(
        _ task: TaskID, _ start: UInt64, _ length: UInt64, protect: Bool
    )
        throws(KernelErrno)
    {
        let mmID = tasks[task.rawValue].mm
        currentCPU = tasks[task.rawValue].cpu
        defer { currentCPU = nil }
        let end = start &+ length
        guard start & 0xFFF == 0, length & 0xFFF == 0, end >= start else { throw .EINVAL }
        let range = mm(mmID).vmas.indices(intersecting: start, end)
        guard mm(mmID).vmas.coversWithoutHoles(start, end),
            range.allSatisfy({ mm(mmID).vmas[$0].flags.contains(.uffdWP) })
        else { throw .ENOENT }
        for index in range {
            let vma = mm(mmID).vmas[index]
            var flags: ChangeProtectionFlags = protect ? .uffdWP : .uffdWPResolve
            let upgrade = vma.flags.contains(.shared) ? wantsWriteNotify(vma) : vma.flags.contains(.write)
            if !protect && upgrade && config.upgradesPrivateWritable { flags.insert(.tryChangeWritable) }
            var gather = protectionGather(mm: mmID, cpu: tasks[task.rawValue].cpu)
            changeProtection(&gather, index, max(start, vma.start), min(end, vma.end), flags)
            finishProtectionGather(&gather)
        }
    }
}
