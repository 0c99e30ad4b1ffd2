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
            "Compare the model with this machine's kernel on random mmap/mprotect/munmap/madvise/mremap sequences.",
        discussion: "Ends with 'N calls compared, M differences'; exit status 0 without differences, else 1."
    )

    /// `--seed`.
    @Option(help: "Seed of the call generator (the same seed gives the same calls).")
    var seed: UInt64 = 1

    /// `--ops`.
    @Option(help: "Calls to compare.")
    var ops = 2000

    /// `--per-sequence`.
    @Option(help: "Calls per sequence (one worker process and a fresh window each).")
    var perSequence = 50

    /// `--near-limit-every`.
    @Option(
        help: "Every Nth sequence runs near vm.max_map_count (0: never; slow: minutes per sequence in debug builds).")
    var nearLimitEvery = 0

    /// `--out`.
    @Option(help: "Directory for reproducers of differences.")
    var out = "conform-failures"

    /// `--json`.
    @Flag(help: "Print a JSON summary instead of text.")
    var json = false

    /// Runs the comparison and prints the summary.
    func run() throws {
        let profile = HostProfile.detect()
        var runner = ConformRunner(
            seed: seed, calls: ops, workerExecutable: HostChildProcess.currentExecutable(),
            workerArguments: ["conform-worker"], profile: profile)
        runner.callsPerSequence = max(perSequence, 1)
        runner.nearLimitEvery = nearLimitEvery
        let start = Date()
        let report = runner.run { line in
            if !json { FileHandle.standardError.write(Data((line + "\n").utf8)) }
        }
        var written: [String] = []
        if !report.differences.isEmpty {
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            for difference in report.differences {
                let path = (out as NSString).appendingPathComponent(difference.fileName)
                try difference.reproducer.write(toFile: path, atomically: true, encoding: .utf8)
                written.append(path)
            }
        }
        let seconds = Date().timeIntervalSince(start)
        if json {
            print(try ConformJSON.render(report: report, files: written, seed: seed, seconds: seconds))
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
    }

    /// Pretty JSON for `report`.
    static func render(report: ConformRunner.Report, files: [String], seed: UInt64, seconds: Double) throws -> String {
        let differences = zip(report.differences, files).map { difference, file in
            let last = difference.outcome.differenceAt ?? 0
            return Difference(
                sequence: difference.original.index, file: file, calls: difference.shrunk.calls.map(\.description),
                kernel: difference.outcome.kernel.indices.contains(last) ? "\(difference.outcome.kernel[last])" : "",
                model: difference.outcome.model.indices.contains(last) ? "\(difference.outcome.model[last])" : "")
        }
        let document = Document(
            seed: seed, calls: report.calls, sequences: report.sequences, seconds: seconds, differences: differences,
            problems: report.problems, summary: report.summary)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: try encoder.encode(document), as: UTF8.self)
    }
}
