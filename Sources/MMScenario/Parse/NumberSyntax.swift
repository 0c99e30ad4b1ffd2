/// The scalar syntaxes of the format: integers, sizes, address expressions, page ranges. Pure functions over text,
/// every arithmetic step overflow-checked.
enum NumberSyntax {
    /// Why a scalar did not parse.
    struct SyntaxError: Error, Hashable {
        /// The explanation.
        var message: String
    }

    /// Bytes per page.
    static let pageSize: UInt64 = 4096

    /// An unsigned integer: decimal or `0x` hex, `_` allowed between digits.
    static func unsigned(_ text: String) -> UInt64? {
        var digits = text.trimmingSpaces().lowercased().replacing("_", with: "")
        var radix = 10
        if digits.hasPrefix("0x") {
            digits.removeFirst(2)
            radix = 16
        }
        guard !digits.isEmpty, digits.allSatisfy({ $0.isHexDigit }) else { return nil }
        return UInt64(digits, radix: radix)
    }

    /// A signed integer: an optional `-` then an unsigned integer that fits in `Int64`.
    static func signedInteger(_ text: String) -> Int64? {
        let trimmed = text.trimmingSpaces()
        if trimmed.hasPrefix("-") {
            guard let magnitude = unsigned(String(trimmed.dropFirst())), magnitude <= UInt64(Int64.max) + 1 else {
                return nil
            }
            return magnitude == UInt64(Int64.max) + 1 ? Int64.min : -Int64(magnitude)
        }
        guard let value = unsigned(trimmed), value <= UInt64(Int64.max) else { return nil }
        return Int64(value)
    }

    /// The multiplier of a size unit (`K`, `KiB`, `M`, `G`, `T`, `page`, `pages`, or none).
    static func unitMultiplier(_ unit: String) -> UInt64? {
        switch unit.lowercased() {
        case "", "b": return 1
        case "k", "kb", "kib": return 1 << 10
        case "m", "mb", "mib": return 1 << 20
        case "g", "gb", "gib": return 1 << 30
        case "t", "tb", "tib": return 1 << 40
        case "page", "pages": return pageSize
        default: return nil
        }
    }

    /// A size: a number with an optional unit (`4K`, `2 MiB`, `16 pages`, `4096`, `0x1000`).
    static func size(_ text: String) -> Result<UInt64, SyntaxError> {
        let trimmed = text.trimmingSpaces()
        let isHex = trimmed.lowercased().hasPrefix("0x")
        let numberEnd: String.Index
        if isHex {
            numberEnd =
                trimmed.dropFirst(2).firstIndex(where: { !$0.isHexDigit && $0 != "_" }) ?? trimmed.endIndex
        } else {
            numberEnd = trimmed.firstIndex(where: { !$0.isWholeNumber && $0 != "_" }) ?? trimmed.endIndex
        }
        let numberText = String(trimmed[..<numberEnd])
        let unit = String(trimmed[numberEnd...]).trimmingSpaces()
        guard !numberText.isEmpty, numberText != "0x", let number = unsigned(numberText) else {
            return .failure(SyntaxError(message: "expected a number such as 4096, 0x1000, 4K, 2M or 16 pages"))
        }
        guard let multiplier = unitMultiplier(unit) else {
            return .failure(SyntaxError(message: "unknown unit '\(unit)' (use K, M, G, T or pages)"))
        }
        let (product, overflow) = number.multipliedReportingOverflow(by: multiplier)
        if overflow { return .failure(SyntaxError(message: "size overflows 64 bits")) }
        return .success(product)
    }

    /// Whether `text` is a name: a letter or `_` first, then letters, digits, `_` or `.`.
    static func isIdentifier(_ text: String) -> Bool {
        guard let first = text.first, first.isASCII, first.isLetter || first == "_" else { return false }
        return text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == ".") }
    }

    /// An address expression: a region name, a number or `NULL`, followed by `+ size` / `- size` terms.
    static func address(_ text: String) -> Result<AddressExpression, SyntaxError> {
        var terms: [(negative: Bool, text: String)] = []
        var current = ""
        var negative = false
        for character in text {
            if character == "+" || character == "-" {
                terms.append((negative, current))
                current = ""
                negative = character == "-"
            } else {
                current.append(character)
            }
        }
        terms.append((negative, current))
        let head = terms[0].text.trimmingSpaces()
        guard !head.isEmpty else {
            return .failure(SyntaxError(message: "expected a region name or a number before '+' or '-'"))
        }
        let base: AddressExpression.Base
        if head.uppercased() == "NULL" {
            base = .absolute(0)
        } else if let number = unsigned(head) {
            base = .absolute(number)
        } else if case .success(let number) = size(head), head.first?.isWholeNumber == true {
            base = .absolute(number)
        } else if isIdentifier(head) {
            base = .region(head)
        } else {
            return .failure(SyntaxError(message: "'\(head)' is neither a region name nor a number"))
        }
        var offsets: [(negative: Bool, bytes: UInt64)] = []
        for term in terms.dropFirst() {
            switch size(term.text) {
            case .success(let bytes): offsets.append((term.negative, bytes))
            case .failure(let failure):
                return .failure(SyntaxError(message: "offset '\(term.text.trimmingSpaces())': \(failure.message)"))
            }
        }
        return .success(AddressExpression(base: base, offsets: offsets, text: text.trimmingSpaces()))
    }

    /// A page range: `a..b` (inclusive), `a..<b` (exclusive) or a single page `a`.
    static func pageRange(_ text: String) -> Result<PageRange, SyntaxError> {
        let trimmed = text.trimmingSpaces()
        let parts: [String]
        var exclusive = false
        if let range = trimmed.firstRange(of: "..<") {
            parts = [String(trimmed[..<range.lowerBound]), String(trimmed[range.upperBound...])]
            exclusive = true
        } else if let range = trimmed.firstRange(of: "..") {
            parts = [String(trimmed[..<range.lowerBound]), String(trimmed[range.upperBound...])]
        } else {
            parts = [trimmed]
        }
        guard let lower = unsigned(parts[0]) else {
            return .failure(SyntaxError(message: "expected a page number such as 3, or a range such as 0..15"))
        }
        guard parts.count == 2 else { return .success(PageRange(lower: lower, upper: lower)) }
        guard var upper = unsigned(parts[1]) else {
            return .failure(SyntaxError(message: "expected a page number after '..'"))
        }
        if exclusive {
            guard upper > lower else { return .failure(SyntaxError(message: "empty range")) }
            upper -= 1
        }
        guard upper >= lower else { return .failure(SyntaxError(message: "the range's end is before its start")) }
        guard upper - lower < UInt64.max else { return .failure(SyntaxError(message: "range too large")) }
        return .success(PageRange(lower: lower, upper: upper))
    }
}

extension String {
    /// The string without leading and trailing spaces and tabs.
    func trimmingSpaces() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else {
            return ""
        }
        return String(self[first...last])
    }
}

extension ScenarioParser {
    /// Why a size did not parse.
    public struct SizeSyntaxError: Error, Hashable, Sendable {
        /// The explanation (`unknown unit 'X' (use K, M, G, T or pages)`).
        public var message: String
    }

    /// A size written as in scenario files (`4096`, `0x1000`, `4K`, `2 MiB`, `16 pages`), for command-line
    /// options that take sizes.
    public static func size(_ text: String) -> Result<UInt64, SizeSyntaxError> {
        NumberSyntax.size(text).mapError { SizeSyntaxError(message: $0.message) }
    }
}
