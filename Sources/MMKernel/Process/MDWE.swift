/// The bits of prctl(PR_SET_MDWE)/PR_GET_MDWE (include/uapi/linux/prctl.h), stored in the mm as `MMF_HAS_MDWE` and
/// `MMF_HAS_MDWE_NO_INHERIT`.
public struct MDWEFlags: OptionSet, Hashable, Sendable {
    public var rawValue: UInt64
    public init(rawValue: UInt64) { self.rawValue = rawValue }

    /// `PR_MDWE_REFUSE_EXEC_GAIN` (`MMF_HAS_MDWE`): no mapping may become writable and executable or gain exec.
    public static let refuseExecGain = MDWEFlags(rawValue: 1)
    /// `PR_MDWE_NO_INHERIT` (`MMF_HAS_MDWE_NO_INHERIT`): fork and exec do not pass MDWE on.
    public static let noInherit = MDWEFlags(rawValue: 2)

    /// Models the MDWE part of `mmf_init_flags()`: what a new mm made by fork or exec inherits. With NO_INHERIT both
    /// bits are dropped; otherwise `MMF_HAS_MDWE`, one of the `MMF_INIT_MASK` flags, carries over.
    public var inherited: MDWEFlags { contains(.noInherit) ? [] : intersection(.refuseExecGain) }
}

extension Machine {
    /// Models `prctl_set_mdwe()` in kernel/sys.c: arg3..arg5 must be zero and only the two known bits may be given
    /// (EINVAL), NO_INHERIT needs REFUSE_EXEC_GAIN (EINVAL), and once any bit is set the call may only repeat exactly
    /// the same bits (EPERM otherwise: MDWE can be neither cleared nor changed). x86 supports MDWE
    /// (`arch_memory_deny_write_exec_supported()`).
    mutating func prctlSetMDWE(
        _ task: TaskID, _ bits: UInt64, _ arg3: UInt64, _ arg4: UInt64, _ arg5: UInt64
    ) throws(KernelErrno) {
        if arg3 != 0 || arg4 != 0 || arg5 != 0 { throw .EINVAL }
        let known: MDWEFlags = [.refuseExecGain, .noInherit]
        if bits & ~known.rawValue != 0 { throw .EINVAL }
        let requested = MDWEFlags(rawValue: bits)
        if requested.contains(.noInherit) && !requested.contains(.refuseExecGain) { throw .EINVAL }
        let current = mm(tasks[task.rawValue].mm).mdwe
        if !current.isEmpty && current != requested { throw .EPERM }
        withMM(tasks[task.rawValue].mm) { $0.mdwe.formUnion(requested) }
    }

    /// Models `prctl_get_mdwe()`: arg2..arg5 must be zero (EINVAL); returns the bits set (`get_current_mdwe()`).
    func prctlGetMDWE(
        _ task: TaskID, _ arg2: UInt64, _ arg3: UInt64, _ arg4: UInt64, _ arg5: UInt64
    ) throws(KernelErrno) -> UInt64 {
        if arg2 != 0 || arg3 != 0 || arg4 != 0 || arg5 != 0 { throw .EINVAL }
        return mm(tasks[task.rawValue].mm).mdwe.rawValue
    }
}
