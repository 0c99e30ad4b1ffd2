import MMHardware
import MMKernel
import MMTestSupport
import Testing

/// prctl(2): `prctl_set_mdwe()` and `prctl_get_mdwe()` in kernel/sys.c, MDWE's inheritance through
/// `mmf_init_flags()` on fork and exec, its check in `mmap_region()`, and the answer for other options.
@Suite struct PrctlTests {
    static let setMDWE: Int64 = 65
    static let getMDWE: Int64 = 66

    struct Step: Sendable, CustomStringConvertible {
        var option: Int64
        var args: [UInt64]
        var expected: SyscallOutcome
        var description: String { "prctl(\(option), \(args)) = \(expected)" }
    }

    static func set(_ bits: UInt64, _ arg3: UInt64 = 0, _ arg4: UInt64 = 0, _ arg5: UInt64 = 0) -> [UInt64] {
        [bits, arg3, arg4, arg5]
    }

    /// Each sequence runs in a fresh process, step by step, as 6.18 answers it.
    static let sequences: [(String, [Step])] = [
        (
            "arguments: arg3..arg5 must be zero, only bits 1 and 2, NO_INHERIT needs REFUSE_EXEC_GAIN (all EINVAL)",
            [
                Step(option: setMDWE, args: set(1, 1), expected: .failed(.EINVAL)),
                Step(option: setMDWE, args: set(1, 0, 1), expected: .failed(.EINVAL)),
                Step(option: setMDWE, args: set(1, 0, 0, 1), expected: .failed(.EINVAL)),
                Step(option: setMDWE, args: set(4), expected: .failed(.EINVAL)),
                Step(option: setMDWE, args: set(1 << 32 | 1), expected: .failed(.EINVAL)),
                Step(option: setMDWE, args: set(2), expected: .failed(.EINVAL)),
                Step(option: getMDWE, args: set(0), expected: .returned(0)),
            ]
        ),
        (
            "setting 0 while unset succeeds and sets nothing; REFUSE_EXEC_GAIN then sticks: the same bits again are fine, other bits EPERM",
            [
                Step(option: setMDWE, args: set(0), expected: .returned(0)),
                Step(option: getMDWE, args: set(0), expected: .returned(0)),
                Step(option: setMDWE, args: set(1), expected: .returned(0)),
                Step(option: getMDWE, args: set(0), expected: .returned(1)),
                Step(option: setMDWE, args: set(1), expected: .returned(0)),
                Step(option: setMDWE, args: set(3), expected: .failed(.EPERM)),
                Step(option: setMDWE, args: set(0), expected: .failed(.EPERM)),
                Step(option: setMDWE, args: set(4), expected: .failed(.EINVAL)),
                Step(option: getMDWE, args: set(0), expected: .returned(1)),
            ]
        ),
        (
            "REFUSE_EXEC_GAIN|NO_INHERIT: GET returns 3, REFUSE_EXEC_GAIN alone is then EPERM",
            [
                Step(option: setMDWE, args: set(3), expected: .returned(0)),
                Step(option: getMDWE, args: set(0), expected: .returned(3)),
                Step(option: setMDWE, args: set(1), expected: .failed(.EPERM)),
                Step(option: setMDWE, args: set(3), expected: .returned(0)),
            ]
        ),
        (
            "PR_GET_MDWE: any of arg2..arg5 nonzero is EINVAL; the option is an int (66 | 1<<32 is PR_GET_MDWE)",
            [
                Step(option: getMDWE, args: set(1), expected: .failed(.EINVAL)),
                Step(option: getMDWE, args: set(0, 1), expected: .failed(.EINVAL)),
                Step(option: getMDWE, args: set(0, 0, 1), expected: .failed(.EINVAL)),
                Step(option: getMDWE, args: set(0, 0, 0, 1), expected: .failed(.EINVAL)),
                Step(option: setMDWE | 1 << 32, args: set(1), expected: .returned(0)),
                Step(option: getMDWE | 1 << 32, args: set(0), expected: .returned(1)),
            ]
        ),
        (
            "options 6.18 does not define are EINVAL: 0, 17, 48, 79, 200, -1",
            [0, 17, 48, 79, 200, -1].map { Step(option: $0, args: set(0), expected: .failed(.EINVAL)) }
        ),
        (
            "options the kernel defines and the model does not (PR_SET_NAME, PR_SET_THP_DISABLE, PR_SET_VMA) are not modelled",
            [15, 41, 0x5356_4d41].map {
                Step(
                    option: $0, args: set(0),
                    expected: .notModelled(
                        "prctl option \($0) (only PR_SET_MDWE and PR_GET_MDWE are modelled)"))
            }
        ),
    ]

