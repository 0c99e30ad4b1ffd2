import ArgumentParser
import Foundation
import MMProbe
import MMReport
import MMScenario

/// `mmsim probe [FILE|NAME...] [--json] [--threads 1|2] [--repeat N] [arch flags]`: runs scenarios on this
/// machine's kernel under `tlb:tlb_flush` and on the model, and prints the agreement table. Exit 0 if all agree,
/// 1 if any disagrees, 2 on bad input or when tracefs is unusable.
struct Probe: ParsableCommand {
    /// Help text.
    static let configuration = CommandConfiguration(
        abstract: "Check the model's flushes against this machine's kernel (tlb:tlb_flush), per call.",
        discussion: "With no names, probes every host-* built-in (see 'mmsim scenarios'). Needs root and tracefs.")

    /// Scenario files or built-in names.
    @Argument(help: "Scenario files or built-in names (default: every host-* built-in).")
    var files: [String] = []

    /// Emit JSON instead of the table.
    @Flag(help: "Print the result as one JSON document.")
    var json = false

    /// `--threads`.
    @Option(help: "2: a second thread spins on another CPU (remote flushes); 1: the measuring thread alone.")
    var threads = 2

    /// `--repeat`.
    @Option(
        name: .customLong("repeat"),
        help: "Runs per scenario on the kernel (1 to \(Probe.maxRepeats)); their results must be identical.")
    var repeats = 3

    /// `--no-population`.
    @Flag(name: .customLong("no-population"), help: "Skip the page-population comparison.")
    var noPopulation = false

    /// Machine flags for the model.
    @OptionGroup var arch: ArchOptions

    /// The most runs per scenario.
    static let maxRepeats = 100

    /// Refuses a thread count other than 1 or 2 and a repeat count outside 1...`maxRepeats`.
    func validate() throws {
        guard threads == 1 || threads == 2 else { throw ValidationError("--threads must be 1 or 2, not \(threads)") }
        guard (1...Self.maxRepeats).contains(repeats) else {
            throw ValidationError("--repeat must be between 1 and \(Self.maxRepeats), not \(repeats)")
        }
    }

    /// Loads the scenarios, probes them and prints the report.
    func run() throws {
        var scenarios: [(name: String, summary: String?, scenario: Scenario)] = []
        if files.isEmpty {
            for builtIn in BuiltInScenarios.all where builtIn.name.hasPrefix("host-") {
                scenarios.append(
                    (builtIn.name, builtIn.summary, try ScenarioCommand.parse(yaml: builtIn.yaml, file: builtIn.file)))
            }
        } else {
            for file in files {
                let source = try ScenarioCommand.load(file)
                let summary = BuiltInScenarios.named(file)?.summary
                scenarios.append((file, summary, try ScenarioCommand.parse(yaml: source.yaml, file: source.file)))
            }
        }
        let options = ProbeOptions(
            threads: threads, repeats: repeats, overrides: arch.overrides(), population: !noPopulation)
        let probe: FlushProbe
        do {
            probe = try FlushProbe(options: options)
        } catch {
            throw Self.fail("tracefs is unusable: \(error)")
        }
        var shapes: [ShapeProbe] = []
        let progress = ProgressLine("probe")
        for (index, entry) in scenarios.enumerated() {
            progress.update("\(index + 1)/\(scenarios.count) \(entry.name)")
            shapes.append(probe.probe(entry.scenario, name: entry.name, summary: entry.summary))
        }
        progress.finish()
        probe.close()
        let report = ProbeReport(
            shapes: shapes, threads: threads, repeats: repeats, model: options.modelDescription(),
            kernel: FlushProbe.kernelRelease)
        print(
            json ? ProbeJSONReport.render(report) : ProbeTextReport.render(report, style: .forStandardOutput()),
            terminator: "")
        if !report.allAgree { throw ExitCode(1) }
    }

    /// Prints `message` to stderr and returns exit code 2.
    static func fail(_ message: String) -> ExitCode {
        FileHandle.standardError.write(Data("mmsim probe: \(message)\n".utf8))
        return ExitCode(2)
    }
}
