extension Machine {
    /// personality(2) with or without `READ_IMPLIES_EXEC`: afterwards PROT_READ requests also grant PROT_EXEC in
    /// mmap and mprotect of VMAs that may execute.
    public mutating func setReadImpliesExec(_ task: TaskID, _ enabled: Bool) {
        withMM(tasks[task.rawValue].mm) { $0.readImpliesExec = enabled }
    }

    /// prctl(PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN): from now on no mapping of the process may become writable and
    /// executable or gain execute permission (models `MMF_HAS_MDWE`; it cannot be cleared again).
    public mutating func prctlSetMDWE(_ task: TaskID) {
        withMM(tasks[task.rawValue].mm) { $0.denyWriteExecute = true }
    }
}
