// PLACEHOLDER (replaced by the mlock helper): the entry points the syscall vocabulary calls.
extension Machine {
    /// mlock(2)/mlock2(2). Placeholder.
    public mutating func mlock(_ task: TaskID, _ start: UInt64, _ length: UInt64, flags: UInt64) throws(KernelErrno) {
        throw .EINVAL
    }

    /// munlock(2). Placeholder.
    public mutating func munlock(_ task: TaskID, _ start: UInt64, _ length: UInt64) throws(KernelErrno) {
        throw .EINVAL
    }

    /// mlockall(2). Placeholder.
    public mutating func mlockall(_ task: TaskID, flags: UInt64) throws(KernelErrno) { throw .EINVAL }

    /// munlockall(2). Placeholder.
    public mutating func munlockall(_ task: TaskID) throws(KernelErrno) { throw .EINVAL }
}
