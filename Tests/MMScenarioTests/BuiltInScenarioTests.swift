import MMKernel
import Testing

@testable import MMScenario

/// Every built-in scenario parses and runs green under `merged`; the rows of the seed patch's flush table also under
/// `before` and `seed` (their per-scheme expectations are the table's other two columns).
@Suite struct BuiltInScenarioTests {
    /// Names of all built-ins.
    static let names = BuiltInScenarios.all.map(\.name)
    /// Names of the flush-table rows.
    static let flushTableRows = BuiltInScenarios.flushTableRows.map(\.name)

    /// Runs `name` under `scheme` and returns the failed expectations and error results as text.
    static func failures(_ name: String, _ scheme: FlushScheme) throws -> [String] {
        let builtIn = try #require(BuiltInScenarios.named(name))
        let scenario = try MachineOverrides(scheme: scheme).apply(to: try builtIn.parse())
        let report = ScenarioRunner.run(scenario)
        #expect(report.scheme == scheme.rawValue)
        #expect(report.totals.expectationsPassed > 0)
        return report.steps.flatMap { step in
            var lines = step.expectations.filter { !$0.passed }.map {
                "\(name) #\(step.index) \($0.check): expected \($0.expected), got \($0.actual)"
            }
            if case .error(let message) = step.result { lines.append("\(name) #\(step.index): \(message)") }
            return lines
        }
    }

    @Test(arguments: BuiltInScenarioTests.names)
    func runsGreenUnderMerged(name: String) throws {
        let failed = try Self.failures(name, .merged)
        #expect(failed.isEmpty, "\(failed)")
    }

    @Test(arguments: BuiltInScenarioTests.flushTableRows, [FlushScheme.before, .seed])
    func flushTableRowRunsGreen(name: String, scheme: FlushScheme) throws {
        let failed = try Self.failures(name, scheme)
        #expect(failed.isEmpty, "\(failed)")
    }

    @Test func everyRequiredShapeIsThere() {
        let required = [
            "S1", "S2", "S2b", "S2c", "S3", "S3b", "S4", "S5", "S5b", "S5c", "S5d", "S6", "S7", "S7b", "S7c", "S8",
            "host-1page-in-512", "host-whole-512", "host-thp", "host-1page-in-thp", "host-3vmas", "host-none-to-rw",
            "host-16-rw-ro", "host-40", "host-ro-rw-exclusive", "host-rw-none", "host-rw-rwx", "host-noop",
            "host-unpopulated", "host-zero-page", "host-zero-page-ro-rw", "host-33", "host-34", "host-0-and-10",
            "host-0-and-100", "amit-1t", "amit-2t",
        ]
        for name in required { #expect(BuiltInScenarios.named(name) != nil, "missing \(name)") }
        #expect(Set(Self.names).count == Self.names.count, "duplicate built-in names")
        #expect(BuiltInScenarios.named("s2b")?.name == "S2b")
    }

    @Test("the flush-table rows and Amit's loop are grouped under names that explain themselves")
    func groupNames() {
        #expect(BuiltInScenarios.named("S1")?.group == "the seed patch's flush table (S1–S8)")
        #expect(BuiltInScenarios.named("S8")?.group == "the seed patch's flush table (S1–S8)")
        #expect(BuiltInScenarios.named("amit-2t-5.19")?.group == "Nadav Amit's mprotect benchmark loop")
        let section = "\u{00A7}"  // the section sign of an outside document's numbering
        for scenario in BuiltInScenarios.flushTableRows + BuiltInScenarios.amit {
            #expect(!scenario.group.contains(section) && !scenario.group.contains(".md"), "\(scenario.name)")
            #expect(!scenario.summary.contains(section), "\(scenario.name)")
        }
    }

    @Test func claimsParse() throws {
        for claim in SeedClaims.all { _ = try claim.parse() }
    }
}
