import MMHardware
import MMKernel
import Testing

@testable import MMScenario

/// The scalar syntaxes and every step kind parse to what the format reference says.
@Suite struct ParserTests {
    /// Sizes with and without units.
    @Test(
        arguments: [
            ("4096", 4096), ("0x1000", 4096), ("4K", 4096), ("4 KiB", 4096), ("2M", 2 << 20), ("1G", 1 << 30),
            ("512 pages", 512 * 4096), ("1 page", 4096), ("1_024", 1024), ("0", 0),
        ] as [(String, UInt64)])
    func sizes(text: String, bytes: UInt64) throws {
        #expect(try NumberSyntax.size(text).get() == bytes)
    }

    /// Malformed or overflowing sizes are refused.
    @Test(arguments: ["12Q", "", "K", "0x", "99999999999999999999", "16777216T", "-4K"])
    func badSizes(text: String) {
        #expect(throws: NumberSyntax.SyntaxError.self) { try NumberSyntax.size(text).get() }
    }

    /// Address expressions evaluate against region starts, overflow-checked.
    @Test func addressExpressions() throws {
        let regions = ["buf": UInt64(0x7f00_0000_0000)]
        func value(_ text: String) throws -> UInt64 {
            try NumberSyntax.address(text).get().evaluate { regions[$0] }.get()
        }
        #expect(try value("buf") == 0x7f00_0000_0000)
        #expect(try value("buf+4K") == 0x7f00_0000_1000)
        #expect(try value("buf + 3 pages") == 0x7f00_0000_3000)
        #expect(try value("buf - 1 page + 8") == 0x7eff_ffff_f008)
        #expect(try value("0x7f0000000000") == 0x7f00_0000_0000)
        #expect(try value("NULL") == 0)
        #expect(try NumberSyntax.address("buf").get().region == "buf")
        #expect(throws: AddressExpression.EvaluationError.self) { try value("0xffffffffffffffff + 1") }
        #expect(throws: AddressExpression.EvaluationError.self) { try value("other") }
        #expect(throws: NumberSyntax.SyntaxError.self) { try NumberSyntax.address("buf + 3Q").get() }
        #expect(throws: NumberSyntax.SyntaxError.self) { try NumberSyntax.address("+ 4K").get() }
    }

    /// Page ranges: inclusive, exclusive, single.
    @Test func pageRanges() throws {
        #expect(try NumberSyntax.pageRange("0..15").get() == PageRange(lower: 0, upper: 15))
        #expect(try NumberSyntax.pageRange("0..<16").get() == PageRange(lower: 0, upper: 15))
        #expect(try NumberSyntax.pageRange("3").get() == PageRange(lower: 3, upper: 3))
        #expect(throws: NumberSyntax.SyntaxError.self) { try NumberSyntax.pageRange("5..2").get() }
        #expect(throws: NumberSyntax.SyntaxError.self) { try NumberSyntax.pageRange("2..<2").get() }
    }

    /// A scenario using every step kind parses into the expected steps.
    @Test func everyStepKind() throws {
        let yaml = """
            machine: {cpus: 3, thp: always, overcommit: 1, max_map_count: 100, ram: 1G, pcid: false, ceiling: 8}
            threads:
              - {name: main, cpu: 0}
              - {name: worker, cpu: 1, process: main}
            files:
              - {name: data, size: 8K, mode: rdonly, noexec: true}
            steps:
              - mmap: {region: buf, length: 16 pages, prot: [read, write], flags: [private, anonymous]}
                expect: {result: ok}
              - mmap: {length: 4K, prot: 0x10, flags: MAP_PRIVATE|MAP_FIXED, addr: buf + 4K, fd: data, offset: 0x1000}
              - write: {thread: worker, region: buf, pages: 0..15, value: 0x11}
                expect: {value: 0x11, tlb_misses: 32}
              - read: {addr: buf + 3 pages}
                expect: {signal: SIGSEGV, code: SEGV_MAPERR}
              - exec: {region: buf, page: 3}
              - madvise: {region: buf, pages: 2..3, advice: MADV_DONTNEED}
              - madvise: {addr: buf, length: 4K, advice: 14}
              - fork: {thread: main, child: kid, cpu: 2}
              - idle: {cpu: 1}
              - munmap: {thread: kid, region: buf}
                note: gone
              - expect:
                  layout: {region: buf, pages: 4, is: "[0,4)rw-p"}
              - expect:
                  contents: {thread: main, region: buf, pages: 0..3, value: 0x11}
              - expect: {vmas: {thread: kid, count: 0}, flushes: 1}
            """
        let scenario = try ScenarioParser.parse(yaml: yaml, file: "t.yaml")
        #expect(scenario.config.cpus == 3)
        #expect(scenario.config.thpMode == .always)
        #expect(scenario.config.overcommitMode == 1)
        #expect(scenario.config.maxMapCount == 100)
        #expect(scenario.config.ramFrames == 1 << 18)
        #expect(scenario.config.pcid == false)
        #expect(scenario.config.flushCeiling == 8)
        #expect(
            scenario.threads == [ThreadSpec(name: "main", cpu: 0), ThreadSpec(name: "worker", cpu: 1, process: "main")])
        #expect(scenario.files.count == 1 && scenario.files[0].sizePages == 2 && !scenario.files[0].writable)
        #expect(
            scenario.steps.map(\.keyword) == [
                "mmap", "mmap", "write", "read", "exec", "madvise", "madvise", "fork", "idle", "munmap", "expect",
                "expect", "expect",
            ])
        guard case .call(let raw) = scenario.steps[1].kind,
            case .mmap(_, _, let prot, let flags, let fd, let offset) = raw.syscall
        else { throw Failure.wrongKind }
        #expect(prot == 0x10)
        #expect(flags == MapFlags([.private, .fixed]).rawValue)
        #expect(fd == 3)
        #expect(offset == 4096)
        #expect(raw.address?.text == "buf + 4K")
        guard case .access(let write) = scenario.steps[2].kind else { throw Failure.wrongKind }
        #expect(write.thread == "worker" && write.kind == .write && write.value == 0x11)
        #expect(write.span.pages == PageRange(lower: 0, upper: 15))
        guard case .call(let madvise) = scenario.steps[5].kind, case .madvise(_, _, let advice) = madvise.syscall
        else { throw Failure.wrongKind }
        #expect(advice == Int64(Advice.dontNeed.rawValue))
        guard case .call(let fork) = scenario.steps[7].kind, case .fork(let child, let cpu) = fork.syscall else {
            throw Failure.wrongKind
        }
        #expect(child == "kid" && cpu == CPUID(2))
        guard case .idle(let cpu) = scenario.steps[8].kind else { throw Failure.wrongKind }
        #expect(cpu == 1)
        #expect(scenario.steps[9].note == "gone")
        #expect(scenario.steps[12].expectations.count == 2)
    }

    /// Raised when a step parsed to another kind than expected.
    enum Failure: Error { case wrongKind }
}

extension ThreadSpec {
    /// A thread spec with a default `process`.
    init(name: String, cpu: Int) { self.init(name: name, cpu: cpu, process: nil) }
}
