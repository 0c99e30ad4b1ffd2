import MMKernel
import Testing

@testable import MMScenario

/// The protection steps parse with kernel-faithful raw arguments, the machine keys reach `KernelConfig`, and
/// scheme-specific expectations are checked only under their scheme.
@Suite struct ProtectionStepTests {
    /// Parses `steps` after a one-region preamble.
    static func parse(_ steps: String, machine: String = "{cpus: 2}") throws(ScenarioError) -> Scenario {
        try ScenarioParser.parse(
            yaml: "machine: \(machine)\nsteps:\n  - mmap: {region: buf, length: 16 pages}\n" + steps, file: "p.yaml")
    }

    /// The prot, key (nil for mprotect) and range of the mprotect or pkey_mprotect step of a one-step scenario.
    static func mprotect(_ line: String) throws -> (prot: UInt64, pkey: Int64?, span: Span) {
        let scenario = try parse("  - " + line + "\n")
        guard case .call(let step) = scenario.steps[1].kind, let span = step.span else {
            Issue.record("not an mprotect step")
            throw ScenarioError(SourceLocation(file: "p.yaml", line: 1, column: 1), "not mprotect")
        }
        switch step.syscall {
        case .mprotect(_, _, let prot): return (prot, nil, span)
        case .pkeyMprotect(_, _, let prot, let pkey): return (prot, pkey, span)
        default:
            Issue.record("not an mprotect step")
            throw ScenarioError(SourceLocation(file: "p.yaml", line: 1, column: 1), "not mprotect")
        }
    }

    @Test func protSpellings() throws {
        #expect(try Self.mprotect("mprotect: {region: buf, prot: [read, write]}").prot == 0x3)
        #expect(try Self.mprotect("mprotect: {region: buf, prot: PROT_READ|PROT_WRITE}").prot == 0x3)
        #expect(try Self.mprotect("mprotect: {region: buf, prot: 0x10}").prot == 0x10)
        #expect(try Self.mprotect("mprotect: {region: buf, prot: [read, growsdown]}").prot == 0x0100_0001)
        #expect(try Self.mprotect("mprotect: {region: buf, prot: none}").prot == 0)
        let step = try Self.mprotect("pkey_mprotect: {region: buf, length: 4K, prot: read, pkey: -1}")
        #expect(step.pkey == -1)
        #expect(step.span.length == 4096)
    }

    @Test func otherSteps() throws {
        let scenario = try Self.parse(
            """
              - pkey_alloc: {flags: 0, access_rights: 0}
              - pkey_free: {pkey: 1}
              - uffd_register: {region: buf, missing: true}
              - uffd_wp: {region: buf, length: 8K, protect: true}
              - numa_scan: {region: buf, length: 16 pages}
              - personality: {read_implies_exec: true}
              - prctl_mdwe: {thread: main}
              - exec: {thread: main, arg_pages: 4, exec_stack: false}

            """)
        let keywords = scenario.steps.map(\.keyword)
        #expect(
            keywords == [
                "mmap", "pkey_alloc", "pkey_free", "uffd_register", "uffd_wp", "numa_scan", "personality", "prctl_mdwe",
                "execve",
            ])
        let allSyscalls = scenario.steps.dropFirst().allSatisfy { $0.isSyscall }
        #expect(allSyscalls)
        guard case .call(let exec) = scenario.steps[8].kind, case .execve(let pages, let stack) = exec.syscall else {
            return #expect(Bool(false))
        }
        #expect(pages == 4 && stack == false)
    }

    @Test func stepsRun() throws {
        let scenario = try Self.parse(
            """
              - pkey_alloc: {}
                expect: {result: EINVAL}
              - mprotect: {region: buf, prot: 0x10}
                expect: {result: EINVAL}
              - pkey_mprotect: {region: buf, prot: read, pkey: 5}
                expect: {result: EINVAL}
              - mprotect: {region: buf, prot: [read, growsdown]}
                expect: {result: EINVAL}
              - write: {region: buf, pages: 0..3}
              - uffd_register: {region: buf}
                expect: {result: 0}
              - uffd_wp: {region: buf, protect: true}
                expect: {result: 0, flushes: 1}
              - numa_scan: {region: buf}
              - personality: {read_implies_exec: true}
                expect: {result: 0}
              - prctl_mdwe: {}
                expect: {result: 0}
              - exec: {arg_pages: 2}
                expect: {result: 0}

            """)
        let report = ScenarioRunner.run(scenario)
        let failed = report.steps.flatMap { $0.expectations.filter { !$0.passed } }
        #expect(failed.isEmpty, "\(failed)")
    }

    @Test func machineKeys() throws {
        let scenario = try Self.parse(
            "",
            machine:
                "{cpus: 4, scheme: seed, ceiling: 10, merge_vmas: false, pti: true, pku: true, gather_page_size: true}")
        #expect(scenario.config.scheme == .seed)
        #expect(scenario.config.flushCeiling == 10)
        #expect(scenario.config.mergeVMAs == false)
        #expect(scenario.config.pti && scenario.config.pku && scenario.config.gatherPageSize)
        #expect(scenario.config.cpus == 4)
    }

    @Test func badSchemeIsPositioned() {
        #expect(throws: ScenarioError.self) { try Self.parse("", machine: "{scheme: after}") }
        do throws(ScenarioError) {
            _ = try Self.parse("  - mprotect: {region: buf, prot: read}\n    expect: {flushes: {after: 1}}\n")
            Issue.record("accepted an unknown scheme")
        } catch {
            #expect(error.location.line == 5)
            #expect(error.message.contains("unknown scheme 'after'"))
        }
    }

    @Test func schemeOverrideWinsOverFile() throws {
        let scenario = try Self.parse(
            """
              - mmap: {region: big, length: 64 pages}
              - write: {region: big, pages: 0..7}
              - mprotect: {region: big, prot: read}
                expect: {flushes: 1, flush_pages: {before: [-1], merged: [8]}}

            """, machine: "{cpus: 2, scheme: before}")
        let before = ScenarioRunner.run(scenario)
        #expect(before.scheme == "before")
        let merged = ScenarioRunner.run(try MachineOverrides(scheme: .merged).apply(to: scenario))
        #expect(merged.scheme == "merged")
        #expect(before.failures == 0 && merged.failures == 0)
        #expect(merged.steps[3].expectations.map(\.check) == ["flushes", "flush_pages"])
        let seed = ScenarioRunner.run(try MachineOverrides(scheme: .seed).apply(to: scenario))
        #expect(seed.steps[3].expectations.map(\.check) == ["flushes"], "no flush_pages value for seed")
    }

    @Test func cpuOverrideMustFitThreads() throws {
        let scenario = try ScenarioParser.parse(
            yaml: "machine: {cpus: 4}\nthreads: [{name: a, cpu: 3}]\nsteps: [{idle: 2}]", file: "c.yaml")
        #expect(throws: MachineOverrides.Failure.self) { try MachineOverrides(cpus: 3).apply(to: scenario) }
        #expect(try MachineOverrides(cpus: 8).apply(to: scenario).config.cpus == 8)
    }
}
