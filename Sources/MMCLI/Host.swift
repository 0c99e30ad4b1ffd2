import ArgumentParser
import Foundation
import MMOracle

/// `mmsim host`: this machine's kernel facts and the model settings that make the model run as this kernel.
struct Host: ParsableCommand {
    /// Help text.
    static let configuration = CommandConfiguration(
        abstract: "Show this machine's kernel profile (CPU features, PTI, THP, sysctls, tracefs) and the model flags."
    )

    /// `--json`.
    @Flag(help: "Print one JSON document: {\"facts\": {...}, \"modelFlags\": ..., \"machine\": ...}.")
    var json = false

    /// Detects the profile and prints it.
    func run() throws {
        let profile = HostProfile.detect()
        if json {
            print(try HostJSON.render(profile))
        } else {
            for line in profile.reportLines { print(line) }
        }
    }
}

/// The JSON form of a host profile (Foundation's encoder, in the executable layer).
enum HostJSON {
    /// The document for `profile`.
    struct Document: Encodable {
        /// The detected facts.
        var facts: HostProfile
        /// `--scheme merged --ceiling 33 --cpus 2`.
        var modelFlags: String
        /// The scenario `machine:` mapping.
        var machine: String
    }

    /// Pretty-printed JSON with sorted keys.
    static func render(_ profile: HostProfile) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let document = Document(facts: profile, modelFlags: profile.modelFlags, machine: profile.machineYAML)
        return String(decoding: try encoder.encode(document), as: UTF8.self)
    }
}
