import ArgumentParser
import MMScenario

/// `mmsim run FILE|NAME [--json] [--scheme S] [arch flags]`: exit 0 if every expectation passes, 1 if any fails,
/// 2 on bad input.
struct Run: ParsableCommand {
    /// Help text.
    static let configuration = CommandConfiguration(
        abstract: "Run a scenario file or built-in scenario and report what happened.")

    /// The scenario file or built-in name.
    @Argument(help: "A scenario YAML file (docs/scenario-format.md; - for standard input) or a built-in name.")
    var file: String

    /// Emit JSON instead of the text report.
    @Flag(help: "Print the report as one JSON document (see docs/json-output.md).")
    var json = false

    /// One record per event instead of runs of repeated events.
    @Flag(help: "List every fault, flush and tracepoint instead of summarising repeated ones.")
    var verbose = false

    /// Machine and cost flags.
    @OptionGroup var arch: ArchOptions

    /// Runs the file.
    func run() throws {
        let source = try ScenarioCommand.load(file)
        try ScenarioCommand.execute(
            yaml: source.yaml, file: source.file, json: json, verbose: verbose, overrides: arch.overrides(),
            costs: try arch.costModel())
    }
}
