/// The x86 page-fault error code pushed on a #PF. Mirrors `enum x86_pf_error_code`.
public struct PageFaultError: OptionSet, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    /// Mirrors `X86_PF_PROT`, bit 0: the page was present (a protection violation), else not-present.
    public static let protection = PageFaultError(rawValue: 1 << 0)
    /// Mirrors `X86_PF_WRITE`, bit 1.
    public static let write = PageFaultError(rawValue: 1 << 1)
    /// Mirrors `X86_PF_USER`, bit 2.
    public static let user = PageFaultError(rawValue: 1 << 2)
    /// Mirrors `X86_PF_RSVD`, bit 3.
    public static let reservedBit = PageFaultError(rawValue: 1 << 3)
    /// Mirrors `X86_PF_INSTR`, bit 4.
    public static let instruction = PageFaultError(rawValue: 1 << 4)
    /// Mirrors `X86_PF_PK`, bit 5.
    public static let protectionKey = PageFaultError(rawValue: 1 << 5)

    /// The error-code bits an access of `kind` from user mode contributes.
    public static func user(_ kind: AccessKind) -> PageFaultError {
        switch kind {
        case .read: return .user
        case .write: return [.user, .write]
        case .execute: return [.user, .instruction]
        }
    }

    public var description: String {
        let names: [(PageFaultError, String)] = [
            (.protection, "PROT"), (.write, "WRITE"), (.user, "USER"), (.reservedBit, "RSVD"),
            (.instruction, "INSTR"), (.protectionKey, "PK"),
        ]
        let set = names.filter { contains($0.0) }.map(\.1)
        return "#PF(0x\(String(rawValue, radix: 16)) \(set.isEmpty ? "-" : set.joined(separator: "|")))"
    }
}
