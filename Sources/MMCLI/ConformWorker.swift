import ArgumentParser
import MMOracle

/// `mmsim conform-worker` (hidden): the real-kernel side of `mmsim conform`, driven over stdin/stdout.
struct ConformWorkerCommand: ParsableCommand {
    /// Hidden from help: only `mmsim conform` and the tests start it.
    static let configuration = CommandConfiguration(
        commandName: "conform-worker",
        abstract: "Internal: execute conformance calls read from stdin on the real kernel.",
        shouldDisplay: false
    )

    /// Runs the worker loop on the standard descriptors.
    func run() throws {
        let status = ConformWorker.run(input: 0, output: 1)
        if status != 0 { throw ExitCode(status) }
    }
}
