import MMKernel

/// The symbolic names the format accepts for prot bits, map flags, advice, errnos and signals, each also accepted as
/// its C spelling (`PROT_READ`, `MAP_PRIVATE`, `MADV_DONTNEED`).
enum SymbolNames {
    /// `PROT_*` names without the prefix, lower case.
    static let prot: [(String, UInt64)] = [
        ("none", 0), ("read", Protection.read.rawValue), ("write", Protection.write.rawValue),
        ("exec", Protection.exec.rawValue), ("sem", Protection.sem.rawValue),
        ("growsdown", Protection.growsDown.rawValue), ("growsup", Protection.growsUp.rawValue),
    ]

    /// `MAP_*` names without the prefix, lower case, plus `anon`.
    static let mapFlags: [(String, UInt64)] =
        MapFlags.names.map { (String($0.0.dropFirst(4)).lowercased(), $0.1.rawValue) } + [
            ("anon", MapFlags.anonymous.rawValue)
        ]

    /// Looks `name` up in `table`, ignoring case and an optional `prefix` (`PROT_`, `MAP_`).
    static func lookup(_ name: String, prefix: String, in table: [(String, UInt64)]) -> UInt64? {
        var key = name.trimmingSpaces().lowercased()
        if key.hasPrefix(prefix.lowercased()) { key.removeFirst(prefix.count) }
        return table.first { $0.0 == key }?.1
    }

    /// Advice by name (`MADV_DONTNEED`, `DONTNEED`, `dontneed`), every advice of Linux 6.18.
    static func advice(_ name: String) -> Int32? {
        var key = name.trimmingSpaces().uppercased()
        if !key.hasPrefix("MADV_") { key = "MADV_" + key }
        return SyscallConstants.advice.first { $0.name == key }.map { Int32($0.value) }
    }

    /// One of the vocabulary's constant tables in this file's form: lower-case names without `prefix`
    /// (`MREMAP_MAYMOVE` becomes `maymove`).
    static func table(_ constants: [(name: String, value: UInt64)], prefix: String) -> [(String, UInt64)] {
        constants.map { entry in
            let name = entry.name.hasPrefix(prefix) ? String(entry.name.dropFirst(prefix.count)) : entry.name
            return (name.lowercased(), entry.value)
        }
    }

    /// The signal names an access or an instruction can raise (SIGKILL: the OOM killer; SIGILL: WRPKRU without
    /// PKU).
    static let signals = ["SIGSEGV", "SIGBUS", "SIGKILL", "SIGILL"]

    /// The `si_code` names the model produces.
    static let signalCodes = [
        "SEGV_MAPERR", "SEGV_ACCERR", "SEGV_PKUERR", "BUS_ADRERR", "UFFD_WP", "UFFD_MISSING", "OOM", "ILL_ILLOPN",
        "MMSIM_FAULT_LOOP",
    ]
}
