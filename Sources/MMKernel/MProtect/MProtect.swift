import MMHardware

extension Machine {
    /// mprotect(2): `pkey_mprotect()` with pkey -1.
    public mutating func mprotect(_ task: TaskID, _ start: UInt64, _ length: UInt64, prot: UInt64) throws(KernelErrno) {
        try pkeyMprotect(task, start, length, prot: prot, pkey: -1)
    }

    /// pkey_mprotect(2): models `do_mprotect_pkey()` in mm/mprotect.c with every check in the kernel's order
    /// (docs/kernel-model.md, "`do_mprotect_pkey()` step by step"). One mmu_gather covers the whole call; VMAs already
    /// changed when a later one fails keep their new protection and are flushed by the final `tlb_finish_mmu()`
    /// (nothing is rolled back).
    public mutating func pkeyMprotect(
        _ task: TaskID, _ start: UInt64, _ length: UInt64, prot rawProt: UInt64, pkey: Int
    )
        throws(KernelErrno)
    {
        let mmID = tasks[task.rawValue].mm
        currentCPU = tasks[task.rawValue].cpu
        defer { currentCPU = nil }
        var prot = Protection(rawValue: rawProt)
        let grows = prot.intersection([.growsDown, .growsUp])
        prot.subtract([.growsDown, .growsUp])
        if grows == [.growsDown, .growsUp] { throw .EINVAL }
        if start & (PageGeometry.pageSize - 1) != 0 { throw .EINVAL }
        if length == 0 { return }
        let alignedLength = PageGeometry.alignUp(length, PageGeometry.pageSize)
        let end = start &+ alignedLength
        if alignedLength == 0 || end <= start { throw .ENOMEM }
        if prot.rawValue & ~Protection([.read, .write, .exec, .sem]).rawValue != 0 { throw .EINVAL }
        let requested = prot
        if pkey != -1 && !pkeyIsAllocated(mmID, pkey) { throw .EINVAL }
        // VMAs are read one at a time: holding the whole set across mprotect_fixup() would make its split or merge
        // copy the array.
        guard var index = mm(mmID).vmas.firstIndex(intersecting: start, end) else { throw .ENOMEM }
        let first = vma(mmID, index)
        var rangeStart = start
        if grows.contains(.growsDown) {
            if first.start >= end { throw .ENOMEM }
            rangeStart = first.start
            if !first.flags.contains(.growsDown) { throw .EINVAL }
        } else {
            if first.start > start { throw .ENOMEM }
            // x86 has no VM_GROWSUP, so PROT_GROWSUP is always refused here.
            if grows.contains(.growsUp) { throw .EINVAL }
        }
        var gather = protectionGather(mm: mmID, cpu: tasks[task.rawValue].cpu)
        var failure: KernelErrno?
        var processed = first.start
        var segmentStart = rangeStart
        while index < vmaCount(mmID) && vma(mmID, index).start < end {
            let vma = vma(mmID, index)
            if vma.start != processed {
                failure = .ENOMEM
                break
            }
            var vmaProt = requested
            if readImpliesExec(task) && requested.contains(.read) && vma.flags.contains(.mayExec) {
                vmaProt.insert(.exec)
            }
            let newPKey = overrideMprotectPKey(task, vma, vmaProt, pkey)
            let newFlags = VMFlags.fromProt(vmaProt, pkey: newPKey).union(
                vma.flags.subtracting(VMFlags.accessFlags.union(.flagsClear)))
            // Asking for READ/WRITE/EXEC without the matching MAYREAD/MAYWRITE/MAYEXEC.
            if newFlags.rawValue & ~(newFlags.rawValue >> 4) & VMFlags.accessFlags.rawValue != 0 {
                failure = .EACCES
                break
            }
            if mm(mmID).denyWriteExecute && mapDenyWriteExec(old: vma.flags, new: newFlags) {
                failure = .EACCES
                break
            }
            let segmentEnd = min(vma.end, end)
            let result: Int
            do {
                result = try mprotectFixup(&gather, task, index, segmentStart, segmentEnd, newFlags)
            } catch {
                failure = error
                break
            }
            // Continue after the VMA that now holds the segment: a merge may have made it reach past `end`.
            processed = self.vma(mmID, result).end
            index = result + 1
            segmentStart = processed
        }
        finishProtectionGather(&gather)
        if let failure { throw failure }
        if processed < end { throw .ENOMEM }
    }

    /// Models `map_deny_write_exec()`: under MDWE a mapping may not become writable and executable, nor gain
    /// execute permission it did not have.
    func mapDenyWriteExec(old: VMFlags, new: VMFlags) -> Bool {
        if new.isSuperset(of: [.write, .exec]) { return true }
        return new.contains(.exec) && !old.contains(.exec)
    }
}
