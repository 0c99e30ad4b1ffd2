import MMHardware
import MMKernel
import Testing

@testable import MMScenario

/// The steps of the syscall vocabulary parse into the `Syscall` they name, with their symbolic arguments filled in
/// when resolved; malformed ones fail at the exact position of the offending node.
@Suite struct CallStepParserTests {
    /// The preamble's region `buf` (16 pages) and where `resolve` places it.
    static let buf: UInt64 = 0x7e00_0000_0000

    /// Parses `line` as the step after a one-region preamble (so it is on line 3, starting at column 5).
    static func parse(_ line: String) throws(ScenarioError) -> Scenario {
        try ScenarioParser.parse(
            yaml: "steps:\n  - mmap: {region: buf, length: 16 pages}\n  - \(line)\n", file: "c.yaml")
    }

    /// The call step of `line`, resolved with `buf` at ``buf``.
    static func call(_ line: String) throws -> (step: CallStep, syscall: Syscall) {
        let scenario = try parse(line)
        guard case .call(let step) = scenario.steps[1].kind else {
            throw ScenarioError(SourceLocation(file: "c.yaml", line: 3, column: 5), "not a call step")
        }
        let resolved = step.resolve { $0 == "buf" ? (buf, 16 * 4096) : nil }
        guard case .success(let syscall) = resolved else {
            throw ScenarioError(SourceLocation(file: "c.yaml", line: 3, column: 5), "unresolved")
        }
        return (step, syscall)
    }

    /// A step and the call it resolves to.
    struct GoodRow: Sendable, CustomTestStringConvertible {
        var line: String
        var syscall: Syscall
        var testDescription: String { line }
    }

