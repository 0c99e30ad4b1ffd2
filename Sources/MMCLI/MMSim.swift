import ArgumentParser

/// The `mmsim` command: runs scenario files, or the built-in demo when given no subcommand.
public struct MMSim: ParsableCommand {
    /// Subcommands and help.
    public static let configuration = CommandConfiguration(
        commandName: "mmsim",
        abstract: "A user-space simulator of Linux memory protection on x86-64.",
        discussion: """
            Without a subcommand, shows the seed patch's three claims under the before and merged schemes.
            Exit status: 0 success, 1 a failed expectation or a difference found, 2 bad input (arguments included).
            """,
        version: MMSimVersion.current,
        subcommands: [
            Claims.self, Run.self, Compare.self, Scenarios.self, Tour.self, Bench.self, Probe.self, Host.self,
            Conform.self, ConformWorkerCommand.self,
        ],
        defaultSubcommand: Claims.self
    )

    /// The root command has no options of its own.
    public init() {}
}
