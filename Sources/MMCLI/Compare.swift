import ArgumentParser
import MMKernel
import MMReport
import MMScenario

/// `mmsim compare FILE|NAME [--json] [arch flags]`: the scenario under before, seed and merged, side by side.
struct Compare: ParsableCommand {
    /// Help text.
    static let configuration = CommandConfiguration(
        abstract: "Run a scenario under the before, seed and merged flush schemes and show them side by side.")

    /// The scenario and how much of its trace to list.
    @OptionGroup var input: ScenarioInput

    /// Emit JSON.
    @Flag(help: "Print one JSON object keyed by scheme name, each value shaped like 'run --json'.")
    var json = false

    /// Machine and cost flags (`--scheme` is ignored: all three run).
    @OptionGroup var arch: ArchOptions

    /// Runs the three schemes; exits 1 if any expectation fails under any of them.
    func run() throws {
        let source = try ScenarioCommand.load(input.file)
        let scenario = try ScenarioCommand.parse(yaml: source.yaml, file: source.file)
        let costs = try arch.costModel()
        var runs: [RunReport] = []
        for scheme in FlushScheme.allCases {
            let options = RunOptions(summarize: !input.verbose, layouts: json)
            runs.append(try ScenarioCommand.run(scenario, arch.overrides(scheme: scheme), options: options))
        }
        let output =
            json
            ? CompareReport.renderJSON(runs, costs: costs)
            : CompareReport.render(runs, style: .forStandardOutput(), costs: costs)
        print(output, terminator: "")
        if runs.contains(where: { $0.failures > 0 }) { throw ExitCode(1) }
    }
}
