import ArgumentParser
import Foundation
import MMBench

/// `mmsim bench [--size BYTES] [--repetitions N] [--no-host] [--json]`: wires `MMBench.run`.
struct Bench: ParsableCommand {
    /// Help text.
    static let configuration = CommandConfiguration(
        abstract: "Populate, sweep, rewrite and mprotect a region in the simulator and in the real kernel.")

    /// Region size in bytes.
    @Option(help: "Region size in bytes (a multiple of 2 MiB, at most 64 GiB).")
    var size: Int = 1 << 30

    /// Timed repetitions.
    @Option(help: "Timed repetitions of each rewrite and mprotect (the median is reported).")
    var repetitions: Int = 3

    /// Skip the real kernel's side.
    @Flag(name: .customLong("no-host"), help: "Do not run the real kernel's mprotect sweep.")
    var noHost = false

    /// Emit JSON.
    @Flag(help: "Print the result as JSON.")
    var json = false

    /// Runs the benchmark and prints its report.
    func run() throws {
        let report: BenchReport
        do {
            report = try MMBench.run(
                BenchConfiguration(regionBytes: size, repetitions: repetitions, host: !noHost))
            print(json ? try report.renderJSON() : report.renderText())
        } catch {
            FileHandle.standardError.write(Data("mmsim bench: \(error)\n".utf8))
            throw ExitCode(2)
        }
    }
}
