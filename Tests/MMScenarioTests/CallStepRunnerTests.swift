import MMHardware
import MMKernel
import Testing

@testable import MMScenario

/// Call steps run through `Machine.perform`: their text is the call's, their result the call's outcome, and their
/// results name regions and threads for later steps.
@Suite struct CallStepRunnerTests {
    /// Runs `steps` after a preamble mapping `buf` (4 written pages) at 0x7e0000000000 in an emptied 32-page `win`.
    static func run(_ steps: String, machine: String = "{cpus: 2}") throws -> RunReport {
        let yaml = """
            machine: \(machine)
            steps:
              - mmap: {region: win, addr: 0x7e0000000000, length: 32 pages, prot: none, flags: [private, anonymous, fixed]}
              - munmap: {region: win}
              - mmap: {region: buf, addr: win, length: 4 pages, flags: [private, anonymous, fixed]}
              - write: {region: buf, pages: 0..3, value: 0x11}

            """ + steps
        return ScenarioRunner.run(try ScenarioParser.parse(yaml: yaml, file: "r.yaml"))
    }

    /// The steps after the preamble.
    static func steps(_ report: RunReport) -> ArraySlice<StepReport> { report.steps.dropFirst(4) }

    /// The failed expectations of a report, for messages.
    static func failures(_ report: RunReport) -> [String] {
        report.steps.flatMap { step in step.expectations.filter { !$0.passed }.map { "\(step.index) \($0)" } }
    }

