import MMHardware

extension Machine {
    /// Models `mprotect_fixup()` in mm/mprotect.c: applies `newFlags` to `[start, end)` of the VMA at `index` — the
    /// no-op case, the commit charge of a VMA becoming writable, merge or split, `vm_page_prot`, `change_protection()`,
    /// the populate of a locked VMA becoming writable, and the statistics. Returns the index of the VMA holding the
    /// range.
    mutating func mprotectFixup(
        _ gather: inout MMUGather, _ task: TaskID, _ index: Int, _ start: UInt64, _ end: UInt64, _ requested: VMFlags
    ) throws(KernelErrno) -> Int {
        let mmID = gather.mm
        let vma = mm(mmID).vmas[index]
        if vma.sealed { throw .EPERM }
        let old = vma.flags
        var newFlags = requested
        if newFlags == old { return index }
        let pages = Int64((end - start) >> PageGeometry.pageShift)
        var charged: Int64 = 0
        var dropAccount = false
        if newFlags.contains(.write) {
            if !mayExpandVM(mm(mmID), newFlags, pages) && mayExpandVM(mm(mmID), old, pages) { throw .ENOMEM }
            if old.intersection([.account, .write, .hugetlb, .shared, .noReserve]).isEmpty {
                guard vmEnoughMemory(pages) else { throw .ENOMEM }
                charged = pages
                newFlags.insert(.account)
            }
        } else if old.contains(.account) && vma.isAnonymous && vma.anonVMA == nil {
            newFlags.remove(.account)
            dropAccount = true
        }
        let limit = config.maxMapCount
        let finalFlags = newFlags
        let result: Int
        splitHugePMDsStraddling(mmID, index, start, end)
        do {
            result = try withMM(mmID) { mm throws(KernelErrno) -> Int in
                try mm.modifyVMA(at: index, start, end, maxMapCount: limit) { $0.flags = finalFlags }
            }
        } catch {
            vmUnaccountMemory(charged)
            throw error
        }
        let updated = mm(mmID).vmas[result]
        let writeNotify = wantsWriteNotify(updated)
        var cpFlags: ChangeProtectionFlags = []
        if config.upgradesPrivateWritable {
            // vma_wants_manual_pte_write_upgrade(): shared VMAs that want write-notify, private VMAs with VM_WRITE.
            if updated.flags.contains(.shared) ? writeNotify : updated.flags.contains(.write) {
                cpFlags.insert(.tryChangeWritable)
            }
        } else if writeNotify {
            cpFlags.insert(.tryChangeWritable)
        }
        let protection = pageProtection(for: updated)
        withMM(mmID) { $0.vmas.update(result) { $0.pageProt = protection } }
        changeProtection(&gather, result, start, end, cpFlags)
        if dropAccount { vmUnaccountMemory(pages) }
        if old.intersection([.write, .shared, .locked]) == .locked && newFlags.contains(.write) {
            // A locked private VMA becoming writable has its COW broken now (nothing for VM_LOCKONFAULT).
            populateVMAPageRange(task, result, start, end)
        }
        withMM(mmID) { mm in
            mm.accounting.account(old, pages: -pages)
            mm.accounting.account(newFlags, pages: pages)
        }
        return result
    }
}
