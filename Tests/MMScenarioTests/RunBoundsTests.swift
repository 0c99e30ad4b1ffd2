import Foundation
import MMKernel
import MMReport
import Testing

@testable import MMScenario

/// A run's memory is the model's state plus O(steps): summarised steps keep a bounded number of records whatever
/// the number of events, the counts and expectations stay exact, and the streamed reports are the same documents.
@Suite struct RunBoundsTests {
    static let summarized = RunOptions(summarize: true)

    /// A scenario that writes `pages` pages in one step, expecting `faults: pages`.
    static func bigWrite(pages: Int) -> String {
        """
        machine: {cpus: 1}
        steps:
          - mmap: {region: buf, length: \(pages) pages}
          - write: {region: buf, pages: 0..\(pages - 1), value: 0x11}
            expect: {faults: \(pages), value: 0x11, tlb_misses: \(2 * pages)}
          - expect: {faults: \(pages), flushes: 0}
        """
    }

    @Test func aHundredThousandFaultsAreOneRecord() throws {
        let report = ScenarioRunner.run(
            try ScenarioParser.parse(yaml: Self.bigWrite(pages: 100_000), file: "b.yaml"), options: Self.summarized)
        let step = report.steps[1]
        #expect(step.faultCount == 100_000)
        #expect(step.faults.count == 1)
        #expect(step.faults.first?.count == 100_000)
        #expect(step.faults.first?.stride == 4096)
        #expect(step.omittedFaults == 0)
        #expect(report.failures == 0)
        #expect(report.totals.expectationsPassed == 5)
        #expect(report.totals.faults == 100_000)
        let text = TextReport.render(report)
        #expect(text.contains("faults 100,000× main@cpu0"))
        #expect(text.count < 4000, "the text report of a 100k-fault step is a few lines")
    }

    /// Even pages hold the zero page, odd pages nothing: one write over all of them alternates `cow` and `anon`
    /// faults, so no two neighbours merge.
    static func alternating(pages: Int, resolutions: [String]) -> String {
        var yaml = "machine: {cpus: 1}\nsteps:\n  - mmap: {region: buf, length: \(pages) pages}\n"
        for page in stride(from: 0, to: pages, by: 2) { yaml += "  - read: {region: buf, page: \(page)}\n" }
        yaml += "  - write: {region: buf, pages: 0..\(pages - 1)}\n"
        yaml += "    expect: {faults: \(pages), flushes: \(pages / 2)}\n"
        yaml += "  - expect: {resolutions: [\(resolutions.joined(separator: ", "))]}\n"
        return yaml
    }

    @Test func keptRecordsAreBoundedAndExpectationsExact() throws {
        let pages = 300
        let names = (0..<pages).map { $0 % 2 == 0 ? "cow" : "anon" }
        let report = ScenarioRunner.run(
            try ScenarioParser.parse(yaml: Self.alternating(pages: pages, resolutions: names), file: "a.yaml"),
            options: Self.summarized)
        let write = report.steps[report.steps.count - 2]
        #expect(write.faultCount == pages)
        #expect(write.faults.count == ScenarioRunner.recordsKept)
        #expect(write.omittedFaults == pages - ScenarioRunner.recordsKept)
        #expect(write.flushCount == pages / 2)
        #expect(write.flushes.count == 1, "the COW flushes differ only in their start: one run")
        #expect(write.flushes.first?.count == pages / 2)
        #expect(report.failures == 0, "\(report.steps.flatMap(\.expectations).filter { !$0.passed })")
        let text = TextReport.render(report)
        #expect(text.contains("… 236 more faults (300 in all)"))
    }

    @Test func aWrongLongResolutionListStillFails() throws {
        let pages = 300
        var names = (0..<pages).map { $0 % 2 == 0 ? "cow" : "anon" }
        names[200] = "anon"
        let report = ScenarioRunner.run(
            try ScenarioParser.parse(yaml: Self.alternating(pages: pages, resolutions: names), file: "a.yaml"),
            options: Self.summarized)
        let failed = report.steps.flatMap(\.expectations).filter { !$0.passed }
        #expect(failed.map(\.check) == ["resolutions"])
        #expect(failed.first?.actual.hasPrefix("[cow, anon, cow, anon") == true)
        #expect(failed.first?.actual.hasSuffix("(300 in all)") == true)
    }

