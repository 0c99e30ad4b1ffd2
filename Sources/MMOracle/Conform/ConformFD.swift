/// The fd argument of a conformance mmap: none (-1), one of the prepared files by index, or a raw number that
/// is not open (`EBADF`).
public enum ConformFD: Hashable, Sendable, CustomStringConvertible {
    /// `-1`.
    case none
    /// The prepared file at this index of ``ConformFile/all``.
    case file(Int)
    /// A raw descriptor number, not open in the worker.
    case raw(Int32)

    /// The wire form: `-1`, `f1`, `r999`.
    public var description: String {
        switch self {
        case .none: return "-1"
        case .file(let index): return "f\(index)"
        case .raw(let number): return "r\(number)"
        }
    }

    /// Parses the wire form; `nil` if malformed.
    public init?(wire text: Substring) {
        if text == "-1" {
            self = .none
        } else if text.hasPrefix("f"), let index = Int(text.dropFirst()) {
            self = .file(index)
        } else if text.hasPrefix("r"), let number = Int32(text.dropFirst()) {
            self = .raw(number)
        } else {
            return nil
        }
    }
}
