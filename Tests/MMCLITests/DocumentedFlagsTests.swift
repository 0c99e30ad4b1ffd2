import ArgumentParser
import Foundation
import Testing

@testable import MMCLI

/// Every `--flag` that README.md and docs/*.md name is one the command line accepts: a flag written in a command
/// line of a subcommand (`mmsim run FILE [--json]`, in a code span, a heading or a code block) must parse for that
/// subcommand; a flag named on its own in prose must parse for at least one subcommand.
@Suite struct DocumentedFlagsTests {
    /// A flag found in the documentation.
    struct Mention: CustomStringConvertible {
        /// `docs/probe.md:7`.
        var place: String
        /// The subcommand whose command line names it, if one does.
        var subcommand: String?
        /// `--merge-vmas`.
        var flag: String

        var description: String { "\(place): \(subcommand.map { "mmsim \($0) " } ?? "")\(flag)" }
    }

    /// The package's root directory (this file is Tests/MMCLITests/DocumentedFlagsTests.swift).
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// The subcommands by every name they answer to.
    static let subcommands: [String: any ParsableCommand.Type] = {
        var byName: [String: any ParsableCommand.Type] = [:]
        for command in MMSim.configuration.subcommands {
            let configuration = command.configuration
            let name = configuration.commandName ?? command._commandName
            byName[name] = command
            for alias in configuration.aliases { byName[alias] = command }
        }
        return byName
    }()

    /// Positional arguments a subcommand needs before its flags.
    static let positionals: [String: [String]] = ["run": ["S1"], "compare": ["S1"]]

    /// A value for each option that takes one (anything valid: only the parse is tested).
    static let sampleValues: [String: String] = [
        "--scheme": "merged", "--ceiling": "33", "--cpus": "2", "--costs": "costs.txt", "--size": "2M",
        "--repetitions": "1", "--seed": "1", "--ops": "10", "--per-sequence": "5", "--near-limit-every": "0",
        "--out": FileManager.default.temporaryDirectory.path, "--threads": "2", "--repeat": "1",
    ]

