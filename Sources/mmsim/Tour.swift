import ArgumentParser
import MMScenario

/// `mmsim demo` (also what `mmsim` alone runs): the built-in tour.
struct Demo: ParsableCommand {
    /// Help text.
    static let configuration = CommandConfiguration(abstract: "Run the built-in tour of faults and TLB fills.")

    /// Emit JSON instead of the text report.
    @Flag(help: "Print the report as one JSON document.")
    var json = false

    /// Runs the demo.
    func run() throws {
        try ScenarioCommand.execute(yaml: DemoScenario.yaml, file: DemoScenario.file, json: json)
    }
}
