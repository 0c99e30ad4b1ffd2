import ArgumentParser
import Foundation
import MMReport
import MMScenario

/// The shared body of the scenario commands: load a file or built-in, parse, apply overrides, run.
enum ScenarioCommand {
    /// The YAML and file name of `source`: a readable file, else a built-in scenario's name. Exits 2 if neither.
    static func load(_ source: String) throws -> (yaml: String, file: String) {
        if FileManager.default.fileExists(atPath: source) {
            do {
                return (try String(contentsOfFile: source, encoding: .utf8), source)
            } catch {
                FileHandle.standardError.write(Data("\(source): cannot read: \(error.localizedDescription)\n".utf8))
                throw ExitCode(2)
            }
        }
        if let builtIn = BuiltInScenarios.named(source) { return (builtIn.yaml, builtIn.file) }
        FileHandle.standardError.write(
            Data("\(source): no such file or built-in scenario (see 'mmsim scenarios')\n".utf8))
        throw ExitCode(2)
    }

    /// Parses `yaml`; a bad scenario prints `file:line:col: message` and exits 2.
    static func parse(yaml: String, file: String) throws -> Scenario {
        do {
            return try ScenarioParser.parse(yaml: yaml, file: file)
        } catch {
            FileHandle.standardError.write(Data("\(error)\n".utf8))
            throw ExitCode(2)
        }
    }

    /// Runs `scenario` with `overrides`; an override that cannot apply exits 2.
    static func run(_ scenario: Scenario, _ overrides: MachineOverrides) throws -> RunReport {
        do {
            return ScenarioRunner.run(try overrides.apply(to: scenario))
        } catch {
            FileHandle.standardError.write(Data("mmsim: \(error)\n".utf8))
            throw ExitCode(2)
        }
    }

    /// Parses and runs `yaml`; prints the report; exits 1 on failed expectations, 2 on bad input (including a step
    /// that could not be performed).
    static func execute(
        yaml: String, file: String, json: Bool, overrides: MachineOverrides = MachineOverrides(),
        costs: CostModel = CostModel()
    ) throws {
        let report = try run(try parse(yaml: yaml, file: file), overrides)
        let output =
            json
            ? JSONReport.render(report, costs: costs)
            : TextReport.render(report, style: .forStandardOutput(), costs: costs)
        print(output, terminator: "")
        // A step the runner could not perform (an address that overflows, too many pages) is bad input: name it.
        let badSteps = report.steps.compactMap { step -> String? in
            guard case .error(let message) = step.result else { return nil }
            return "\(report.file):\(step.line): step \(step.index) (\(step.keyword)): \(message)\n"
        }
        if !badSteps.isEmpty {
            FileHandle.standardError.write(Data(badSteps.joined().utf8))
            throw ExitCode(2)
        }
        if report.failures > 0 { throw ExitCode(1) }
    }
}