    static let goodRows: [GoodRow] = [
        GoodRow(
            line: "mremap: {region: buf, new_length: 32 pages, flags: [maymove]}",
            syscall: .mremap(address: buf, oldLength: 0x10000, newLength: 0x20000, flags: 1, newAddress: 0)),
        GoodRow(
            line: "mremap: {region: buf, pages: 2..3, new_length: 2 pages, flags: MREMAP_MAYMOVE|MREMAP_FIXED, "
                + "new_addr: buf + 8 pages, new_region: moved}",
            syscall: .mremap(
                address: buf + 0x2000, oldLength: 0x2000, newLength: 0x2000, flags: 3, newAddress: buf + 0x8000)),
        GoodRow(
            line: "mremap: {region: buf, new_length: 1 page, flags: [dontunmap, maymove]}",
            syscall: .mremap(address: buf, oldLength: 0x10000, newLength: 0x1000, flags: 5, newAddress: 0)),
        GoodRow(
            line: "mremap: {addr: buf + 1, old_length: 4K, new_length: 4K, flags: 0x80}",
            syscall: .mremap(address: buf + 1, oldLength: 4096, newLength: 4096, flags: 0x80, newAddress: 0)),
        GoodRow(line: "mlock: {region: buf, pages: 0..3}", syscall: .mlock(address: buf, length: 0x4000)),
        GoodRow(
            line: "mlock2: {region: buf, flags: [onfault]}", syscall: .mlock2(address: buf, length: 0x10000, flags: 1)),
        GoodRow(
            line: "mlock2: {region: buf, flags: MLOCK_ONFAULT}",
            syscall: .mlock2(address: buf, length: 0x10000, flags: 1)),
        GoodRow(line: "mlock2: {region: buf, flags: 0x6}", syscall: .mlock2(address: buf, length: 0x10000, flags: 6)),
        GoodRow(line: "mlock2: {region: buf}", syscall: .mlock2(address: buf, length: 0x10000, flags: 0)),
        GoodRow(line: "munlock: {addr: buf, length: 8K}", syscall: .munlock(address: buf, length: 8192)),
        GoodRow(line: "mlockall: {flags: [current, future, onfault]}", syscall: .mlockall(flags: 7)),
        GoodRow(line: "mlockall: {flags: MCL_FUTURE}", syscall: .mlockall(flags: 2)),
        GoodRow(line: "mlockall: {flags: 0}", syscall: .mlockall(flags: 0)),
        GoodRow(line: "munlockall: {}", syscall: .munlockall),
        GoodRow(line: "munlockall: main", syscall: .munlockall),
        GoodRow(line: "mseal: {region: buf, flags: 1}", syscall: .mseal(address: buf, length: 0x10000, flags: 1)),
        GoodRow(
            line: "mseal: {region: buf, page: 1}", syscall: .mseal(address: buf + 0x1000, length: 0x1000, flags: 0)),
        GoodRow(
            line: "prctl: {option: PR_SET_MDWE, arg2: [refuse_exec_gain, no_inherit]}",
            syscall: .prctl(option: 65, arg2: 3, arg3: 0, arg4: 0, arg5: 0)),
        GoodRow(line: "prctl: {option: get_mdwe}", syscall: .prctl(option: 66, arg2: 0, arg3: 0, arg4: 0, arg5: 0)),
        GoodRow(
            line: "prctl: {option: 1234, arg2: 5, arg3: 6, arg4: 7, arg5: 0x8}",
            syscall: .prctl(option: 1234, arg2: 5, arg3: 6, arg4: 7, arg5: 8)),
        GoodRow(line: "prctl: {option: -1}", syscall: .prctl(option: -1, arg2: 0, arg3: 0, arg4: 0, arg5: 0)),
        GoodRow(
            line: "prctl: {option: PR_SET_MDWE, arg2: PR_MDWE_REFUSE_EXEC_GAIN}",
            syscall: .prctl(option: 65, arg2: 1, arg3: 0, arg4: 0, arg5: 0)),
        GoodRow(line: "prctl_mdwe: {}", syscall: .prctl(option: 65, arg2: 1, arg3: 0, arg4: 0, arg5: 0)),
        GoodRow(line: "personality: {persona: READ_IMPLIES_EXEC}", syscall: .personality(persona: 0x0400000)),
        GoodRow(line: "personality: {persona: 0xffffffff}", syscall: .personality(persona: 0xffff_ffff)),
        GoodRow(
            line: "personality: {persona: [read_implies_exec, addr_no_randomize]}",
            syscall: .personality(persona: 0x0440000)),
        GoodRow(line: "personality: {persona: PER_LINUX}", syscall: .personality(persona: 0)),
        GoodRow(line: "personality: {read_implies_exec: true}", syscall: .personality(persona: 0x0400000)),
        GoodRow(line: "personality: {read_implies_exec: false}", syscall: .personality(persona: 0)),
        GoodRow(line: "pkru: {value: 0x55555554}", syscall: .writePKRU(0x5555_5554)),
        GoodRow(line: "pkru: {thread: main, value: 0}", syscall: .writePKRU(0)),
        GoodRow(
            line: "madvise: {region: buf, advice: 102}", syscall: .madvise(address: buf, length: 0x10000, advice: 102)),
        GoodRow(
            line: "uffd_register: {region: buf, mode: [missing, wp]}",
            syscall: .uffdRegister(address: buf, length: 0x10000, mode: 3)),
        GoodRow(
            line: "uffd_register: {region: buf, mode: UFFDIO_REGISTER_MODE_MINOR}",
            syscall: .uffdRegister(address: buf, length: 0x10000, mode: 4)),
        GoodRow(
            line: "uffd_register: {region: buf, mode: 0}",
            syscall: .uffdRegister(address: buf, length: 0x10000, mode: 0)),
        GoodRow(line: "uffd_register: {region: buf}", syscall: .uffdRegister(address: buf, length: 0x10000, mode: 2)),
        GoodRow(
            line: "uffd_register: {region: buf, missing: true}",
            syscall: .uffdRegister(address: buf, length: 0x10000, mode: 3)),
        GoodRow(
            line: "uffd_wp: {region: buf, mode: [wp, dontwake]}",
            syscall: .uffdWriteProtect(address: buf, length: 0x10000, mode: 3)),
        GoodRow(
            line: "uffd_wp: {region: buf, page: 2, mode: UFFDIO_WRITEPROTECT_MODE_DONTWAKE}",
            syscall: .uffdWriteProtect(address: buf + 0x2000, length: 0x1000, mode: 2)),
        GoodRow(
            line: "uffd_wp: {region: buf, protect: false}",
            syscall: .uffdWriteProtect(address: buf, length: 0x10000, mode: 0)),
    ]

