import ArgumentParser
import MMScenario

/// `mmsim tour` (formerly `demo`): the built-in tour of faults and TLB fills.
struct Tour: ParsableCommand {
    /// Help text.
    static let configuration = CommandConfiguration(
        commandName: "tour", abstract: "Run the built-in tour of faults and TLB fills.", aliases: ["demo"])

    /// Emit JSON instead of the text report.
    @Flag(help: "Print the report as one JSON document.")
    var json = false

    /// Runs the tour.
    func run() throws {
        try ScenarioCommand.execute(yaml: DemoScenario.yaml, file: DemoScenario.file, json: json)
    }
}
