import ArgumentParser
import Foundation
import MMHost
import MMOracle

/// `mmsim conform`: random call sequences on the real kernel (a worker process) and on the model, compared
/// after every call; differences are shrunk and written as scenario files.
struct Conform: ParsableCommand {
    /// Help text.
    static let configuration = CommandConfiguration(
        abstract:
            "Compare the model with this machine's kernel on random sequences of every memory call and page access.",
        discussion:
            "Ends with 'N calls compared, M differences'; exit status 0 without differences, 1 with, 2 on bad input."
    )

    /// `--seed`.
    @Option(help: "Seed of the call generator (the same seed gives the same calls).")
    var seed: UInt64 = 1

    /// `--ops`.
    @Option(help: "Calls to compare (1 to \(Conform.maxOps)).")
    var ops = 2000

    /// `--per-sequence`.
    @Option(help: "Calls per sequence, 1 to \(Conform.maxPerSequence) (one worker process and a fresh window each).")
    var perSequence = 50

    /// `--near-limit-every`.
    @Option(help: "Every Nth sequence runs near vm.max_map_count (0: never).")
    var nearLimitEvery = 10

    /// `--coverage`.
    @Flag(help: "Print which calls, flags, advice and results the run exercised, on the kernel and in the model.")
    var coverage = false

    /// `--out`.
    @Option(help: "Directory for reproducers of differences.")
    var out = "conform-failures"

    /// `--json`.
    @Flag(help: "Print a JSON summary instead of text.")
    var json = false

    /// The most calls one run compares: about half an hour in a debug build (some 550 calls a second), minutes
    /// in a release build.
    static let maxOps = 1_000_000
    /// The longest sequence (shrinking re-runs a sequence many times, so long ones shrink slowly).
    static let maxPerSequence = 1000

    /// Refuses counts outside their bounds and an `--out` that could not take reproducers, before the run (a
    /// finished run would otherwise be lost to an unwritable directory).
    func validate() throws {
        guard (1...Self.maxOps).contains(ops) else {
            throw ValidationError("--ops must be between 1 and \(Self.maxOps), not \(ops)")
        }
        guard (1...Self.maxPerSequence).contains(perSequence) else {
            throw ValidationError("--per-sequence must be between 1 and \(Self.maxPerSequence), not \(perSequence)")
        }
        guard nearLimitEvery >= 0 else {
            throw ValidationError("--near-limit-every must be 0 (never) or more, not \(nearLimitEvery)")
        }
        if let problem = OutputDirectory.problem(out) { throw ValidationError("--out \(problem)") }
    }

    /// Runs the comparison and prints the summary.
    func run() throws {
        let profile = HostProfile.detect()
        var runner = ConformRunner(
            seed: seed, calls: ops, workerExecutable: HostChildProcess.currentExecutable(),
            workerArguments: ["conform-worker"], profile: profile)
        runner.callsPerSequence = max(perSequence, 1)
        runner.nearLimitEvery = nearLimitEvery
        let start = Date()
        let progress = ProgressLine("conform", text: "seed \(seed), comparing \(ops) calls")
        var found = 0
        let report = runner.run(
            progress: { line in
                if line.hasPrefix("difference") { found += 1 }
                if !json { progress.log(line) }
                progress.update("seed \(seed), comparing \(ops) calls, \(found) differences so far")
            },
            sequenceDone: { done in
                progress.update("seed \(seed), \(done) of \(ops) calls compared, \(found) differences so far")
            })
        progress.finish()
        let written: [String]
        do {
            written = try OutputDirectory.write(
                report.differences.map { ($0.fileName, $0.reproducer) }, into: out)
        } catch {
            // The run is done: keep its reproducers by printing them rather than losing them.
            FileHandle.standardError.write(Data("mmsim conform: \(error); the reproducers follow\n".utf8))
            for difference in report.differences {
                FileHandle.standardError.write(Data("--- \(difference.fileName)\n\(difference.reproducer)\n".utf8))
            }
            print(report.summary)
            throw ExitCode(2)
        }
        let seconds = Date().timeIntervalSince(start)
        if json {
            print(
                try ConformJSON.render(
                    report: report, files: written, seed: seed, seconds: seconds, coverage: coverage))
        } else {
            print("kernel \(profile.release), model \(profile.modelFlags), seed \(seed)")
            print("\(report.sequences) sequences in \(String(format: "%.1f", seconds)) s")
            for problem in report.problems { print("problem: \(problem)") }
            for (difference, path) in zip(report.differences, written) {
                let outcome = difference.outcome
                print(
                    "difference (sequence \(difference.original.index), \(difference.shrunk.calls.count) calls): \(path)"
                )
                if let last = outcome.differenceAt {
                    print("  call:   \(difference.shrunk.calls[last])")
                    print("  kernel: \(outcome.kernel[last])")
                    print("  model:  \(outcome.model[last])")
                }
            }
            if coverage { print(report.coverage.table) }
            print(report.summary)
        }
        if !report.differences.isEmpty { throw ExitCode(1) }
    }
}

/// The JSON summary of a conformance run.
enum ConformJSON {
    /// One difference.
    struct Difference: Encodable {
        /// Sequence number.
        var sequence: Int
        /// The reproducer file.
        var file: String
        /// The shrunk calls, wire form.
        var calls: [String]
        /// Kernel observation at the differing call.
        var kernel: String
        /// Model observation at the differing call.
        var model: String
    }

    /// The document.
    struct Document: Encodable {
        /// The seed.
        var seed: UInt64
        /// Calls compared.
        var calls: Int
        /// Sequences run.
        var sequences: Int
        /// Wall time.
        var seconds: Double
        /// The differences.
        var differences: [Difference]
        /// Problems (worker crashes).
        var problems: [String]
        /// The summary line.
        var summary: String
        /// With `--coverage`: per call, its count, flags and results on each side.
        var coverage: [String: CoverageEntry]?
    }

    /// One call's coverage.
    struct CoverageEntry: Encodable {
        /// Calls compared.
        var count: Int
        /// Flag values and their counts.
        var flags: [String: Int]
        /// Kernel results and their counts.
        var kernel: [String: Int]
        /// Model results and their counts.
        var model: [String: Int]
    }

    /// Pretty JSON for `report`.
    static func render(
        report: ConformRunner.Report, files: [String], seed: UInt64, seconds: Double, coverage: Bool = false
    ) throws -> String {
        let differences = zip(report.differences, files).map { difference, file in
            let last = difference.outcome.differenceAt ?? 0
            return Difference(
                sequence: difference.original.index, file: file, calls: difference.shrunk.calls.map(\.description),
                kernel: difference.outcome.kernel.indices.contains(last) ? "\(difference.outcome.kernel[last])" : "",
                model: difference.outcome.model.indices.contains(last) ? "\(difference.outcome.model[last])" : "")
        }
        let document = Document(
            seed: seed, calls: report.calls, sequences: report.sequences, seconds: seconds, differences: differences,
            problems: report.problems, summary: report.summary,
            coverage: coverage
                ? report.coverage.calls.mapValues {
                    CoverageEntry(count: $0.count, flags: $0.flags, kernel: $0.kernel, model: $0.model)
                } : nil)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: try encoder.encode(document), as: UTF8.self)
    }
}
