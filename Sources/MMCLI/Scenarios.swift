import ArgumentParser
import Foundation
import MMScenario

/// `mmsim scenarios`: lists the built-in scenarios.
struct Scenarios: ParsableCommand {
    /// Help text.
    static let configuration = CommandConfiguration(abstract: "List the built-in scenarios (run them by name).")

    /// Emit JSON.
    @Flag(help: "Print the list as one JSON document (see docs/json-output.md).")
    var json = false

    /// Prints one line per built-in, grouped, then the rows left out.
    func run() throws {
        if json {
            print(try ScenariosJSON.render())
            return
        }
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

/// The JSON form of `mmsim scenarios --json`.
enum ScenariosJSON {
    /// One built-in scenario.
    struct Entry: Encodable {
        /// The name `mmsim run NAME` takes.
        var name: String
        /// The group it is listed under.
        var group: String
        /// One line on what it shows.
        var summary: String
        /// The file name its reports and errors give (`<built-in S1>`).
        var file: String
    }

    /// A scenario left out, and why.
    struct Omitted: Encodable {
        /// Its name.
        var name: String
        /// Why there is no such built-in.
        var reason: String
    }

    /// The document.
    struct Document: Encodable {
        /// The built-ins in listing order.
        var scenarios: [Entry]
        /// The rows left out.
        var omitted: [Omitted]
    }

    /// Pretty JSON with sorted keys.
    static func render() throws -> String {
        try JSONText.render(
            Document(
                scenarios: BuiltInScenarios.all.map {
                    Entry(name: $0.name, group: $0.group, summary: $0.summary, file: $0.file)
                },
                omitted: BuiltInScenarios.omitted.map { Omitted(name: $0.name, reason: $0.reason) }))
    }
}
