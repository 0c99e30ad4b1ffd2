import ArgumentParser
import Foundation
import MMReport
import MMScenario

/// The shared body of `run` and `demo`: parse, run, print, and map the outcome to an exit code.
enum ScenarioCommand {
    /// Parses and runs `yaml`; prints the report; exits 1 on failed expectations, 2 on bad input.
    static func execute(yaml: String, file: String, json: Bool) throws {
        let scenario: Scenario
        do {
            scenario = try ScenarioParser.parse(yaml: yaml, file: file)
        } catch {
            FileHandle.standardError.write(Data("\(error)\n".utf8))
            throw ExitCode(2)
        }
        let report = ScenarioRunner.run(scenario)
        let output = json ? JSONReport.render(report) : TextReport.render(report, style: .forStandardOutput())
        print(output, terminator: "")
        if report.failures > 0 { throw ExitCode(1) }
    }
}
