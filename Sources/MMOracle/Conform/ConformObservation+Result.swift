import MMKernel

extension ConformObservation {
    /// The result text of a call that returned `value`, the same on both sides: mmap's and mremap's address as
    /// ``ConformAddress/describeResult(_:base:length:)`` gives it (`w+8192`), an access's token or stored value in
    /// hex (`0x11`), any other call's return value in decimal (`0`, a key, a previous persona).
    public static func resultText(returned value: UInt64, for call: Syscall, window: ConformWindow) -> String {
        switch call {
        case .mmap, .mremap: return ConformAddress.describeResult(value, base: window.base, length: window.length)
        case .access: return "0x" + String(value, radix: 16)
        default: return "\(value)"
        }
    }

    /// The result text of an access that raised `signal` with `code`: `SIGSEGV/SEGV_ACCERR`.
    public static func signalText(_ signal: String, code: String) -> String { "\(signal)/\(code)" }

    /// The model's result text for `outcome` of `call`.
    public static func resultText(_ outcome: SyscallOutcome, for call: Syscall, window: ConformWindow) -> String {
        switch outcome {
        case .returned(let value): return resultText(returned: value, for: call, window: window)
        case .failed(let errno): return errno.description
        case .signalled(let signal): return signalText(signal.name, code: signal.code)
        case .notModelled(let what): return "not modelled: \(what)"
        }
    }
}
