import MMHardware

extension Machine {
    /// Models x86 `mm_pkey_is_allocated()`: without PKU no key exists (`arch_max_pkey()` is 1 and nothing is
    /// allocated), so every explicit key is EINVAL. The execute-only key is allocated but reserved to the kernel, so
    /// it counts as not allocated for the system calls.
    func pkeyIsAllocated(_ mmID: MMID, _ pkey: Int) -> Bool {
        guard config.pku, pkey >= 0, pkey < 16 else { return false }
        if pkey == mm(mmID).executeOnlyPKey { return false }
        return mm(mmID).pkeyAllocationMap & (1 << UInt16(pkey)) != 0
    }

    /// Models x86 `mm_pkey_alloc()`: the lowest key not yet in `pkey_allocation_map`, or nil when all
    /// `arch_max_pkey()` keys are taken (16 with PKU, 1 without: key 0, which a mm without PKU does not start
    /// with).
    mutating func mmPKeyAlloc(_ mmID: MMID) -> Int? {
        let map = mm(mmID).pkeyAllocationMap
        guard map != (config.pku ? UInt16.max : 0x1) else { return nil }
        let key = (~map).trailingZeroBitCount
        withMM(mmID) { $0.pkeyAllocationMap |= 1 << UInt16(key) }
        return key
    }

    /// Models x86 `execute_only_pkey()` → `__execute_only_pkey()` in arch/x86/mm/pkeys.c: the mm's execute-only
    /// key, allocated on first use (nil if no key is free, and 0 without protection keys). The calling thread must
    /// not be able to read through it, so its PKRU gets the key's access-disable bit — unless the key already
    /// existed and that thread's PKRU already refuses reads, in which case PKRU is left alone. Other threads keep
    /// their PKRU (the default one refuses the key anyway).
    mutating func executeOnlyPKey(_ task: TaskID) -> Int? {
        guard config.pku else { return 0 }
        let mmID = tasks[task.rawValue].mm
        var key = mm(mmID).executeOnlyPKey
        let allocated = key == -1
        if allocated {
            guard let free = mmPKeyAlloc(mmID) else { return nil }
            key = free
        } else if !PKRU.permits(tasks[task.rawValue].pkru, key: key, write: false) {
            return key
        }
        setUserPKeyAccess(task, key, 0x1)
        if allocated { withMM(mmID) { $0.executeOnlyPKey = key } }
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
    mutating func overrideMprotectPKey(_ task: TaskID, _ vma: VMA, _ prot: Protection, _ pkey: Int) -> Int {
        guard config.pku else { return 0 }
        if pkey != -1 { return pkey }
        if prot == .exec {
            if let key = executeOnlyPKey(task), key > 0 { return key }
        } else if vmaIsPKeyExecOnly(tasks[task.rawValue].mm, vma) {
            return 0
        }
        return vma.flags.pkey
    }

    /// pkey_alloc(2) in mm/mprotect.c: the lowest free key (key 0 is allocated with the mm), whose rights in the
    /// calling thread's PKRU become `accessRights` (`arch_set_user_pkey_access()`). Without PKU setting the rights
    /// fails: the first call is EINVAL, every later one ENOSPC.
    public mutating func pkeyAlloc(_ task: TaskID, flags: UInt64, accessRights: UInt64) throws(KernelErrno) -> Int {
        guard flags == 0, accessRights & ~UInt64(0x3) == 0 else { throw .EINVAL }
        guard let key = mmPKeyAlloc(tasks[task.rawValue].mm) else { throw .ENOSPC }
        // Without OSPKE `arch_set_user_pkey_access()` refuses (EINVAL), and the mm_pkey_free() that should undo the
        // allocation fails too: an mm without OSPKE has `execute_only_pkey` 0, so key 0 never counts as allocated.
        // Key 0 stays taken, and the next pkey_alloc() finds no key (ENOSPC).
        guard config.pku else { throw .EINVAL }
        setUserPKeyAccess(task, key, accessRights)
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
