import Foundation
import MMReport
import Testing

@testable import MMScenario

/// The JSON document has the documented shape and is byte-for-byte deterministic.
@Suite struct JSONOutputTests {
    /// A small scenario exercising every result kind.
    static let yaml = """
        machine: {cpus: 2}
        threads:
          - {name: main, cpu: 0}
          - {name: worker, cpu: 1, process: main}
        steps:
          - mmap: {region: buf, length: 4 pages}
          - write: {thread: worker, region: buf, pages: 0..3, value: 0x11}
          - mmap: {length: 0}
            expect: {result: EINVAL}
          - munmap: {region: buf}
            expect: {result: 0, ipis: 1}
          - read: {region: buf, page: 0}
            expect: {signal: SIGSEGV}
          - idle: {cpu: 1}
        """

    /// Runs the scenario and returns the parsed JSON document.
    func document() throws -> [String: Any] {
        let report = ScenarioRunner.run(try ScenarioParser.parse(yaml: Self.yaml, file: "j.yaml"))
        let data = Data(JSONReport.render(report).utf8)
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    @Test func shape() throws {
        let json = try document()
        #expect(json["scheme"] as? String == "merged")
        let steps = try #require(json["steps"] as? [[String: Any]])
        #expect(steps.count == 6)
        for step in steps {
            for key in ["call", "result", "flushes", "faults", "cpus", "expectations"] {
                #expect(step[key] != nil, "step lacks \(key)")
            }
        }
        #expect((steps[0]["result"] as? String)?.hasPrefix("0x7") == true)
        #expect(
            steps[0]["call"] as? String == "mmap(NULL, 16384, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0)")
        #expect((steps[1]["faults"] as? [[String: Any]])?.count == 4)
        #expect((steps[1]["faults"] as? [[String: Any]])?.first?["resolution"] as? String == "anon")
        #expect(steps[2]["result"] as? String == "EINVAL")
        #expect(steps[3]["result"] as? Int == 0)
        let flush = try #require((steps[3]["flushes"] as? [[String: Any]])?.first)
        #expect(flush["cpu"] as? Int == 0)
        #expect(flush["remote"] as? [Int] == [1])
        #expect(flush["pages"] is Int && flush["strideShift"] is Int)
        let cpus = try #require(steps[3]["cpus"] as? [[String: Any]])
        #expect(cpus.count == 2)
        for key in ["cpu", "tlbMisses", "walks", "invlpg", "fullFlushes", "ipisReceived"] {
            #expect(cpus[1][key] is Int, "cpu lacks \(key)")
        }
        #expect(cpus[1]["ipisReceived"] as? Int == 1)
        let signal = try #require(steps[4]["result"] as? [String: Any])
        #expect(signal["signal"] as? String == "SIGSEGV" && signal["code"] as? String == "SEGV_MAPERR")
        #expect(steps[5]["result"] is NSNull)
        let expectations = try #require(steps[3]["expectations"] as? [[String: Any]])
        #expect(expectations.count == 2 && expectations.allSatisfy { $0["passed"] as? Bool == true })
        let totals = try #require(json["totals"] as? [String: Any])
        for key in ["flushes", "invlpg", "fullFlushes", "ipis", "tlbMisses", "faults"] {
            #expect(totals[key] is Int, "totals lack \(key)")
        }
        #expect(totals["faults"] as? Int == 5)
    }

    @Test func deterministic() throws {
        let scenario = try ScenarioParser.parse(yaml: Self.yaml, file: "j.yaml")
        let first = JSONReport.render(ScenarioRunner.run(scenario))
        let second = JSONReport.render(ScenarioRunner.run(scenario))
        #expect(first == second)
        let demo = try ScenarioParser.parse(yaml: DemoScenario.yaml, file: DemoScenario.file)
        #expect(JSONReport.render(ScenarioRunner.run(demo)) == JSONReport.render(ScenarioRunner.run(demo)))
    }

    @Test func textReportMentionsFailures() throws {
        let yaml = "steps:\n  - mmap: {length: 0}\n    expect: {result: ok}\n"
        let report = ScenarioRunner.run(try ScenarioParser.parse(yaml: yaml, file: "f.yaml"))
        #expect(report.failures == 1)
        let text = TextReport.render(report)
        #expect(text.contains("✗ result"))
        #expect(text.contains("1 of 1 expectations failed"))
        #expect(!text.contains("\u{1B}["))
    }
}
