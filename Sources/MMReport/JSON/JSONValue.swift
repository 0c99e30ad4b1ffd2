/// A JSON value with deterministic rendering: object keys sorted, fixed indentation, integers only.
public indirect enum JSONValue: Hashable, Sendable {
    /// `null`.
    case null
    /// `true` / `false`.
    case bool(Bool)
    /// An integer.
    case int(Int64)
    /// A string.
    case string(String)
    /// An array.
    case array([JSONValue])
    /// An object (rendered with sorted keys).
    case object([String: JSONValue])

    /// Pretty-printed text with two-space indentation and a trailing newline.
    public func rendered() -> String {
        var output = ""
        write(to: &output, indent: 0)
        output.append("\n")
        return output
    }

    /// Appends this value at nesting depth `indent`.
    func write(to output: inout String, indent: Int) {
        let pad = String(repeating: "  ", count: indent + 1)
        let closePad = String(repeating: "  ", count: indent)
        switch self {
        case .null: output.append("null")
        case .bool(let value): output.append(value ? "true" : "false")
        case .int(let value): output.append(String(value))
        case .string(let value): JSONValue.writeString(value, to: &output)
        case .array(let values):
            if values.isEmpty {
                output.append("[]")
                return
            }
            output.append("[\n")
            for (index, value) in values.enumerated() {
                output.append(pad)
                value.write(to: &output, indent: indent + 1)
                output.append(index + 1 < values.count ? ",\n" : "\n")
            }
            output.append(closePad + "]")
        case .object(let members):
            if members.isEmpty {
                output.append("{}")
                return
            }
            output.append("{\n")
            let keys = members.keys.sorted()
            for (index, key) in keys.enumerated() {
                output.append(pad)
                JSONValue.writeString(key, to: &output)
                output.append(": ")
                members[key]!.write(to: &output, indent: indent + 1)
                output.append(index + 1 < keys.count ? ",\n" : "\n")
            }
            output.append(closePad + "}")
        }
    }

    /// Appends `value` as a JSON string literal with the escapes RFC 8259 requires.
    static func writeString(_ value: String, to output: inout String) {
        output.append("\"")
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": output.append("\\\"")
            case "\\": output.append("\\\\")
            case "\n": output.append("\\n")
            case "\r": output.append("\\r")
            case "\t": output.append("\\t")
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                output.append("\\u" + String(repeating: "0", count: 4 - hex.count) + hex)
            default: output.unicodeScalars.append(scalar)
            }
        }
        output.append("\"")
    }
}
