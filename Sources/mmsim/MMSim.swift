import ArgumentParser

/// The `mmsim` command: runs scenario files, or the built-in demo when given no subcommand.
@main
struct MMSim: ParsableCommand {
    /// Subcommands and help.
    static let configuration = CommandConfiguration(
        commandName: "mmsim",
        abstract: "A user-space simulator of Linux memory protection on x86-64.",
        discussion: "Without a subcommand, runs a built-in tour of faults and TLB fills.",
        subcommands: [Run.self, Demo.self, Bench.self],
        defaultSubcommand: Demo.self
    )
}
