/// An address written in a scenario: a region name or a number, plus or minus sizes (`buf + 3 pages`, `0x7f0000000000`).
/// Regions only get their address when the step that maps them runs, so evaluation happens at run time.
public struct AddressExpression: Hashable, Sendable, CustomStringConvertible {
    /// What the expression starts from.
    public enum Base: Hashable, Sendable {
        /// A numeric address.
        case absolute(UInt64)
        /// The start of a named region.
        case region(String)
    }

    /// The starting point.
    public var base: Base
    /// Signed byte offsets added in order, each held as magnitude and sign.
    public var offsets: [(negative: Bool, bytes: UInt64)]
    /// The text as written, for messages.
    public var text: String

    /// Creates an expression.
    public init(base: Base, offsets: [(negative: Bool, bytes: UInt64)] = [], text: String) {
        self.base = base
        self.offsets = offsets
        self.text = text
    }

    /// The region the expression names, if any.
    public var region: String? {
        if case .region(let name) = base { return name }
        return nil
    }

    /// The written text.
    public var description: String { text }

    /// Evaluates with `regionStart` resolving region names; nil result with a message on overflow or unknown region.
    public func evaluate(_ regionStart: (String) -> UInt64?) -> Result<UInt64, EvaluationError> {
        var value: UInt64
        switch base {
        case .absolute(let number): value = number
        case .region(let name):
            guard let start = regionStart(name) else {
                return .failure(EvaluationError(message: "region '\(name)' is not mapped"))
            }
            value = start
        }
        for offset in offsets {
            let (next, overflow) =
                offset.negative
                ? value.subtractingReportingOverflow(offset.bytes) : value.addingReportingOverflow(offset.bytes)
            if overflow { return .failure(EvaluationError(message: "address '\(text)' overflows 64 bits")) }
            value = next
        }
        return .success(value)
    }

    /// Why an address could not be computed.
    public struct EvaluationError: Error, Hashable, Sendable {
        /// The explanation.
        public var message: String
    }

    /// Equality on the written text (the structure follows from it).
    public static func == (lhs: AddressExpression, rhs: AddressExpression) -> Bool { lhs.text == rhs.text }

    /// Hashes the written text.
    public func hash(into hasher: inout Hasher) { hasher.combine(text) }
}
