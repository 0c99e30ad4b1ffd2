import Testing

@testable import MMScenario

/// Input the YAML parser cannot position by itself (bytes that are not UTF-8, control characters, repeated keys,
/// oversized documents) is reported at its own `file:line:col`, in one line.
@Suite struct SourceTextTests {
    /// The error text for `bytes`, or "no error".
    func error(_ bytes: [UInt8]) -> String {
        do {
            _ = try ScenarioParser.parse(bytes: bytes, file: "x.yaml")
            return "no error"
        } catch {
            return error.description
        }
    }

    /// The error text for `text`.
    func error(_ text: String) -> String { error(Array(text.utf8)) }

    @Test("invalid UTF-8 is reported at its byte, after multi-byte characters counted as one column")
    func invalidUTF8() {
        let bytes = Array("name: x\n# café ".utf8) + [0xFF] + Array("\nsteps: []\n".utf8)
        #expect(error(bytes) == "x.yaml:2:8: invalid UTF-8 (byte 0xFF); a scenario file must be UTF-8 text")
    }

    @Test(
        "malformed sequences are invalid UTF-8",
        arguments: [
            ([0xC3] as [UInt8], "truncated at the end"), ([0xC3, 0x28], "continuation missing"),
            ([0xC0, 0x80], "overlong NUL"), ([0xE0, 0x80, 0x80], "overlong 3-byte"),
            ([0xED, 0xA0, 0x80], "UTF-16 surrogate"), ([0xF4, 0x90, 0x80, 0x80], "past U+10FFFF"),
            ([0x80], "stray continuation"),
        ])
    func malformed(bytes: [UInt8], why: String) {
        let message = error(Array("name: ".utf8) + bytes)
        #expect(message.hasPrefix("x.yaml:1:7: invalid UTF-8"), "\(why): \(message)")
    }

    @Test("a control character is reported at its line and column")
    func controlCharacter() {
        #expect(
            error("name: x\nsteps:\n  - {a: 4K\u{07}}\n")
                == "x.yaml:3:11: control character U+0007 is not allowed in YAML (is this a binary file?)")
        #expect(error("\u{0}") == "x.yaml:1:1: control character NUL is not allowed in YAML (is this a binary file?)")
        #expect(error("name: \u{85}x\u{9F}\n").hasPrefix("x.yaml:1:9: character U+009F is not allowed"))
    }

    @Test("CRLF is one line break, a lone CR another; tabs are allowed")
    func lineBreaks() {
        #expect(error("name: x\r\n\tdescription\r\u{1}").hasPrefix("x.yaml:3:1: control character U+0001"))
    }

    @Test("text past the size limit is refused where it passes the limit")
    func sizeLimit() {
        let text = Array("ab\ncd\nef".utf8)
        #expect(throws: ScenarioError.self) { try SourceText.check(text, file: "x.yaml", limit: 5) }
        do {
            try SourceText.check(text, file: "x.yaml", limit: 5)
        } catch {
            #expect(error.location == SourceLocation(file: "x.yaml", line: 2, column: 3))
            #expect(error.message.hasPrefix("the scenario is 8 bytes, more than the limit of 5"))
        }
        let large = [UInt8](repeating: UInt8(ascii: "#"), count: ScenarioParser.maxInputBytes + 1)
        #expect(error(large).hasPrefix("x.yaml:1:\(ScenarioParser.maxInputBytes + 1): the scenario is"))
    }

    @Test(
        "a repeated key is reported where it is repeated, naming the first",
        arguments: [
            ("name: a\ndescription: d\nname: b\nsteps: []\n", "x.yaml:3:1: duplicate key 'name' (first at 1:1)"),
            ("steps:\n  - {a: 1, b: 2, a: 3}\n", "x.yaml:2:18: duplicate key 'a' (first at 2:6)"),
            ("steps:\n  - {a: {a: 1}, b: [1, {a: 2}],\n     a: 3}\n", "x.yaml:3:6: duplicate key 'a' (first at 2:6)"),
            ("steps:\n  - a: 1\n    b: {x: 1}\n  - a: 2\n    a: 3\n", "x.yaml:5:5: duplicate key 'a' (first at 4:5)"),
            ("steps:\n  - a: 1\n    b:\n      a: 2\n    \"a\": 3\n", "x.yaml:5:5: duplicate key 'a' (first at 2:5)"),
            ("steps: []\n# steps:\nsteps : []\n", "x.yaml:3:1: duplicate key 'steps' (first at 1:1)"),
        ])
    func duplicateKey(yaml: String, expected: String) {
        #expect(error(yaml) == expected)
    }

    @Test("a repetition the text does not show plainly is reported at the first key, still in one line")
    func duplicateKeyFallback() {
        let message = error("? a\n: 1\n? a\n: 2\nsteps: []\n")
        #expect(message.hasPrefix("x.yaml:1:3: duplicate key 'a'"), "\(message)")
    }

    @Test("a repeated key in a 6,000-step file gives one short line, not the document")
    func duplicateKeyInLargeFile() {
        var text = "name: big\nsteps:\n"
        for index in 0..<6000 { text += "  - {idle: {cpu: 0}, note: step \(index)}\n" }
        text += "  - {idle: {cpu: 0}, note: a, note: b}\n"
        let message = error(text)
        #expect(message == "x.yaml:6003:31: duplicate key 'note' (first at 6003:22)")
    }

    @Test("the node limit names a position inside the document")
    func nodeLimitPosition() {
        var text = "steps:\n"
        for _ in 0..<(ScenarioParser.maxNodes / 2) { text += "  - [1, 2]\n" }
        let message = error(text)
        #expect(message.contains("more than \(ScenarioParser.maxNodes) nodes"))
        #expect(!message.hasPrefix("x.yaml:1:1:"), "\(message)")
    }

    @Test("well-formed text with multi-byte characters and a BOM passes the checks")
    func validText() throws {
        let bytes: [UInt8] = [0xEF, 0xBB, 0xBF] + Array("name: \"ünïcödé ✓ 𝄞\"\nsteps: []\n".utf8)
        #expect(throws: Never.self) { try SourceText.check(bytes, file: "x.yaml", limit: 1 << 20) }
    }
}
