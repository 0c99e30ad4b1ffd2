extension Machine {
    /// Models x86 `mm_pkey_is_allocated()`: without PKU no key exists (`arch_max_pkey()` is 1 and nothing is
    /// allocated), so every explicit key is EINVAL.
    func pkeyIsAllocated(_ mmID: MMID, _ pkey: Int) -> Bool {
        guard config.pku, pkey >= 0, pkey < 16 else { return false }
        return mm(mmID).pkeyAllocationMap & (1 << UInt16(pkey)) != 0
    }

    /// Models x86 `arch_override_mprotect_pkey()`: an explicit key wins; PROT_EXEC alone asks for the execute-only
    /// key; leaving execute-only drops back to key 0; otherwise the VMA keeps its key.
    func overrideMprotectPKey(_ mmID: MMID, _ vma: VMA, _ prot: Protection, _ pkey: Int) -> Int {
        guard config.pku else { return 0 }
        if pkey != -1 { return pkey }
        let executeOnly = mm(mmID).executeOnlyPKey
        if prot == .exec && executeOnly != -1 { return executeOnly }
        if vma.flags.pkey == executeOnly && executeOnly != -1 && prot != .exec { return 0 }
        return vma.flags.pkey
    }

    /// pkey_alloc(2): the lowest free key from 1 to 15. Without PKU the call fails with EINVAL, as measured on the
    /// reference machines.
    public mutating func pkeyAlloc(_ task: TaskID, flags: UInt64, accessRights: UInt64) throws(KernelErrno) -> Int {
        guard flags == 0, accessRights & ~UInt64(0x3) == 0, config.pku else { throw .EINVAL }
        let mmID = tasks[task.rawValue].mm
        for key in 1..<16 where mm(mmID).pkeyAllocationMap & (1 << UInt16(key)) == 0 {
            withMM(mmID) { $0.pkeyAllocationMap |= 1 << UInt16(key) }
            return key
        }
        throw .ENOSPC
    }

    /// pkey_free(2): EINVAL unless the key is allocated.
    public mutating func pkeyFree(_ task: TaskID, _ pkey: Int) throws(KernelErrno) {
        let mmID = tasks[task.rawValue].mm
        guard pkey > 0, pkeyIsAllocated(mmID, pkey) else { throw .EINVAL }
        withMM(mmID) { $0.pkeyAllocationMap &= ~(1 << UInt16(pkey)) }
    }
}
