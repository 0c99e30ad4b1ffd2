import ArgumentParser
import Foundation
import MMBench
import MMScenario

/// `mmsim bench [--size BYTES] [--repetitions N] [--no-host] [--json]`: wires `MMBench.run`.
struct Bench: ParsableCommand {
    /// Help text.
    static let configuration = CommandConfiguration(
        abstract: "Populate, sweep, rewrite and mprotect a region in the simulator and in the real kernel.",
        discussion: "Build with 'swift build -c release' first: a debug build is tens of times slower.")

    /// Region size in bytes.
    @Option(
        help: "Region size: bytes or 4K/2M/1G/pages units (a multiple of 2 MiB from 2 MiB to 64 GiB).",
        transform: Bench.parseSize)
    var size: Int = 1 << 30

    /// Timed repetitions.
    @Option(help: "Timed repetitions of each rewrite and mprotect (1 to 1000; the median is reported).")
    var repetitions: Int = 3

    /// Skip the real kernel's side.
    @Flag(name: .customLong("no-host"), help: "Do not run the real kernel's mprotect sweep.")
    var noHost = false

    /// Emit JSON.
    @Flag(help: "Print the result as JSON (see docs/json-output.md).")
    var json = false

    /// The benchmark's parameters.
    var benchConfiguration: BenchConfiguration {
        BenchConfiguration(regionBytes: size, repetitions: repetitions, host: !noHost)
    }

    /// Refuses a size or repetition count the benchmark cannot run, before it starts.
    func validate() throws {
        if let problem = benchConfiguration.problem { throw ValidationError(problem) }
    }

    /// `--size`: a size as scenario files write them (`1G`, `512M`, `0x40000000`), at most `Int.max`.
    static func parseSize(_ text: String) throws -> Int {
        if text.trimmingCharacters(in: .whitespaces).hasPrefix("-") {
            throw ValidationError("a size cannot be negative")
        }
        switch ScenarioParser.size(text) {
        case .success(let bytes) where bytes <= UInt64(Int.max): return Int(bytes)
        case .success: throw ValidationError("the size does not fit in 63 bits")
        case .failure(let failure): throw ValidationError(failure.message)
        }
    }

    /// Whether this binary was built without optimisation (`swift build` without `-c release`).
    static var isDebugBuild: Bool {
        #if DEBUG
        return true
        #else
        return false
        #endif
    }

    /// Runs the benchmark and prints its report.
    func run() throws {
        if Self.isDebugBuild {
            FileHandle.standardError.write(
                Data(
                    ("mmsim bench: warning: this is a debug build, and the simulator's figures are tens of times "
                        + "worse than a release build's; build with 'swift build -c release' and run "
                        + ".build/release/mmsim bench\n").utf8))
        }
        let progress = ProgressLine("bench")
        defer { progress.finish() }
        let report: BenchReport
        do {
            report = try MMBench.run(benchConfiguration) { progress.update($0) }
            progress.finish()
            print(json ? try report.renderJSON() : report.renderText())
        } catch {
            progress.finish()
            FileHandle.standardError.write(Data("mmsim bench: \(error)\n".utf8))
            throw ExitCode(2)
        }
    }
}
