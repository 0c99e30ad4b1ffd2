/// The symbolic constants of the calls in the vocabulary, with their x86-64 Linux 6.18 values: one table per
/// argument, each entry a C name and its value. Scenarios accept these names, call texts print them, and the
/// conformance oracle writes them back. The values come from the kernel types that define them (`Advice`,
/// `MremapFlags`, `MlockFlags`, `PrctlOption`, `MDWEFlags`, `Personality`, `UserfaultfdMode`), so each constant has
/// one definition.
public enum SyscallConstants {
    /// Every `MADV_*` advice of Linux 6.18 as a name table, derived from `Advice` (mm/madvise.c), which is the one
    /// definition of the names and values.
    public static let advice: [(name: String, value: Int64)] = Advice.allCases.map { ($0.name, Int64($0.rawValue)) }

    /// The `MREMAP_*` flags of include/uapi/linux/mman.h.
    public static let mremapFlags: [(name: String, value: UInt64)] = [
        ("MREMAP_MAYMOVE", MremapFlags.mayMove.rawValue), ("MREMAP_FIXED", MremapFlags.fixed.rawValue),
        ("MREMAP_DONTUNMAP", MremapFlags.dontUnmap.rawValue),
    ]

    /// The flags of mlock2(2) (`MLOCK_ONFAULT`, include/uapi/asm-generic/mman-common.h).
    public static let mlock2Flags: [(name: String, value: UInt64)] = [("MLOCK_ONFAULT", UInt64(MlockFlags.onFault))]

    /// The flags of mlockall(2) (`MCL_*`, include/uapi/asm-generic/mman.h).
    public static let mlockallFlags: [(name: String, value: UInt64)] = [
        ("MCL_CURRENT", UInt64(MlockFlags.current)), ("MCL_FUTURE", UInt64(MlockFlags.future)),
        ("MCL_ONFAULT", UInt64(MlockFlags.mclOnFault)),
    ]

    /// The prctl(2) options the model knows (include/uapi/linux/prctl.h).
    public static let prctlOptions: [(name: String, value: Int64)] = [
        ("PR_SET_MDWE", Int64(PrctlOption.setMDWE)), ("PR_GET_MDWE", Int64(PrctlOption.getMDWE)),
    ]

    /// The flags of `PR_SET_MDWE`'s second argument.
    public static let mdweFlags: [(name: String, value: UInt64)] = [
        ("PR_MDWE_REFUSE_EXEC_GAIN", MDWEFlags.refuseExecGain.rawValue),
        ("PR_MDWE_NO_INHERIT", MDWEFlags.noInherit.rawValue),
    ]

    /// The persona bits of include/uapi/linux/personality.h that matter to memory (`PER_LINUX` is 0).
    public static let personaFlags: [(name: String, value: UInt64)] = [
        ("ADDR_NO_RANDOMIZE", UInt64(Personality.addressNoRandomize)), ("MMAP_PAGE_ZERO", 0x0100000),
        ("ADDR_COMPAT_LAYOUT", 0x0200000), ("READ_IMPLIES_EXEC", UInt64(Personality.readImpliesExec)),
        ("ADDR_LIMIT_32BIT", 0x0800000), ("ADDR_LIMIT_3GB", 0x8000000),
    ]

    /// The `UFFDIO_REGISTER_MODE_*` bits, named as strace prints them.
    public static let uffdRegisterModes: [(name: String, value: UInt64)] = [
        ("MISSING", UserfaultfdMode.registerMissing), ("WP", UserfaultfdMode.registerWP),
        ("MINOR", UserfaultfdMode.registerMinor),
    ]

    /// The `UFFDIO_WRITEPROTECT_MODE_*` bits.
    public static let uffdWriteProtectModes: [(name: String, value: UInt64)] = [
        ("MODE_WP", UserfaultfdMode.writeProtectWP), ("MODE_DONTWAKE", UserfaultfdMode.writeProtectDontWake),
    ]

    /// The name of `value` in `table`, if it has one.
    public static func name<Value: Equatable>(of value: Value, in table: [(name: String, value: Value)]) -> String? {
        table.first { $0.value == value }?.name
    }

    /// `value` as `A|B|0x40` from the bits named in `table` (unnamed bits as one hex rest), or `zero` for 0.
    public static func bits(_ value: UInt64, _ table: [(name: String, value: UInt64)], zero: String = "0") -> String {
        guard value != 0 else { return zero }
        var parts: [String] = []
        var rest = value
        for entry in table where entry.value != 0 && rest & entry.value == entry.value {
            parts.append(entry.name)
            rest &= ~entry.value
        }
        if rest != 0 { parts.append("0x" + String(rest, radix: 16)) }
        return parts.joined(separator: "|")
    }
}
