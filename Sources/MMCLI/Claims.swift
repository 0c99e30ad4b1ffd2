import ArgumentParser
import MMKernel
import MMReport
import MMScenario

/// `mmsim claims` (what `mmsim` alone runs): the seed patch's three claims under `before` and `merged`.
struct Claims: ParsableCommand {
    /// Help text.
    static let configuration = CommandConfiguration(
        abstract: "Show the seed patch's three claims side by side under the before and merged schemes.")

    /// Emit JSON.
    @Flag(help: "Print the figures as one JSON document (see docs/json-output.md).")
    var json = false

    /// Machine and cost flags (`--scheme` is ignored: both schemes run).
    @OptionGroup var arch: ArchOptions

    /// Runs each claim under both schemes and prints the tables.
    func run() throws {
        let entries = try entries()
        if json {
            print(try ClaimsJSON.render(entries))
        } else {
            print(ClaimsReport.render(entries, style: .forStandardOutput()), terminator: "")
        }
    }

    /// Each claim's figures under `before` and `merged`.
    func entries() throws -> [ClaimsReport.Entry] {
        let costs = try arch.costModel()
        var entries: [ClaimsReport.Entry] = []
        for claim in SeedClaims.all {
            let scenario = try ScenarioCommand.parse(yaml: claim.yaml, file: "<claim \(claim.name)>")
            let before = try ScenarioCommand.run(scenario, arch.overrides(scheme: .before))
            let merged = try ScenarioCommand.run(scenario, arch.overrides(scheme: .merged))
            entries.append(
                ClaimsReport.Entry(
                    claim: claim, before: ClaimNumbers(before, costs: costs), merged: ClaimNumbers(merged, costs: costs)
                ))
        }
        return entries
    }
}

/// The JSON form of `mmsim claims --json`.
enum ClaimsJSON {
    /// One scheme's figures for one claim.
    struct Numbers: Encodable {
        /// `flush_tlb_mm_range()` calls of the measured call.
        var flushes: Int
        /// Their sizes, compacted (`1×full`, `1×8`).
        var pages: String
        /// INVLPGs per CPU, in CPU order.
        var invlpg: [Int]
        /// Full flushes per CPU.
        var fullFlushes: [Int]
        /// IPIs received.
        var ipis: Int
        /// TLB misses of the other thread's follow-up sweep.
        var sweepMisses: Int
        /// Modelled cycles of the call and the sweep.
        var cycles: Int64

        /// The figures of `numbers`.
        init(_ numbers: ClaimNumbers) {
            flushes = numbers.flushes
            pages = numbers.pages
            invlpg = numbers.invlpg
            fullFlushes = numbers.fullFlushes
            ipis = numbers.ipis
            sweepMisses = numbers.sweepMisses
            cycles = numbers.cycles
        }
    }

    /// One claim.
    struct Claim: Encodable {
        /// Short name (`one-page`).
        var name: String
        /// The claim in one line.
        var title: String
        /// What changed, in one line.
        var changed: String
        /// Figures under `before`.
        var before: Numbers
        /// Figures under `merged`.
        var merged: Numbers
    }

    /// The document.
    struct Document: Encodable {
        /// The claims in the order shown.
        var claims: [Claim]
    }

    /// Pretty JSON with sorted keys for `entries`.
    static func render(_ entries: [ClaimsReport.Entry]) throws -> String {
        try JSONText.render(
            Document(
                claims: entries.map {
                    Claim(
                        name: $0.claim.name, title: $0.claim.title, changed: $0.claim.changed,
                        before: Numbers($0.before), merged: Numbers($0.merged))
                }))
    }
}
