import ArgumentParser
import Foundation
import MMBench

/// `mmsim bench [--size BYTES] [--repetitions N] [--json]`: wires `MMBench.run`.
struct Bench: ParsableCommand {
    /// Help text.
    static let configuration = CommandConfiguration(
        abstract: "Populate, sweep and rewrite a region in the simulator and in the real kernel.")

    /// Region size in bytes.
    @Option(help: "Region size in bytes (a multiple of 2 MiB).")
    var size: Int = 1 << 30

    /// Timed repetitions.
    @Option(help: "Timed repetitions of each rewrite (the median is reported).")
    var repetitions: Int = 3

    /// Emit JSON.
    @Flag(help: "Print the result as JSON.")
    var json = false

    /// Runs the benchmark and prints its report (as `key: value` lines, or JSON).
    func run() throws {
        let report: BenchReport
        do {
            report = try MMBench.run(BenchConfiguration(regionBytes: size, repetitions: repetitions))
        } catch {
            FileHandle.standardError.write(Data("mmsim bench: \(error)\n".utf8))
            throw ExitCode(2)
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        let data = try encoder.encode(report)
        if json {
            print(String(decoding: data, as: UTF8.self))
            return
        }
        let fields = (try JSONSerialization.jsonObject(with: data) as? [String: Any]) ?? [:]
        for key in fields.keys.sorted() { print("\(key): \(fields[key]!)") }
    }
}
