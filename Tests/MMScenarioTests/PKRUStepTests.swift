import MMKernel
import Testing

@testable import MMScenario

/// The `pkru` step (WRPKRU) and `SEGV_PKUERR` expectations, on machines with and without protection keys.
@Suite struct PKRUStepTests {
    /// A two-thread scenario: `main` opens a key it allocated access-disabled, `other` keeps the default PKRU.
    static func yaml(pku: Bool) -> String {
        """
        machine: {cpus: 2, pku: \(pku)}
        threads:
          - {name: main, cpu: 0}
          - {name: other, cpu: 1, process: main}
        steps:
          - mmap: {region: buf, length: 2 pages}
          - pkey_alloc: {thread: main, access_rights: 1}
            expect: {result: \(pku ? "1" : "EINVAL")}
          - pkey_mprotect: {region: buf, prot: [read, write], pkey: \(pku ? 1 : -1)}
            expect: {result: 0}
          - read: {thread: main, region: buf, page: 0}
            expect: {signal: SIGSEGV, code: SEGV_PKUERR}
          - pkru: {thread: main, value: 0x55555550}
            expect: {tlb_misses: 0, faults: 0}
          - write: {thread: main, region: buf, page: 0, value: 0x42}
            expect: {value: 0x42}
          - read: {thread: other, region: buf, page: 0}
            expect: {signal: SIGSEGV, code: SEGV_PKUERR}
          - pkru: {thread: main, value: 0x55555558}
          - write: {thread: main, region: buf, page: 0, value: 0x43}
            expect: {signal: SIGSEGV, code: SEGV_PKUERR}

        """
    }

    /// The outcome (passed or not) of every expectation, by step keyword and check.
    static func outcomes(_ report: RunReport) -> [String] {
        report.steps.flatMap { step in step.expectations.map { "\(step.keyword) \($0.check) \($0.passed)" } }
    }

    @Test func withPKUEveryExpectationHolds() throws {
        let scenario = try ScenarioParser.parse(yaml: Self.yaml(pku: true), file: "pkru.yaml")
        var runner = ScenarioRunner(scenario: scenario)
        let report = runner.run()
        let failed = report.steps.flatMap { $0.expectations.filter { !$0.passed } }
        #expect(failed.isEmpty, "\(failed)")
        #expect(report.totals.expectationsPassed == 8)
        #expect(runner.machine.pkru(TaskID(rawValue: 0)) == 0x5555_5558)
        #expect(runner.machine.pkru(TaskID(rawValue: 1)) == 0x5555_5554)
        let wrpkru = report.steps[4]
        #expect(wrpkru.call == "wrpkru(0x55555550)" && wrpkru.result == .integer(0) && !wrpkru.isSyscall)
    }

    /// Without PKU the keys do not exist: pkey_alloc is EINVAL, no access is refused, and WRPKRU cannot run.
    @Test func withoutPKUTheKeyChecksFailAndWRPKRUIsAnError() throws {
        let scenario = try ScenarioParser.parse(yaml: Self.yaml(pku: false), file: "pkru.yaml")
        let report = ScenarioRunner.run(scenario)
        #expect(
            Self.outcomes(report) == [
                "pkey_alloc result true", "pkey_mprotect result true", "read signal false", "pkru tlb_misses true",
                "pkru faults true", "write value true", "read signal false", "write signal false",
            ])
        guard case .signal(let name, _, _) = report.steps[4].result else {
            Issue.record("WRPKRU ran without PKU")
            return
        }
        #expect(name == "SIGILL")
    }

    @Test func parsesThreadAndValue() throws {
        let scenario = try ScenarioParser.parse(
            yaml: "machine: {pku: true}\nsteps:\n  - pkru: {value: 0xFFFFFFFF}\n", file: "p.yaml")
        guard case .call(let call) = scenario.steps[0].kind else {
            Issue.record("not a pkru step")
            return
        }
        #expect(call.thread == "main" && call.syscall == .writePKRU(0xFFFF_FFFF))
        #expect(scenario.steps[0].keyword == "pkru" && !scenario.steps[0].isSyscall)
    }

    /// Rows: a bad `pkru` step and the message it gets.
    @Test(arguments: [
        ("  - pkru: {value: 0x100000000}\n", "value"),
        ("  - pkru: {thread: main}\n", "value"),
        ("  - pkru: {value: 1, pkey: 2}\n", "pkey"),
        ("  - read: {addr: 0x1000}\n    expect: {signal: SIGSEGV, code: SEGV_PKEY}\n", "SEGV_PKUERR"),
    ])
    func badStepsAreRefused(step: String, mentioned: String) {
        do throws(ScenarioError) {
            _ = try ScenarioParser.parse(yaml: "machine: {pku: true}\nsteps:\n" + step, file: "p.yaml")
            Issue.record("accepted: \(step)")
        } catch {
            #expect(error.message.contains(mentioned), "\(error.message)")
        }
    }
}
