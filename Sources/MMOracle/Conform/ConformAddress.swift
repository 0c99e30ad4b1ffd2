/// An address argument of a conformance call: relative to the window's base (possibly unaligned or just outside
/// it), or an absolute value chosen to be invalid (0), so that no call ever reaches memory outside the window.
public enum ConformAddress: Hashable, Sendable, CustomStringConvertible {
    /// `base + offset` bytes (offset may be negative or unaligned).
    case window(Int64)
    /// A fixed address, e.g. 0.
    case absolute(UInt64)

    /// The address for a window at `base`.
    public func resolve(base: UInt64) -> UInt64 {
        switch self {
        case .window(let offset): return base &+ UInt64(bitPattern: offset)
        case .absolute(let value): return value
        }
    }

    /// The wire form: `w+4096`, `w-4096`, `a0x0`.
    public var description: String {
        switch self {
        case .window(let offset): return offset < 0 ? "w\(offset)" : "w+\(offset)"
        case .absolute(let value): return "a0x" + String(value, radix: 16)
        }
    }

    /// Parses the wire form; `nil` if malformed.
    public init?(wire text: Substring) {
        if text.hasPrefix("a0x"), let value = UInt64(text.dropFirst(3), radix: 16) {
            self = .absolute(value)
        } else if text.hasPrefix("w"), let offset = Int64(text.dropFirst(text.dropFirst().hasPrefix("+") ? 2 : 1)) {
            self = .window(offset)
        } else {
            return nil
        }
    }

    /// The address as the kernel result text: window-relative when inside `[base, base + length)`.
    public static func describeResult(_ address: UInt64, base: UInt64, length: UInt64) -> String {
        if address >= base && address - base < length {
            return ConformAddress.window(Int64(address - base)).description
        }
        return ConformAddress.absolute(address).description
    }
}