    @Test("PR_SET_MDWE / PR_GET_MDWE sequences", arguments: sequences)
    func sequence(_ name: String, _ steps: [Step]) throws {
        var (machine, main) = makeProcess()
        for step in steps {
            let a = step.args
            let outcome = machine.perform(
                .prctl(option: step.option, arg2: a[0], arg3: a[1], arg4: a[2], arg5: a[3]), by: main)
            #expect(outcome == step.expected, "\(step)")
        }
    }

    @Test("the direct method answers EINVAL for options it does not implement")
    func directUnknown() throws {
        var (machine, main) = makeProcess()
        #expect(throws: KernelErrno.EINVAL) { try machine.prctl(main, option: 15, 0, 0, 0, 0) }
        #expect(try machine.prctl(main, option: 65, 1, 0, 0, 0) == 0)
        #expect(machine.mm(machine.mmID(of: main)).mdwe == .refuseExecGain)
    }

    @Test(
        "mmf_init_flags(): fork and exec pass MDWE on, unless PR_MDWE_NO_INHERIT was set",
        arguments: [(UInt64(1), UInt64(1)), (3, 0)])
    func inheritance(_ bits: UInt64, _ inherited: UInt64) throws {
        var (machine, main) = makeProcess()
        _ = try machine.prctl(main, option: Self.setMDWE, bits, 0, 0, 0)
        let child = try machine.fork(main, childName: "child", cpu: CPUID(1))
        #expect(try machine.prctl(child, option: Self.getMDWE, 0, 0, 0, 0) == inherited)
        #expect(try machine.prctl(main, option: Self.getMDWE, 0, 0, 0, 0) == bits)
        try machine.exec(main, argumentPages: 1)
        #expect(try machine.prctl(main, option: Self.getMDWE, 0, 0, 0, 0) == inherited)
        // A child without MDWE may set it itself, with other bits.
        if inherited == 0 { #expect(try machine.prctl(child, option: Self.setMDWE, 1, 0, 0, 0) == 0) }
    }

    @Test("under MDWE mmap refuses a writable and executable mapping (EACCES), after MAP_FIXED_NOREPLACE's EEXIST")
    func mmapUnderMDWE() throws {
        var (machine, main) = makeProcess()
        let existing = try machine.mapAnon(main, pages: 1)
        machine.prctlSetMDWE(main)
        let flags = MapFlags([.private, .anonymous]).rawValue
        #expect(
            machine.perform(.mmap(address: 0, length: pageBytes, prot: 7, flags: flags, fd: -1, offset: 0), by: main)
                == .failed(.EACCES))
        #expect(
            machine.perform(
                .mmap(
                    address: existing, length: pageBytes, prot: 7,
                    flags: flags | MapFlags.fixedNoReplace.rawValue, fd: -1, offset: 0), by: main)
                == .failed(.EEXIST))
        let exec = try machine.mapAnon(main, pages: 1, prot: .exec)
        #expect(machine.vma(main, containing: exec)?.flags.contains(.exec) == true)
        // READ_IMPLIES_EXEC turns PROT_READ|PROT_WRITE into RWX, which MDWE refuses.
        machine.setReadImpliesExec(main, true)
        #expect(throws: KernelErrno.EACCES) { try machine.mapAnon(main, pages: 1) }
    }

    @Test("the scenarios' prctlSetMDWE keeps NO_INHERIT set by the system call")
    func legacyHelperKeepsBits() throws {
        var (machine, main) = makeProcess()
        _ = try machine.prctl(main, option: Self.setMDWE, 3, 0, 0, 0)
        machine.prctlSetMDWE(main)
        #expect(machine.mm(machine.mmID(of: main)).mdwe == [.refuseExecGain, .noInherit])
        #expect(machine.mm(machine.mmID(of: main)).denyWriteExecute)
    }
}
