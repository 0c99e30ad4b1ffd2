extension Machine {
    /// personality(2) with or without `READ_IMPLIES_EXEC`, keeping the thread's other persona bits: afterwards
    /// PROT_READ requests of this thread also grant PROT_EXEC in mmap and mprotect of VMAs that may execute.
    public mutating func setReadImpliesExec(_ task: TaskID, _ enabled: Bool) {
        var persona = tasks[task.rawValue].personality
        if enabled { persona |= Personality.readImpliesExec } else { persona &= ~Personality.readImpliesExec }
        tasks[task.rawValue].personality = persona
    }

    /// prctl(PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN): from now on no mapping of the process may become writable and
    /// executable or gain execute permission. Unlike the system call, it never fails: a process that already has
    /// MDWE (with or without `PR_MDWE_NO_INHERIT`) keeps what it has.
    public mutating func prctlSetMDWE(_ task: TaskID) {
        withMM(tasks[task.rawValue].mm) { mm in
            if mm.mdwe.isEmpty { mm.mdwe = .refuseExecGain }
        }
    }
}
