import ArgumentParser
import Foundation
import MMScenario

/// `mmsim scenarios`: lists the built-in scenarios.
struct Scenarios: ParsableCommand {
    /// Help text.
    static let configuration = CommandConfiguration(abstract: "List the built-in scenarios (run them by name).")

    /// Prints one line per built-in, grouped, then the rows left out.
    func run() {
        var group = ""
        let width = BuiltInScenarios.all.map(\.name.count).max() ?? 0
        for scenario in BuiltInScenarios.all {
            if scenario.group != group {
                group = scenario.group
                print("\n\(group)")
            }
            print("  " + scenario.name.padding(toLength: width + 2, withPad: " ", startingAt: 0) + scenario.summary)
        }
        print("\nleft out")
        for omitted in BuiltInScenarios.omitted {
            print("  " + omitted.name.padding(toLength: width + 2, withPad: " ", startingAt: 0) + omitted.reason)
        }
    }
}