    @Test("mremap moves a region, names the result, and the data follows it")
    func mremapNamesTheResult() throws {
        let report = try Self.run(
            """
              - mremap: {region: buf, new_length: 4 pages, flags: [maymove, fixed], new_addr: win + 16 pages, new_region: moved}
                expect: {result: win + 16 pages}
              - read: {region: moved, pages: 0..3}
                expect: {value: 0x11, faults: 0}
              - mremap: {region: moved, new_length: 2 pages, flags: 0x80, new_region: buf}
                expect: {result: EINVAL}
              - munmap: {region: buf}
                note: buf keeps its old address and length after the failed mremap
                expect: {result: 0}
              - expect: {layout: {region: win, pages: 32, is: "[16,20)rw-p"}}

            """)
        #expect(Self.failures(report).isEmpty, "\(Self.failures(report))")
        let steps = Self.steps(report)
        #expect(
            steps.first?.call
                == "mremap(0x7e0000000000, 16384, 16384, MREMAP_MAYMOVE|MREMAP_FIXED, 0x7e0000010000)")
        #expect(steps.first?.result == .address(0x7e00_0001_0000))
        #expect(steps.first?.keyword == "mremap")
    }

    @Test("a region that a failed mapping left undefined makes the call step an error, with no call made")
    func unresolvedRegion() throws {
        let report = try Self.run(
            """
              - mmap: {region: gone, length: 0}
                expect: {result: EINVAL}
              - mremap: {region: buf, new_length: 4K, flags: [maymove, fixed], new_addr: gone}

            """)
        let last = try #require(report.steps.last)
        #expect(last.result == .error("region 'gone' is not mapped"))
        #expect(last.call == "mremap")
    }

    @Test("personality returns the previous persona; a query changes nothing")
    func personalityResults() throws {
        let report = try Self.run(
            """
              - personality: {persona: READ_IMPLIES_EXEC}
                expect: {result: 0}
              - personality: {persona: 0xffffffff}
                expect: {result: 0x400000}
              - personality: {read_implies_exec: false}
                expect: {result: 0x400000}
              - personality: {persona: 0xffffffff}
                expect: {result: 0}

            """)
        #expect(Self.failures(report).isEmpty, "\(Self.failures(report))")
        #expect(Self.steps(report).map(\.call).first == "personality(READ_IMPLIES_EXEC)")
    }

    @Test("prctl's MDWE options, by name and as the older prctl_mdwe")
    func prctlResults() throws {
        let report = try Self.run(
            """
              - prctl: {option: PR_GET_MDWE}
                expect: {result: 0}
              - prctl_mdwe: {}
                expect: {result: 0}
              - prctl: {option: get_mdwe}
                expect: {result: 1}
              - mprotect: {region: buf, prot: [read, exec]}
                expect: {result: EACCES}

            """)
        #expect(Self.failures(report).isEmpty, "\(Self.failures(report))")
        #expect(
            Self.steps(report).map(\.call).prefix(2) == [
                "prctl(PR_GET_MDWE, 0)", "prctl(PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN)",
            ])
    }

    @Test("raw userfaultfd modes reach the ioctl; an unmodelled mode is the step's error")
    func userfaultfdModes() throws {
        let report = try Self.run(
            """
              - uffd_register: {region: buf, mode: [missing, wp]}
                expect: {result: 0}
              - uffd_wp: {region: buf, mode: [wp, dontwake]}
                expect: {result: EINVAL}
              - uffd_wp: {region: buf, pages: 0..1, mode: wp}
                expect: {result: 0, flushes: 1}
              - uffd_register: {region: buf, mode: minor}

            """)
        #expect(Self.failures(report).isEmpty, "\(Self.failures(report))")
        let last = try #require(report.steps.last)
        #expect(last.result == .error("not modelled: UFFDIO_REGISTER mode 0x4 (only WP, with or without MISSING)"))
        #expect(last.call == "ioctl(uffd, UFFDIO_REGISTER, {0x7e0000000000, 16384, MINOR})")
    }

    @Test(
        "pkru is a user-mode instruction: with PKU it returns 0, without it is #UD (SIGILL); never a syscall",
        arguments: [false, true])
    func pkru(pku: Bool) throws {
        let report = try Self.run("  - pkru: {value: 0x55555554}\n", machine: "{cpus: 2, pku: \(pku)}")
        let step = try #require(report.steps.last)
        #expect(step.call == "wrpkru(0x55555554)")
        #expect(step.result == (pku ? .integer(0) : .signal(name: "SIGILL", code: "ILL_ILLOPN", address: 0)))
        #expect(!step.isSyscall)
    }

    @Test("the mlock family and every madvise advice run through perform with their text")
    func callTexts() throws {
        let report = try Self.run(
            """
              - mlock: {region: buf, pages: 0..1}
              - mlock2: {region: buf, flags: [onfault]}
              - munlock: {region: buf}
              - mlockall: {flags: [current, future]}
              - munlockall: {}
              - madvise: {region: buf, advice: guard_install}
              - madvise: {region: buf, advice: 1000}
              - mseal: {region: buf, flags: 1}
                expect: {result: EINVAL}

            """)
        #expect(Self.failures(report).isEmpty, "\(Self.failures(report))")
        let calls = Self.steps(report).map(\.call)
        #expect(
            calls == [
                "mlock(0x7e0000000000, 8192)", "mlock2(0x7e0000000000, 16384, MLOCK_ONFAULT)",
                "munlock(0x7e0000000000, 16384)", "mlockall(MCL_CURRENT|MCL_FUTURE)", "munlockall()",
                "madvise(0x7e0000000000, 16384, MADV_GUARD_INSTALL)", "madvise(0x7e0000000000, 16384, 1000)",
                "mseal(0x7e0000000000, 16384, 0x1)",
            ])
        for step in Self.steps(report) {
            if case .error(let message) = step.result { Issue.record("\(step.call): \(message)") }
            #expect(step.isSyscall)
        }
    }

    @Test("fork's result is the child's pid and the child runs later steps")
    func forkChild() throws {
        let report = try Self.run(
            """
              - fork: {child: kid, cpu: 1}
              - read: {thread: kid, region: buf, page: 0}
                expect: {value: 0x11}

            """)
        #expect(Self.failures(report).isEmpty, "\(Self.failures(report))")
        let fork = try #require(Self.steps(report).first)
        #expect(fork.result == .integer(1001))
        #expect(fork.call == "fork() [child 'kid' on cpu 1]")
    }
}
