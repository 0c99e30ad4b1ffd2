import MMHardware

extension Machine {
    /// mlockall(2): models `sys_mlockall()` in mm/mlock.c. The flags are an `int`: none, an unknown bit, or
    /// `MCL_ONFAULT` alone is EINVAL; then EPERM unless `can_do_mlock()`; with `MCL_CURRENT` and without
    /// `CAP_IPC_LOCK`, ENOMEM if `total_vm` exceeds `RLIMIT_MEMLOCK`. `apply_mlockall_flags()` then sets the
    /// mm's default flags and locks every VMA, and with MCL_CURRENT the whole address space is populated, errors
    /// ignored (`mm_populate(0, TASK_SIZE)`).
    public mutating func mlockall(_ task: TaskID, flags: UInt64) throws(KernelErrno) {
        let mmID = tasks[task.rawValue].mm
        currentCPU = tasks[task.rawValue].cpu
        defer { currentCPU = nil }
        let requested = Int32(truncatingIfNeeded: flags)
        let known = MlockFlags.current | MlockFlags.future | MlockFlags.mclOnFault
        if requested == 0 || requested & ~known != 0 || requested == MlockFlags.mclOnFault { throw .EINVAL }
        guard canDoMlock else { throw .EPERM }
        let current = requested & MlockFlags.current != 0
        let totalVM = UInt64(max(0, mm(mmID).accounting.totalVM))
        guard !current || totalVM <= memlockLimitPages || config.capIPCLock else { throw .ENOMEM }
        applyMlockallFlags(mmID, requested)
        if current { mmPopulate(task, 0, PageGeometry.taskSize, ignoreErrors: true) }
    }

    /// munlockall(2): models `sys_munlockall()`: `apply_mlockall_flags(0)` clears the future-lock default and
    /// unlocks every VMA.
    public mutating func munlockall(_ task: TaskID) throws(KernelErrno) {
        let mmID = tasks[task.rawValue].mm
        currentCPU = tasks[task.rawValue].cpu
        defer { currentCPU = nil }
        applyMlockallFlags(mmID, 0)
    }

    /// Models `apply_mlockall_flags()`: `def_flags` loses `VM_LOCKED`/`VM_LOCKONFAULT` and, with `MCL_FUTURE`, gets
    /// `VM_LOCKED` (plus `VM_LOCKONFAULT` with `MCL_ONFAULT`) so that later mappings are locked; MCL_FUTURE alone
    /// leaves the current VMAs as they are. Otherwise every VMA goes through `mlock_fixup()` with the lock flags
    /// MCL_CURRENT asks for, or none (which is how munlockall, and MCL_CURRENT without MCL_FUTURE, also cancel an
    /// earlier MCL_FUTURE); a VMA whose split fails is skipped.
    mutating func applyMlockallFlags(_ mmID: MMID, _ flags: Int32) {
        withMM(mmID) { mm in
            mm.defaultFlags.subtract(.lockedMask)
            if flags & MlockFlags.future != 0 {
                mm.defaultFlags.insert(.locked)
                if flags & MlockFlags.mclOnFault != 0 { mm.defaultFlags.insert(.lockOnFault) }
            }
        }
        if flags & MlockFlags.future != 0 && flags & MlockFlags.current == 0 { return }
        var toAdd: VMFlags = []
        if flags & MlockFlags.current != 0 {
            toAdd.insert(.locked)
            if flags & MlockFlags.mclOnFault != 0 { toAdd.insert(.lockOnFault) }
        }
        var index = 0
        while index < vmaCount(mmID) {
            let vma = vma(mmID, index)
            let newFlags = vma.flags.subtracting(.lockedMask).union(toAdd)
            let result = (try? mlockFixup(mmID, index, vma.start, vma.end, newFlags)) ?? index
            index = result + 1
        }
    }
}
