/// prctl(2) option numbers (include/uapi/linux/prctl.h of 6.18).
public enum PrctlOption {
    /// `PR_SET_MDWE`.
    public static let setMDWE: Int32 = 65
    /// `PR_GET_MDWE`.
    public static let getMDWE: Int32 = 66
    /// The highest numbered option 6.18 defines (`PR_FUTEX_HASH`); 79 and above are EINVAL on the reference kernel.
    public static let lastNumbered: Int32 = 78
    /// Numbers below `lastNumbered` that were never assigned (the kernel answers EINVAL), with 0; 43 and 44 are the
    /// removed MPX options, which the kernel keeps answering with EINVAL.
    public static let unassigned: Set<Int32> = [0, 17, 18, 43, 44, 48, 49]
    /// The options named by a magic constant rather than a number: `PR_SET_VMA` ("AVMS"), `PR_GET_AUXV` ("VXUA"),
    /// `PR_SET_PTRACER` ("Yama").
    public static let named: Set<Int32> = [0x5356_4d41, 0x4155_5856, 0x5961_6d61]

    /// Whether 6.18 implements `option` (after the kernel's truncation to `int`), so that answering EINVAL for it
    /// would misstate the kernel. Architecture-specific options that x86 refuses count as implemented too: the
    /// model does not claim to know their answer.
    public static func isDefined(_ option: Int32) -> Bool {
        if named.contains(option) { return true }
        return option > 0 && option <= lastNumbered && !unassigned.contains(option)
    }
}

extension Machine {
    /// prctl(2): models `sys_prctl()` in kernel/sys.c for the options the model implements, `PR_SET_MDWE` and
    /// `PR_GET_MDWE`. The option is an `int`, so only its low 32 bits count. Every other option number is EINVAL
    /// here, which is the kernel's answer for numbers it does not define (`PrctlOption.isDefined`); for options it
    /// does define, `perform(.prctl(...))` answers `.notModelled` instead of calling this.
    public mutating func prctl(
        _ task: TaskID, option: Int64, _ arg2: UInt64, _ arg3: UInt64, _ arg4: UInt64, _ arg5: UInt64
    ) throws(KernelErrno) -> UInt64 {
        switch Int32(truncatingIfNeeded: option) {
        case PrctlOption.setMDWE:
            try prctlSetMDWE(task, arg2, arg3, arg4, arg5)
            return 0
        case PrctlOption.getMDWE:
            return try prctlGetMDWE(task, arg2, arg3, arg4, arg5)
        default:
            throw .EINVAL
        }
    }

    /// What `perform` reports for a prctl option the kernel implements and the model does not: nil when the model
    /// answers the call itself (the MDWE options, or a number the kernel does not define: EINVAL).
    public static func unmodelledPrctl(_ option: Int64) -> String? {
        let number = Int32(truncatingIfNeeded: option)
        if number == PrctlOption.setMDWE || number == PrctlOption.getMDWE { return nil }
        guard PrctlOption.isDefined(number) else { return nil }
        return "prctl option \(number) (only PR_SET_MDWE and PR_GET_MDWE are modelled)"
    }
}
