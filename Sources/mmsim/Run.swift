import ArgumentParser
import Foundation
import MMReport
import MMScenario

/// `mmsim run FILE [--json]`: exit 0 if every expectation passes, 1 if any fails, 2 on bad input.
struct Run: ParsableCommand {
    /// Help text.
    static let configuration = CommandConfiguration(abstract: "Run a scenario file and report what happened.")

    /// The scenario file.
    @Argument(help: "A scenario YAML file (see docs/scenario-format.md).")
    var file: String

    /// Emit JSON instead of the text report.
    @Flag(help: "Print the report as one JSON document (see docs/json-output.md).")
    var json = false

    /// Runs the file.
    func run() throws {
        let text: String
        do {
            text = try String(contentsOfFile: file, encoding: .utf8)
        } catch {
            FileHandle.standardError.write(Data("\(file): cannot read: \(error.localizedDescription)\n".utf8))
            throw ExitCode(2)
        }
        try ScenarioCommand.execute(yaml: text, file: file, json: json)
    }
}