    @Test func summaryAndVerboseAgreeOnEveryExample() throws {
        for name in ExampleTests.names {
            let text = try String(contentsOf: ExampleTests.fixtures.appending(path: name), encoding: .utf8)
            let scenario = try ScenarioParser.parse(yaml: text, file: name)
            let verbose = ScenarioRunner.run(scenario)
            let summary = ScenarioRunner.run(scenario, options: Self.summarized)
            #expect(verbose.totals == summary.totals, "\(name)")
            for (one, other) in zip(verbose.steps, summary.steps) {
                #expect(one.expectations == other.expectations, "\(name) step \(one.index)")
                #expect(one.faults.count == one.faultCount, "verbose keeps one record per fault")
                #expect(other.faults.reduce(0) { $0 + $1.count } + other.omittedFaults == one.faultCount)
                #expect(other.flushes.reduce(0) { $0 + $1.count } + other.omittedFlushes == one.flushCount)
                #expect(CompareReport.pagesSummary(one.flushes) == CompareReport.pagesSummary(other.flushes))
            }
        }
    }

    /// The streamed report, collected.
    func streamed(_ scenario: Scenario, _ format: ReportStream.Format, verbose: Bool = false) -> (String, RunReport) {
        var output = ""
        let report = ReportStream.run(scenario, format: format, verbose: verbose) { output += $0 }
        return (output, report)
    }

    @Test func streamedJSONIsTheSameDocument() throws {
        let names = ["cow-after-fork.yaml", "mprotect-schemes.yaml", "thp-madvise.yaml"]
        for name in names {
            let text = try String(contentsOf: ExampleTests.fixtures.appending(path: name), encoding: .utf8)
            let scenario = try ScenarioParser.parse(yaml: text, file: name)
            for verbose in [false, true] {
                let (output, report) = streamed(scenario, .json, verbose: verbose)
                let whole = ScenarioRunner.run(scenario, options: RunOptions(summarize: !verbose, layouts: true))
                #expect(output == JSONReport.render(whole), "\(name)")
                #expect(report.steps.isEmpty, "the stream keeps no step")
                #expect(report.totals == whole.totals)
                let json = try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any]
                let steps = try #require(json?["steps"] as? [[String: Any]])
                #expect(steps.allSatisfy { $0["layout"] is [[String: Any]] })
            }
        }
        let empty = try ScenarioParser.parse(yaml: "steps: []\n", file: "e.yaml")
        let (output, _) = streamed(empty, .json)
        #expect(output == JSONReport.render(ScenarioRunner.run(empty, options: RunOptions(layouts: true))))
    }

    @Test func streamedTextIsTheSameReport() throws {
        let text = try String(contentsOf: ExampleTests.fixtures.appending(path: "demand-zero.yaml"), encoding: .utf8)
        let scenario = try ScenarioParser.parse(yaml: text, file: "demand-zero.yaml")
        let (output, _) = streamed(scenario, .text(.plain))
        #expect(output == TextReport.render(ScenarioRunner.run(scenario, options: Self.summarized)))
    }

    @Test func layoutFollowsEveryAddressSpace() throws {
        let yaml = """
            machine: {cpus: 2}
            steps:
              - mmap: {region: buf, length: 4 pages}
              - write: {region: buf, pages: 0..1}
              - fork: {child: kid, cpu: 1}
            """
        let report = ScenarioRunner.run(
            try ScenarioParser.parse(yaml: yaml, file: "f.yaml"), options: RunOptions(layouts: true))
        let before = try #require(report.steps[1].layout)
        #expect(before.map(\.threads) == [["main"]])
        #expect(before.first?.vmas.map(\.rss) == [8192])
        let after = try #require(report.steps[2].layout)
        #expect(after.map(\.threads) == [["main"], ["kid"]])
        #expect(after.map(\.pid) == [1000, 1001])
        #expect(after.last?.vmas.first?.vmFlags == ["rd", "wr", "mr", "mw", "me", "ac"])
        #expect(ScenarioRunner.run(try ScenarioParser.parse(yaml: yaml, file: "f.yaml")).steps[1].layout == nil)
    }
}
