/// The arguments of an mprotect or pkey_mprotect step. `prot` is kept raw so that invalid bits can be tried.
public struct MprotectStep: Sendable {
    /// The calling thread.
    public var thread: String
    /// The memory range.
    public var span: Span
    /// Raw `PROT_*` bits, including `PROT_GROWSDOWN`/`PROT_GROWSUP`/`PROT_SEM` or unknown bits.
    public var prot: UInt64
    /// The protection key of pkey_mprotect (nil for plain mprotect, which is pkey -1).
    public var pkey: Int?
}

/// The arguments of an execve step.
public struct ExecveStep: Sendable {
    /// The thread that execs (it gets a fresh mm).
    public var thread: String
    /// Pages of arguments and environment copied to the new stack.
    public var argumentPages: Int
    /// The ELF's `PT_GNU_STACK` request: true for an executable stack, false for not, nil for the default.
    public var executableStack: Bool?
}