    @Test("a vocabulary step resolves to its call", arguments: goodRows)
    func good(_ row: GoodRow) throws {
        #expect(try Self.call(row.line).syscall == row.syscall)
    }

    @Test("every advice of 6.18 by name, in any spelling", arguments: SyscallConstants.advice.map(\.name))
    func adviceNames(_ name: String) throws {
        let value = SyscallConstants.advice.first { $0.name == name }!.value
        let short = String(name.dropFirst(5))
        for spelling in [name, short, short.lowercased()] {
            let (_, syscall) = try Self.call("madvise: {region: buf, advice: \(spelling)}")
            #expect(syscall == .madvise(address: Self.buf, length: 0x10000, advice: value), "\(spelling)")
        }
    }

    @Test("keywords, result names and what enters the kernel")
    func keywordsAndRegions() throws {
        let scenario = try Self.parse("mremap: {region: buf, new_length: 4K, new_region: small}")
        #expect(scenario.steps[1].keyword == "mremap")
        guard case .call(let step) = scenario.steps[1].kind else { return #expect(Bool(false)) }
        #expect(step.resultRegion == "small")
        #expect(try Self.parse("pkru: {value: 0}").steps[1].isSyscall == false)
        #expect(try Self.parse("munlockall: {}").steps[1].isSyscall)
        #expect(try Self.parse("prctl_mdwe: {}").steps[1].keyword == "prctl_mdwe")
        let later = try ScenarioParser.parse(
            yaml: """
                steps:
                  - mmap: {region: buf, length: 4K}
                  - mremap: {region: buf, new_length: 8K, flags: maymove, new_region: grown}
                  - read: {region: grown}
                """, file: "c.yaml")
        #expect(later.steps.count == 3, "a new_region is known to later steps")
    }

    /// A malformed step, the text at the error's position in the line, and the message's start.
    struct BadRow: Sendable, CustomTestStringConvertible {
        var line: String
        var at: String
        var message: String
        var testDescription: String { line }
    }

    static let badRows: [BadRow] = [
        BadRow(line: "mremap: {region: buf}", at: "{", message: "missing 'new_length' in mremap"),
        BadRow(
            line: "mremap: {region: buf, new_length: 4K, flags: [maymove, sideways]}", at: "sideways",
            message: "unknown flags 'sideways' (known: maymove, fixed, dontunmap)"),
        BadRow(
            line: "mremap: {addr: buf, new_length: 4K}", at: "{", message: "missing 'old_length' (or 'pages') in mremap"
        ),
        BadRow(
            line: "mremap: {region: buf, length: 4K, new_length: 4K}", at: "length",
            message: "unknown key 'length' in mremap"),
        BadRow(
            line: "mremap: {region: buf, new_length: 4K, new_addr: nowhere}", at: "nowhere",
            message: "unknown region 'nowhere'"),
        BadRow(
            line: "mremap: {region: buf, new_length: 4K, new_region: NULL}", at: "NULL",
            message: "'NULL' cannot name a region"),
        BadRow(
            line: "mremap: {region: buf, pages: 0..1, old_length: 4K, new_length: 4K}", at: "old_length",
            message: "give either 'pages' or 'old_length'"),
        BadRow(line: "mremap: {region: buf, new_length: 12Q}", at: "12Q", message: "bad size '12Q' for new_length"),
        BadRow(line: "mlockall: {}", at: "{", message: "missing 'flags' in mlockall"),
        BadRow(
            line: "mlockall: {flags: [everything]}", at: "everything",
            message: "unknown flags 'everything' (known: current, future, onfault)"),
        BadRow(
            line: "mlock2: {region: buf, flags: MLOCK_ONFAULT|now}", at: "MLOCK_ONFAULT", message: "unknown flags 'now'"
        ),
        BadRow(line: "mlock: {addr: buf}", at: "{", message: "missing 'length' (or 'pages') in mlock"),
        BadRow(line: "munlock: {region: buf, flags: 1}", at: "flags", message: "unknown key 'flags' in munlock"),
        BadRow(line: "munlockall: {thread: ghost}", at: "ghost", message: "unknown thread 'ghost' (known: main)"),
        BadRow(line: "munlockall: [main]", at: "[", message: "munlockall must be a mapping, found a list"),
        BadRow(line: "prctl: {arg2: 1}", at: "{", message: "missing 'option' in prctl"),
        BadRow(
            line: "prctl: {option: PR_SET_VMA}", at: "PR_SET_VMA",
            message: "unknown prctl option 'PR_SET_VMA' (known: PR_SET_MDWE, PR_GET_MDWE, or a number)"),
        BadRow(
            line: "prctl: {option: PR_SET_MDWE, arg2: [refuse]}", at: "refuse",
            message: "unknown arg2 'refuse' (known: refuse_exec_gain, no_inherit)"),
        BadRow(
            line: "prctl: {option: 65, arg3: -1}", at: "-1",
            message: "arg3 must be a non-negative integer, found '-1'"),
        BadRow(
            line: "personality: {persona: READ_IMPLIES_EXEC, read_implies_exec: true}", at: "read_implies_exec",
            message: "give either 'persona' or 'read_implies_exec'"),
        BadRow(line: "personality: {}", at: "{", message: "missing 'persona' (or 'read_implies_exec') in personality"),
        BadRow(line: "personality: {persona: [exec]}", at: "exec", message: "unknown persona 'exec'"),
        BadRow(
            line: "pkru: {value: 0x100000000}", at: "0x100000000",
            message: "value 4294967296 is out of range 0...4294967295"),
        BadRow(line: "pkru: {}", at: "{", message: "missing 'value' in pkru"),
        BadRow(
            line: "madvise: {region: buf, advice: guard}", at: "guard",
            message: "unknown advice 'guard' (known: MADV_NORMAL"),
        BadRow(
            line: "madvise: {region: buf, advice: 0x100000000}", at: "0x100000000",
            message: "advice 4294967296 is out of range"),
        BadRow(
            line: "uffd_register: {region: buf, missing: true, mode: [wp]}", at: "mode",
            message: "give either 'missing' or 'mode', not both"),
        BadRow(line: "uffd_wp: {region: buf}", at: "{", message: "missing 'protect' (or 'mode') in uffd_wp"),
        BadRow(
            line: "uffd_wp: {region: buf, mode: [protect]}", at: "protect",
            message: "unknown mode 'protect' (known: wp, dontwake)"),
        BadRow(line: "mseal: {region: buf, flags: -1}", at: "-1", message: "flags must be a non-negative integer"),
    ]

    @Test("a malformed vocabulary step fails at its node", arguments: badRows)
    func bad(_ row: BadRow) throws {
        let column = 5 + row.line.distance(from: row.line.startIndex, to: row.line.firstRange(of: row.at)!.lowerBound)
        do {
            _ = try Self.parse(row.line)
            Issue.record("no error")
        } catch {
            #expect(error.location == SourceLocation(file: "c.yaml", line: 3, column: column))
            #expect(error.message.hasPrefix(row.message), "\(error.message)")
        }
    }
}
