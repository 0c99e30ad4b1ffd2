import ArgumentParser
import MMScenario

/// `mmsim run FILE|NAME [--json] [--scheme S] [arch flags]`: exit 0 if every expectation passes, 1 if any fails,
/// 2 on bad input.
struct Run: ParsableCommand {
    /// Help text.
    static let configuration = CommandConfiguration(
        abstract: "Run a scenario file or built-in scenario and report what happened.")

    /// The scenario and how much of its trace to list.
    @OptionGroup var input: ScenarioInput

    /// Emit JSON instead of the text report.
    @Flag(help: "Print the report as one JSON document (see docs/json-output.md).")
    var json = false

    /// Machine and cost flags.
    @OptionGroup var arch: ArchOptions

    /// Runs the file.
    func run() throws {
        let source = try ScenarioCommand.load(input.file)
        try ScenarioCommand.execute(
            yaml: source.yaml, file: source.file, json: json, verbose: input.verbose, overrides: arch.overrides(),
            costs: try arch.costModel())
    }
}
