// PLACEHOLDER (refined by the process-settings helper): prctl and personality as the vocabulary calls them.
extension Machine {
    /// prctl(2) for the options the model knows: `PR_SET_MDWE` (65) and `PR_GET_MDWE` (66). Placeholder.
    public mutating func prctl(
        _ task: TaskID, option: Int64, _ arg2: UInt64, _ arg3: UInt64, _ arg4: UInt64, _ arg5: UInt64
    ) throws(KernelErrno) -> UInt64 {
        switch option {
        case 65 where arg2 == 1 && arg3 == 0 && arg4 == 0 && arg5 == 0:
            prctlSetMDWE(task)
            return 0
        case 66 where arg2 == 0 && arg3 == 0 && arg4 == 0 && arg5 == 0:
            return mm(tasks[task.rawValue].mm).denyWriteExecute ? 1 : 0
        default:
            throw .EINVAL
        }
    }

    /// personality(2): returns the previous persona. Placeholder.
    public mutating func personality(_ task: TaskID, _ persona: UInt64) -> UInt64 {
        let previous: UInt64 = mm(tasks[task.rawValue].mm).readImpliesExec ? 0x0400000 : 0
        if persona != 0xffff_ffff { setReadImpliesExec(task, persona & 0x0400000 != 0) }
        return previous
    }
}
