import ArgumentParser
import Foundation
import MMKernel
import MMReport
import MMScenario

/// The shared body of the scenario commands: load a file or built-in, parse, apply overrides, run.
enum ScenarioCommand {
    /// The YAML and file name of `source`: a file (`-` or `/dev/stdin`: standard input), else a built-in
    /// scenario's name. Prints why and exits 2 if it is neither, or if the file cannot be read, is a directory,
    /// is larger than `ScenarioParser.maxInputBytes`, or is not UTF-8 text (then with its `file:line:col`).
    static func load(_ source: String) throws -> (yaml: String, file: String) {
        if !InputFile.exists(source) {
            if let builtIn = BuiltInScenarios.named(source) { return (builtIn.yaml, builtIn.file) }
            FileHandle.standardError.write(
                Data("\(source): no such file or built-in scenario (see 'mmsim scenarios')\n".utf8))
            throw ExitCode(2)
        }
        let file = InputFile.displayName(source)
        do {
            let bytes = try InputFile.read(source, limit: ScenarioParser.maxInputBytes, what: "a scenario file")
            return (try ScenarioParser.decode(bytes: bytes, file: file), file)
        } catch {
            FileHandle.standardError.write(Data("\(error)\n".utf8))
            throw ExitCode(2)
        }
    }

    /// Parses `yaml` and checks its page limits; a bad scenario prints `file:line:col: message` and exits 2.
    static func parse(yaml: String, file: String) throws -> Scenario {
        do {
            let scenario = try ScenarioParser.parse(yaml: yaml, file: file)
            try ScenarioRunner.checkLimits(scenario)
            return scenario
        } catch {
            FileHandle.standardError.write(Data("\(error)\n".utf8))
            throw ExitCode(2)
        }
    }

    /// Runs `scenario` with `overrides`; an override that cannot apply exits 2. A run that lasts more than a
    /// second shows a progress line on a terminal.
    static func run(
        _ scenario: Scenario, _ overrides: MachineOverrides, options: RunOptions = RunOptions()
    ) throws -> RunReport {
        do {
            let applied = try overrides.apply(to: scenario)
            let progress = ProgressLine(
                "running", text: "\(scenario.file), scheme \(applied.config.scheme), \(scenario.steps.count) steps",
                delay: 1)
            defer { progress.finish() }
            return ScenarioRunner.run(applied, options: options)
        } catch {
            FileHandle.standardError.write(Data("mmsim: \(error)\n".utf8))
            throw ExitCode(2)
        }
    }

    /// Parses and runs `yaml`, printing the report step by step; exits 1 on failed expectations, 2 on bad input
    /// (including a step that could not be performed).
    static func execute(
        yaml: String, file: String, json: Bool, verbose: Bool = false, overrides: MachineOverrides = MachineOverrides(),
        costs: CostModel = CostModel()
    ) throws {
        let scenario: Scenario
        do {
            scenario = try overrides.apply(to: try parse(yaml: yaml, file: file))
        } catch let error as ExitCode {
            throw error
        } catch {
            FileHandle.standardError.write(Data("mmsim: \(error)\n".utf8))
            throw ExitCode(2)
        }
        let format: ReportStream.Format = json ? .json : .text(.forStandardOutput())
        let report = ReportStream.run(scenario, format: format, verbose: verbose, costs: costs) {
            print($0, terminator: "")
        }
        // A step the runner could not perform (an address that overflows, too many pages) is bad input: name it.
        if !report.stepErrors.isEmpty {
            let lines = report.stepErrors.map {
                "\(report.file):\($0.line): step \($0.index) (\($0.keyword)): \($0.message)\n"
            }
            FileHandle.standardError.write(Data(lines.joined().utf8))
            throw ExitCode(2)
        }
        if report.failures > 0 { throw ExitCode(1) }
    }
}
