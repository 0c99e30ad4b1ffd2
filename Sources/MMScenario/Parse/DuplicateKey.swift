/// Finds where a mapping key is written the second time. The YAML parser refuses a repeated key with the position
/// of its first occurrence only; a user wants the line to delete, so this looks for the repetition in the text:
/// in a flow mapping (`{a: 1, a: 2}`) among the keys after it at the same nesting, in a block mapping among the
/// lines indented exactly as the first key, until the mapping ends (a line indented less).
enum DuplicateKey {
    /// The 1-based line and column of the second `key` of the mapping whose first `key` is at `line:column`, or
    /// `nil` if the text does not show it plainly (then the first occurrence is reported).
    static func repetition(of key: String, firstAt line: Int, column: Int, in text: String) -> (line: Int, column: Int)?
    {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            Array((line.hasSuffix("\r") ? line.dropLast() : line).unicodeScalars)
        }
        let row = line - 1
        let start = column - 1
        guard lines.indices.contains(row), start >= 0, start <= lines[row].count else { return nil }
        let keyScalars = Array(key.unicodeScalars)
        if isInFlow(lines, row: row, column: start) {
            let quoted = start < lines[row].count && (lines[row][start] == "\"" || lines[row][start] == "'")
            let afterKey = start + keyScalars.count + (quoted ? 2 : 0)
            return flowRepetition(of: keyScalars, lines, row: row, column: afterKey)
        }
        return blockRepetition(of: keyScalars, lines, row: row, column: start)
    }

    /// Whether the key at `row:column` follows a `{` or `,` (skipping spaces and line breaks): a flow mapping's key.
    static func isInFlow(_ lines: [[Unicode.Scalar]], row: Int, column: Int) -> Bool {
        var row = row
        var column = column - 1
        while row >= 0 {
            while column >= 0 {
                let scalar = lines[row][column]
                if scalar != " " && scalar != "\t" { return scalar == "{" || scalar == "," }
                column -= 1
            }
            row -= 1
            if row >= 0 { column = lines[row].count - 1 }
        }
        return false
    }

    /// The next key equal to `key` after a `,` at the flow mapping's own depth, scanning from `row:column`.
    static func flowRepetition(
        of key: [Unicode.Scalar], _ lines: [[Unicode.Scalar]], row: Int, column: Int
    ) -> (line: Int, column: Int)? {
        var depth = 0
        var quote: Unicode.Scalar?
        var expectKey = false
        for current in row..<lines.count {
            let text = lines[current]
            var index = current == row ? column : 0
            while index < text.count {
                let scalar = text[index]
                if let open = quote {
                    if scalar == "\\" && open == "\"" {
                        index += 1
                    } else if scalar == open {
                        quote = nil
                    }
                    index += 1
                    continue
                }
                if scalar == " " || scalar == "\t" {
                    index += 1
                    continue
                }
                if expectKey {
                    expectKey = false
                    if startsWithKey(key, text, at: index) { return (current + 1, index + 1) }
                }
                switch scalar {
                case "\"", "'": quote = scalar
                case "{", "[": depth += 1
                case "}", "]":
                    if depth == 0 { return nil }
                    depth -= 1
                case ",": expectKey = depth == 0
                case "#" where index == 0 || text[index - 1] == " ": index = text.count
                default: break
                }
                index += 1
            }
        }
        return nil
    }

    /// The next line of the block mapping (indented exactly `column`, before any line indented less) whose key
    /// is `key`.
    static func blockRepetition(
        of key: [Unicode.Scalar], _ lines: [[Unicode.Scalar]], row: Int, column: Int
    ) -> (line: Int, column: Int)? {
        for current in (row + 1)..<max(row + 1, lines.count) {
            let text = lines[current]
            guard let indent = text.firstIndex(where: { $0 != " " }) else { continue }
            if text[indent] == "#" { continue }
            if text[indent] == "\t" { return nil }
            if indent < column { return nil }
            if indent == column && startsWithKey(key, text, at: indent) { return (current + 1, indent + 1) }
        }
        return nil
    }

    /// Whether `text` at `index` holds `key` (plain, or in single or double quotes) followed by spaces and `:`.
    static func startsWithKey(_ key: [Unicode.Scalar], _ text: [Unicode.Scalar], at index: Int) -> Bool {
        for quote: Unicode.Scalar? in [nil, "\"", "'"] {
            var position = index
            if let quote {
                guard position < text.count, text[position] == quote else { continue }
                position += 1
            }
            guard position + key.count <= text.count, Array(text[position..<position + key.count]) == key else {
                continue
            }
            position += key.count
            if let quote {
                guard position < text.count, text[position] == quote else { continue }
                position += 1
            }
            while position < text.count && (text[position] == " " || text[position] == "\t") { position += 1 }
            if position < text.count && text[position] == ":" { return true }
        }
        return false
    }
}
