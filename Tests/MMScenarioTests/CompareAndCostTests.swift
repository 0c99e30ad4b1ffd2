import Foundation
import MMKernel
import MMReport
import Testing

@testable import MMScenario

/// `compare --json` is keyed by scheme, run's JSON carries the tracepoint view and cycles deterministically, cost
/// files report errors by line and column, and the claims demo shows `before` costing more than `merged`.
@Suite struct CompareAndCostTests {
    /// Runs a built-in under every scheme.
    static func runs(_ name: String) throws -> [RunReport] {
        let scenario = try #require(BuiltInScenarios.named(name)).parse()
        return try FlushScheme.allCases.map { scheme in
            ScenarioRunner.run(try MachineOverrides(scheme: scheme).apply(to: scenario))
        }
    }

    @Test func compareJSONIsKeyedByScheme() throws {
        let text = CompareReport.renderJSON(try Self.runs("S2"))
        let json = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(Set(json.keys) == ["before", "seed", "merged"])
        let merged = try #require(json["merged"] as? [String: Any])
        #expect(merged["scheme"] as? String == "merged")
        let totals = try #require(merged["totals"] as? [String: Any])
        for key in ["flushes", "invlpg", "fullFlushes", "ipis", "tlbMisses", "cycles"] {
            #expect(totals[key] is Int, "totals lacks \(key)")
        }
        let before = try #require(json["before"] as? [String: Any])
        #expect((before["totals"] as? [String: Any])?["flushes"] as? Int == 2)
        #expect(totals["flushes"] as? Int == 1)
    }

    @Test func runJSONHasTracepointView() throws {
        let report = try Self.runs("S2").last!
        let text = JSONReport.render(report)
        #expect(text == JSONReport.render(try Self.runs("S2").last!), "JSON must be deterministic")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let steps = try #require(json["steps"] as? [[String: Any]])
        let call = try #require(steps.last)
        #expect(call["result"] as? Int == 0)
        #expect(call["cycles"] is Int)
        let flush = try #require((call["flushes"] as? [[String: Any]])?.first)
        #expect(flush["cpu"] as? Int == 0)
        #expect(flush["pages"] as? Int == 1)
        #expect(flush["strideShift"] as? Int == 21)
        #expect(flush["remote"] as? [Int] == [1])
        #expect(flush["local"] as? Int == 1)
        #expect(flush["sendIPI"] as? Bool == true)
        #expect((flush["received"] as? [[String: Any]])?.first?["pages"] as? Int == 1)
        let reasons = (call["tracepoints"] as? [[String: Any]])?.compactMap { $0["reason"] as? Int }
        #expect(reasons == [4, 3, 1])
    }

    @Test func compareTableShowsAllSchemes() throws {
        let text = CompareReport.render(try Self.runs("S3"))
        for word in ["before", "seed", "merged", "3×4", "1×12", "totals"] { #expect(text.contains(word), "\(word)") }
        #expect(CompareReport.pagesSummary([]) == "-")
    }

    @Test func costFileErrorsArePositioned() {
        #expect(throws: CostModel.ParseError.self) { try CostModel(parsing: "invlpg: 100\nbogus: 1\n", file: "c.txt") }
        do throws(CostModel.ParseError) {
            _ = try CostModel(parsing: "# costs\ninvlpg: 100\nipi:  lots\n", file: "c.txt")
            Issue.record("accepted a bad value")
        } catch {
            #expect(error.line == 3)
            #expect(error.column == 5)
            #expect(error.description.hasPrefix("c.txt:3:5: "))
        }
        do throws(CostModel.ParseError) {
            _ = try CostModel(parsing: "invlpg 100\n", file: "c.txt")
            Issue.record("accepted a line without a colon")
        } catch {
            #expect(error.line == 1 && error.column == 1)
        }
    }

    @Test func costFileOverridesCycles() throws {
        let costs = try CostModel(parsing: "ipi: 0\ninvlpg: 0\nfull_flush: 0\ntlb_miss: 0\npage_fault: 0\n", file: "c")
        let report = try Self.runs("S5").last!
        // Only syscalls and STLB hits cost anything now.
        let syscalls = Double(report.steps.filter(\.isSyscall).count) * costs.syscall
        let stlb = Double(report.totals.stlbHits) * costs.stlbHit
        #expect(costs.cycles(of: report) == syscalls + stlb)
    }

    @Test(arguments: SeedClaims.all.map(\.name))
    func claimShowsBeforeCostingMore(name: String) throws {
        let claim = try #require(SeedClaims.all.first { $0.name == name })
        let scenario = try claim.parse()
        let costs = CostModel()
        let before = ClaimNumbers(
            ScenarioRunner.run(try MachineOverrides(scheme: .before).apply(to: scenario)), costs: costs)
        let merged = ClaimNumbers(
            ScenarioRunner.run(try MachineOverrides(scheme: .merged).apply(to: scenario)), costs: costs)
        #expect(before.cycles > merged.cycles)
        #expect(before.ipis > merged.ipis || before.fullFlushes.reduce(0, +) > merged.fullFlushes.reduce(0, +))
        if name != "three-vmas" { #expect(before.sweepMisses > merged.sweepMisses) }
        if name != "one-page" { #expect(before.flushes > merged.flushes) }
        let text = ClaimsReport.render([ClaimsReport.Entry(claim: claim, before: before, merged: merged)])
        #expect(text.contains(claim.changed))
    }
}
