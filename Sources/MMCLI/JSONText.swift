import Foundation

/// The JSON the commands print: pretty, keys sorted, so the same input gives the same text.
enum JSONText {
    /// `value` encoded.
    static func render(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}
