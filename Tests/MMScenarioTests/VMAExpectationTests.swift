import MMKernel
import Testing

@testable import MMScenario

/// `expect: {vma: ...}` checks a VMA's VmFlags, Rss and AnonHugePages as /proc/PID/smaps shows them: each form
/// passes when the model agrees and fails when it does not.
@Suite struct VMAExpectationTests {
    /// Runs `steps` (YAML step lines) after `machine`/setup lines and returns the outcomes of the last step.
    func outcomes(_ steps: String, machine: String = "{cpus: 1}") throws -> [ExpectationOutcome] {
        let yaml = "machine: \(machine)\nsteps:\n" + steps
        let report = ScenarioRunner.run(try ScenarioParser.parse(yaml: yaml, file: "v.yaml"))
        return try #require(report.steps.last).expectations
    }

    /// A 16-page private anonymous buffer, the first 4 pages written, the next 4 read.
    static let buffer = """
          - mmap: {region: buf, length: 16 pages}
          - write: {region: buf, pages: 0..3}
          - read: {region: buf, pages: 4..7}

        """

    @Test func vmflagsExact() throws {
        let pass = try outcomes(Self.buffer + "  - expect: {vma: {region: buf, vmflags: [rd, wr, mr, mw, me, ac]}}\n")
        #expect(pass.map(\.passed) == [true])
        #expect(pass.first?.check == "vma.vmflags")
        #expect(pass.first?.actual == "[rd wr mr mw me ac]")
        let fail = try outcomes(Self.buffer + "  - expect: {vma: {region: buf, vmflags: [rd, wr, ac]}}\n")
        #expect(fail.map(\.passed) == [false])
    }

    @Test func vmflagsAsString() throws {
        let pass = try outcomes(Self.buffer + "  - expect: {vma: {region: buf, vmflags: \"ac me mw mr wr rd\"}}\n")
        #expect(pass.map(\.passed) == [true])
        let fail = try outcomes(Self.buffer + "  - expect: {vma: {region: buf, vmflags: \"rd mr mw me ac\"}}\n")
        #expect(fail.map(\.passed) == [false])
    }

    @Test func vmflagsHasAndLacks() throws {
        let pass = try outcomes(
            Self.buffer + "  - expect: {vma: {region: buf, vmflags: {has: [rd, wr, ac], lacks: [ex, sh]}}}\n")
        #expect(pass.map(\.passed) == [true])
        let missing = try outcomes(Self.buffer + "  - expect: {vma: {region: buf, vmflags: {has: [ex]}}}\n")
        #expect(missing.map(\.passed) == [false])
        let present = try outcomes(Self.buffer + "  - expect: {vma: {region: buf, vmflags: {lacks: [wr]}}}\n")
        #expect(present.map(\.passed) == [false])
    }

    @Test func rssCountsWrittenPagesNotTheZeroPage() throws {
        let pass = try outcomes(Self.buffer + "  - expect: {vma: {region: buf, page: 3, rss: 4 pages}}\n")
        #expect(pass.map(\.passed) == [true])
        #expect(pass.first?.actual == "16 kB")
        let fail = try outcomes(Self.buffer + "  - expect: {vma: {region: buf, rss: 8 pages}}\n")
        #expect(fail.map(\.passed) == [false])
        #expect(fail.first?.expected == "32 kB")
    }

    @Test func anonHugePages() throws {
        let thp = """
              - mmap: {region: huge, length: 2M}
              - madvise: {region: huge, advice: HUGEPAGE}
              - write: {region: huge, page: 0}

            """
        let pass = try outcomes(
            thp + "  - expect: {vma: {region: huge, anon_huge_pages: 2M, rss: 2M, vmflags: {has: [hg]}}}\n",
            machine: "{cpus: 1, thp: madvise}")
        #expect(pass.map(\.passed) == [true, true, true])
        let fail = try outcomes(
            thp + "  - expect: {vma: {region: huge, anon_huge_pages: 0}}\n", machine: "{cpus: 1, thp: madvise}")
        #expect(fail.map(\.passed) == [false])
        #expect(fail.first?.actual == "2048 kB")
        let small = try outcomes(Self.buffer + "  - expect: {vma: {region: buf, anon_huge_pages: 0}}\n")
        #expect(small.map(\.passed) == [true])
    }

    @Test func sealedAndGrowsDownFlags() throws {
        let sealed = try outcomes(
            Self.buffer + "  - mseal: {region: buf}\n  - expect: {vma: {region: buf, vmflags: {has: [sl]}}}\n")
        #expect(sealed.map(\.passed) == [true])
        let unsealed = try outcomes(Self.buffer + "  - expect: {vma: {region: buf, vmflags: {has: [sl]}}}\n")
        #expect(unsealed.map(\.passed) == [false])
        let stack = try outcomes(
            "  - mmap: {region: s, length: 4 pages, flags: [private, anonymous, growsdown]}\n"
                + "  - expect: {vma: {region: s, vmflags: {has: [gd]}}}\n")
        #expect(stack.map(\.passed) == [true])
    }

    @Test func noVMAAtTheAddress() throws {
        let result = try outcomes(
            Self.buffer + "  - munmap: {region: buf}\n  - expect: {vma: {region: buf, rss: 0}}\n")
        #expect(result.map(\.passed) == [false])
        #expect(result.first?.actual.hasPrefix("no VMA at 0x") == true)
    }

    @Test(arguments: [false, true])
    func protectionKeyOnlyWithPKU(pku: Bool) throws {
        let yaml = "machine: {cpus: 1, pku: \(pku)}\nsteps:\n" + Self.buffer
        let report = ScenarioRunner.run(
            try ScenarioParser.parse(yaml: yaml, file: "k.yaml"), options: RunOptions(layouts: true))
        let vma = try #require(report.steps.last?.layout?.first?.vmas.first)
        #expect(vma.protectionKey == (pku ? 0 : nil))
        #expect(vma.vmFlags == ["rd", "wr", "mr", "mw", "me", "ac"])
    }

    /// Parses `yaml` expecting an error; returns its text.
    func parseError(_ yaml: String) -> String {
        do {
            _ = try ScenarioParser.parse(yaml: yaml, file: "x.yaml")
            return "no error"
        } catch {
            return error.description
        }
    }

    @Test func badVMAChecksAreRefusedWithTheirPosition() {
        let head = "steps:\n  - mmap: {region: b, length: 4K}\n"
        #expect(
            parseError(head + "  - expect: {vma: {region: b, vmflags: [rd, zz]}}\n").hasPrefix(
                "x.yaml:3:45: unknown VmFlags mnemonic 'zz'"))
        #expect(
            parseError(head + "  - expect: {vma: {region: b}}\n")
                == "x.yaml:3:19: a vma check needs vmflags, rss or anon_huge_pages")
        #expect(
            parseError(head + "  - expect: {vma: {region: b, page: 0..2, rss: 0}}\n")
                == "x.yaml:3:37: a vma check names one page, not a range")
        #expect(
            parseError(head + "  - expect: {vma: {region: b, vmflags: {}}}\n")
                == "x.yaml:3:40: vmflags needs 'has' or 'lacks'")
        #expect(parseError(head + "    expect: {vma: {region: b, rss: 0}}\n").contains("unknown key 'vma'"))
    }
}
