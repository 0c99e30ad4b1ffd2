import MMHardware

extension Machine {
    /// Mirrors `init_pkru_value` in arch/x86/mm/pkeys.c: access disabled for every key but 0, so memory given
    /// another key is closed to a thread until it opens it (pkey_alloc's rights or WRPKRU).
    public static let initPKRUValue: UInt32 = 0x5555_5554

    /// The PKRU a thread starts with (`pkru_get_init_value()`): the default with protection keys, 0 without (there
    /// is no PKRU state then).
    var initialPKRU: UInt32 { config.pku ? Machine.initPKRUValue : 0 }

    /// The PKRU of `task` (what RDPKRU returns in that thread).
    public func pkru(_ task: TaskID) -> UInt32 { tasks[task.rawValue].pkru }

    /// Thread `task` executes WRPKRU with `value`: it runs on its CPU, and the new rights apply to its next access
    /// without any TLB flush. Without protection keys (CR4.PKE clear) the instruction raises #UD, which the model
    /// reduces to changing nothing.
    public mutating func writePKRU(_ task: TaskID, _ value: UInt32) {
        guard config.pku else { return }
        schedule(task)
        setPKRU(task, value)
    }

    /// Sets the PKRU of `task`, and the register of its CPU if the task is running there (`write_pkru()` acts on
    /// the hardware for `current`; a task switched out keeps the value in `thread.pkru`).
    mutating func setPKRU(_ task: TaskID, _ value: UInt32) {
        tasks[task.rawValue].pkru = value
        let cpu = tasks[task.rawValue].cpu
        if cpuState[cpu.rawValue].currentTask == task { cpus[cpu.rawValue].writePKRU(value) }
    }

    /// Models `arch_set_user_pkey_access()` in arch/x86/kernel/fpu/xstate.c: replaces the two bits of `pkey` in
    /// the calling thread's PKRU with `rights` (`PKEY_DISABLE_ACCESS` 1, `PKEY_DISABLE_WRITE` 2). Only that thread
    /// changes; the others keep their own PKRU.
    mutating func setUserPKeyAccess(_ task: TaskID, _ pkey: Int, _ rights: UInt64) {
        var bits: UInt32 = 0
        if rights & 0x1 != 0 { bits |= PKRU.accessDisable(pkey) }
        if rights & 0x2 != 0 { bits |= PKRU.writeDisable(pkey) }
        let mask = PKRU.accessDisable(pkey) | PKRU.writeDisable(pkey)
        setPKRU(task, (tasks[task.rawValue].pkru & ~mask) | bits)
    }

    /// Models x86 `arch_vma_access_permitted()` with `__pkru_allows_pkey()`: whether the PKRU of `task` lets a data
    /// access reach `vma`'s key. Instruction fetches and accesses to another process's memory (`foreign`, as
    /// `get_user_pages_remote()` makes) are never restricted, and without protection keys nothing is.
    func vmaAccessPermitted(_ task: TaskID, _ vma: VMA, write: Bool, execute: Bool, foreign: Bool) -> Bool {
        guard config.pku, !execute, !foreign else { return true }
        return PKRU.permits(tasks[task.rawValue].pkru, key: vma.flags.pkey, write: write)
    }
}
