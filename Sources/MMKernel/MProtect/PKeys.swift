extension Machine {
    /// Models x86 `mm_pkey_is_allocated()`: without PKU no key exists (`arch_max_pkey()` is 1 and nothing is
    /// allocated), so every explicit key is EINVAL. The execute-only key is allocated but reserved to the kernel, so
    /// it counts as not allocated for the system calls.
    func pkeyIsAllocated(_ mmID: MMID, _ pkey: Int) -> Bool {
        guard config.pku, pkey >= 0, pkey < 16 else { return false }
        if pkey == mm(mmID).executeOnlyPKey { return false }
        return mm(mmID).pkeyAllocationMap & (1 << UInt16(pkey)) != 0
    }

    /// Models x86 `mm_pkey_alloc()`: the lowest key not yet in `pkey_allocation_map`, or nil when all 16 are taken.
    mutating func mmPKeyAlloc(_ mmID: MMID) -> Int? {
        let map = mm(mmID).pkeyAllocationMap
        guard map != UInt16.max else { return nil }
        let key = (~map).trailingZeroBitCount
        withMM(mmID) { $0.pkeyAllocationMap |= 1 << UInt16(key) }
        return key
    }

    /// Models x86 `__execute_only_pkey()`: the mm's execute-only key, allocated on first use; nil if no key is free.
    /// (PKRU is not modelled, so setting the key's access-disable bit cannot fail.)
    mutating func executeOnlyPKey(_ mmID: MMID) -> Int? {
        let existing = mm(mmID).executeOnlyPKey
        if existing != -1 { return existing }
        guard let key = mmPKeyAlloc(mmID) else { return nil }
        withMM(mmID) { $0.executeOnlyPKey = key }
        return key
    }

    /// Models x86 `vma_is_pkey_exec_only()`: access flags exactly VM_EXEC, on the mm's execute-only key.
    func vmaIsPKeyExecOnly(_ mmID: MMID, _ vma: VMA) -> Bool {
        guard vma.flags.intersection(VMFlags.accessFlags) == .exec else { return false }
        return vma.flags.pkey == mm(mmID).executeOnlyPKey
    }

    /// Models x86 `arch_override_mprotect_pkey()`: an explicit key wins; exactly PROT_EXEC asks for the execute-only
    /// key (allocating it the first time); a VMA leaving execute-only on that key drops back to key 0; otherwise
    /// the VMA keeps its key.
    mutating func overrideMprotectPKey(_ mmID: MMID, _ vma: VMA, _ prot: Protection, _ pkey: Int) -> Int {
        guard config.pku else { return 0 }
        if pkey != -1 { return pkey }
        if prot == .exec {
            if let key = executeOnlyPKey(mmID), key > 0 { return key }
        } else if vmaIsPKeyExecOnly(mmID, vma) {
            return 0
        }
        return vma.flags.pkey
    }

    /// pkey_alloc(2): the lowest free key (key 0 is allocated with the mm). Without PKU the call fails with EINVAL, as measured on the
    /// reference machines.
    public mutating func pkeyAlloc(_ task: TaskID, flags: UInt64, accessRights: UInt64) throws(KernelErrno) -> Int {
        guard flags == 0, accessRights & ~UInt64(0x3) == 0, config.pku else { throw .EINVAL }
        guard let key = mmPKeyAlloc(tasks[task.rawValue].mm) else { throw .ENOSPC }
        return key
    }

    /// pkey_free(2) (`mm_pkey_free()`): EINVAL unless the key is allocated — key 0 included, which the kernel lets
    /// a program free.
    public mutating func pkeyFree(_ task: TaskID, _ pkey: Int) throws(KernelErrno) {
        let mmID = tasks[task.rawValue].mm
        guard pkeyIsAllocated(mmID, pkey) else { throw .EINVAL }
        withMM(mmID) { $0.pkeyAllocationMap &= ~(1 << UInt16(pkey)) }
    }
}
