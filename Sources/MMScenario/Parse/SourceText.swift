/// Checks the raw text of a scenario before YAML sees it: its size, its UTF-8 encoding and its characters, each
/// problem reported at its `line:col` (columns count characters, as the YAML parser's marks do).
enum SourceText {
    /// The position just after `bytes` (1-based line and column), counting `\n`, `\r\n` and a lone `\r` as one
    /// line break and every other scalar as one column. `bytes` must be valid UTF-8 up to where it is scanned.
    static func position(after bytes: some Collection<UInt8>) -> (line: Int, column: Int) {
        var line = 1
        var column = 1
        var previous: UInt8 = 0
        for byte in bytes {
            if byte == 0x0A {
                if previous != 0x0D {
                    line += 1
                    column = 1
                }
            } else if byte == 0x0D {
                line += 1
                column = 1
            } else if byte & 0xC0 != 0x80 {
                // A continuation byte belongs to the scalar its lead byte already counted.
                column += 1
            }
            previous = byte
        }
        return (line, column)
    }

    /// The text of `bytes` as a string, or an error at the first byte that is not UTF-8, at the first character
    /// YAML does not allow (control characters other than tab and line breaks, U+FFFE, U+FFFF), or where the text
    /// goes past `limit` bytes.
    static func decode(_ bytes: [UInt8], file: String, limit: Int) throws(ScenarioError) -> String {
        try check(bytes, file: file, limit: limit)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Throws what `decode(_:file:limit:)` would, without building the string.
    static func check(_ bytes: [UInt8], file: String, limit: Int) throws(ScenarioError) {
        if bytes.count > limit {
            let (line, column) = position(after: bytes[..<limit])
            throw ScenarioError(
                SourceLocation(file: file, line: line, column: column),
                "the scenario is \(bytes.count) bytes, more than the limit of \(limit) (\(limit >> 20) MiB) for a "
                    + "scenario file; this is where it goes past it")
        }
        if let bad = firstProblem(bytes) {
            let (line, column) = position(after: bytes[..<bad.offset])
            throw ScenarioError(SourceLocation(file: file, line: line, column: column), bad.message)
        }
    }

    /// The first byte offset where `bytes` is not UTF-8 or holds a character YAML refuses, with the reason.
    static func firstProblem(_ bytes: [UInt8]) -> (offset: Int, message: String)? {
        var index = 0
        while index < bytes.count {
            let lead = bytes[index]
            if lead < 0x80 {
                if let message = asciiProblem(lead) { return (index, message) }
                index += 1
                continue
            }
            guard let (length, scalar) = decodeScalar(bytes, at: index) else {
                return (index, "invalid UTF-8 (byte \(hex(lead))); a scenario file must be UTF-8 text")
            }
            if !isAllowed(scalar) {
                return (index, "character U+\(hex(scalar, digits: 4)) is not allowed in YAML (a control character)")
            }
            index += length
        }
        return nil
    }

    /// Why an ASCII byte may not appear, if it may not: the C0 controls but tab, line feed and carriage return,
    /// and DEL.
    static func asciiProblem(_ byte: UInt8) -> String? {
        guard byte < 0x20 || byte == 0x7F, byte != 0x09, byte != 0x0A, byte != 0x0D else { return nil }
        let name = byte == 0 ? "NUL" : byte == 0x7F ? "DEL" : "U+\(hex(UInt32(byte), digits: 4))"
        return "control character \(name) is not allowed in YAML (is this a binary file?)"
    }

    /// The length and value of the multi-byte UTF-8 sequence at `index`, or `nil` if it is malformed (a stray
    /// continuation byte, a truncated sequence, an overlong form, a surrogate, a value past U+10FFFF).
    static func decodeScalar(_ bytes: [UInt8], at index: Int) -> (Int, UInt32)? {
        let lead = bytes[index]
        let length: Int
        var value: UInt32
        var lowest: UInt8 = 0x80
        var highest: UInt8 = 0xBF
        switch lead {
        case 0xC2...0xDF: (length, value) = (2, UInt32(lead & 0x1F))
        case 0xE0...0xEF:
            (length, value) = (3, UInt32(lead & 0x0F))
            if lead == 0xE0 { lowest = 0xA0 }
            if lead == 0xED { highest = 0x9F }
        case 0xF0...0xF4:
            (length, value) = (4, UInt32(lead & 0x07))
            if lead == 0xF0 { lowest = 0x90 }
            if lead == 0xF4 { highest = 0x8F }
        default: return nil
        }
        guard index + length <= bytes.count else { return nil }
        for offset in 1..<length {
            let byte = bytes[index + offset]
            let low = offset == 1 ? lowest : 0x80
            let high = offset == 1 ? highest : 0xBF
            guard byte >= low, byte <= high else { return nil }
            value = value << 6 | UInt32(byte & 0x3F)
        }
        return (length, value)
    }

    /// Whether YAML allows `scalar` (beyond ASCII): NEL, U+00A0 to U+D7FF, U+E000 to U+FFFD, and the planes above.
    static func isAllowed(_ scalar: UInt32) -> Bool {
        scalar == 0x85 || (0xA0...0xD7FF).contains(scalar) || (0xE000...0xFFFD).contains(scalar)
            || (0x10000...0x10FFFF).contains(scalar)
    }

    /// `0xNN`.
    static func hex(_ byte: UInt8) -> String { "0x" + hex(UInt32(byte), digits: 2) }

    /// Upper-case hex of `value`, zero-padded to `digits`.
    static func hex(_ value: UInt32, digits: Int) -> String {
        let text = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, digits - text.count)) + text
    }
}