    /// The documentation files: README.md and docs/*.md.
    static func documents() throws -> [(name: String, text: String)] {
        var names = ["README.md"]
        let docs = try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("docs").path)
        names += docs.filter { $0.hasSuffix(".md") }.sorted().map { "docs/\($0)" }
        return try names.map { ($0, try String(contentsOf: root.appendingPathComponent($0), encoding: .utf8)) }
    }

    /// `--name` tokens in `text` (without `=value`), in order: `--` at the start of a word (after a space, `[`,
    /// `(`, `|` or `=`), then a lower-case letter, then letters, digits and `-`.
    static func flags(in text: String) -> [String] {
        let characters = Array(text)
        var result: [String] = []
        var index = 0
        while index + 2 < characters.count {
            let startsWord = index == 0 || " \t[(|=".contains(characters[index - 1])
            guard startsWord, characters[index] == "-", characters[index + 1] == "-",
                characters[index + 2].isLowercase, characters[index + 2].isASCII
            else {
                index += 1
                continue
            }
            var end = index + 2
            while end < characters.count,
                characters[end].isASCII && (characters[end].isLowercase || characters[end].isNumber)
                    || characters[end] == "-"
            {
                end += 1
            }
            result.append(String(characters[index..<end]))
            index = end
        }
        return result
    }

    /// The code spans of a Markdown line (text between single backticks).
    static func codeSpans(_ line: Substring) -> [String] {
        let parts = line.split(separator: "`", omittingEmptySubsequences: false)
        return stride(from: 1, to: parts.count - 1, by: 2).map { String(parts[$0]) }
    }

    /// What a piece of text is: an mmsim command line (`mmsim run ...`, `swift run mmsim ...`,
    /// `.build/release/mmsim bench ...`) with its subcommand and the text after `mmsim`; another tool's command
    /// line (`swift test --filter X`); or prose and output.
    enum Kind {
        case mmsim(subcommand: String, rest: Substring)
        case otherTool
        case prose
    }

    /// The kind of `text` (a code span, or a line of a code block without its comment).
    static func kind(of text: String) -> Kind {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let words = trimmed.split(whereSeparator: { $0 == " " || $0 == "\t" })
        if let word = words.first(where: { $0 == "mmsim" || $0.hasSuffix("/mmsim") }) {
            let rest = trimmed[word.endIndex...]
            let next = rest.split(whereSeparator: { $0 == " " || $0 == "\t" }).first.map(String.init) ?? ""
            guard let command = subcommands[next] else { return .mmsim(subcommand: "claims", rest: rest) }
            return .mmsim(subcommand: command.configuration.commandName ?? command._commandName, rest: rest)
        }
        let firstWord = trimmed.split(separator: " ").first.map(String.init) ?? ""
        let isCommand =
            firstWord.allSatisfy { $0.isLetter || $0 == "-" || $0 == "." || $0 == "/" } && !firstWord.isEmpty
            && !firstWord.hasSuffix(":") && trimmed.contains(" -")
        return isCommand && !firstWord.hasPrefix("-") ? .otherTool : .prose
    }

    /// Every flag mention in `text` of file `name`.
    static func mentions(in text: String, name: String) -> [Mention] {
        var result: [Mention] = []
        var inFence = false
        var continued: String?
        func add(_ flagsText: some StringProtocol, _ subcommand: String?, _ place: String) {
            for flag in flags(in: String(flagsText)) {
                result.append(Mention(place: place, subcommand: subcommand, flag: flag))
            }
        }
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let place = "\(name):\(number + 1)"
            if line.trimmingCharacters(in: .whitespaces).hasPrefix("```") {
                inFence.toggle()
                continued = nil
                continue
            }
            if inFence {
                let code = String(line.split(separator: "#", omittingEmptySubsequences: false).first ?? "")
                // An indented line continues the command line above it.
                if let command = continued, line.hasPrefix(" ") {
                    add(code, command, place)
                    continue
                }
                continued = nil
                switch kind(of: code) {
                case .mmsim(let subcommand, let rest):
                    continued = subcommand
                    add(rest, subcommand, place)
                case .otherTool: continue
                case .prose: add(code, nil, place)
                }
                continue
            }
            for span in codeSpans(line) {
                switch kind(of: span) {
                case .mmsim(let subcommand, let rest): add(rest, subcommand, place)
                case .otherTool: continue
                case .prose: add(span, nil, place)
                }
            }
        }
        return result
    }

    /// The command line that tests `flag` for `subcommand`.
    static func arguments(_ subcommand: String, _ flag: String) -> [String] {
        var arguments = [subcommand] + (positionals[subcommand] ?? []) + [flag]
        if let value = sampleValues[flag] { arguments.append(value) }
        return arguments
    }

    /// Whether `mmsim` parses `arguments` (help and `--version` requests count as parsed).
    static func parses(_ arguments: [String]) -> Bool {
        do {
            _ = try MMSim.parseAsRoot(arguments)
            return true
        } catch {
            return MMSim.exitStatus(for: error) == 0
        }
    }

    @Test("the documentation names flags for most subcommands (the extraction works)")
    func extractionFindsFlags() throws {
        let all = try Self.documents().flatMap { Self.mentions(in: $0.text, name: $0.name) }
        let commands = Set(all.compactMap(\.subcommand))
        #expect(all.count >= 40, "\(all.count) mentions")
        for expected in ["run", "compare", "bench", "conform", "probe", "host", "claims", "scenarios"] {
            #expect(commands.contains(expected), "no flag found for mmsim \(expected)")
        }
        #expect(all.contains { $0.subcommand == "run" && $0.flag == "--no-merge-vmas" })
        #expect(!all.contains { $0.flag == "--filter" }, "swift test's flags are not mmsim's")
    }

    @Test("every flag named in a subcommand's command line parses for that subcommand")
    func subcommandFlagsParse() throws {
        var checked: Set<[String]> = []
        for document in try Self.documents() {
            for mention in Self.mentions(in: document.text, name: document.name) {
                guard let subcommand = mention.subcommand else { continue }
                let arguments = Self.arguments(subcommand, mention.flag)
                guard checked.insert(arguments).inserted else { continue }
                #expect(Self.parses(arguments), "\(mention): mmsim \(arguments.joined(separator: " "))")
            }
        }
    }

    @Test("every flag named in prose parses for at least one subcommand")
    func proseFlagsParse() throws {
        let names = Set(Self.subcommands.values.map { $0.configuration.commandName ?? $0._commandName }).sorted()
        var checked: Set<String> = []
        for document in try Self.documents() {
            for mention in Self.mentions(in: document.text, name: document.name) where mention.subcommand == nil {
                guard checked.insert(mention.flag).inserted else { continue }
                let accepted = names.contains { Self.parses(Self.arguments($0, mention.flag)) }
                #expect(accepted, "\(mention) is accepted by no subcommand")
            }
        }
    }

    @Test("the spelling ArgumentParser would derive from mergeVMAs is refused")
    func oldSpellingRefused() {
        #expect(!Self.parses(["run", "S1", "--no-merge-vm-as"]))
        #expect(!Self.parses(["run", "S1", "--merge-vm-as"]))
        #expect(Self.parses(["run", "S1", "--merge-vmas"]))
        #expect(Self.parses(["run", "S1", "--no-merge-vmas"]))
    }
}
