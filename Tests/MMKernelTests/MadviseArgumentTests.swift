import MMHardware
import MMKernel
import MMTestSupport
import Testing

/// madvise(2) argument checks and the VMA walk: `madvise_should_skip()`, `is_valid_madvise()`,
/// `madvise_behavior_valid()`, `madvise_walk_vmas()` (mm/madvise.c, Linux 6.18).
@Suite struct MadviseArgumentTests {
    static let window: UInt64 = 0x7e00_0020_0000

    @Test(
        "madvise_behavior_valid(): values outside the MADV_* set are EINVAL",
        arguments: [Int32(5), 6, 7, 26, 99, 104, 1000, -1, Int32.min])
    func unknownAdviceIsEINVAL(_ advice: Int32) throws {
        var (machine, main) = makeProcess()
        let base = try machine.mapAnon(main, pages: 4)
        #expect(throws: KernelErrno.EINVAL) { try machine.madvise(main, base, pageBytes, advice: advice) }
    }

    @Test("every MADV_* value is valid: a one-page call on private anonymous memory does not fail EINVAL for it")
    func everyAdviceIsKnown() {
        #expect(Advice.allCases.count == 27)
        for advice in Advice.allCases { #expect(Advice.valid(advice.rawValue) == advice) }
        #expect(Advice(name: "MADV_GUARD_INSTALL") == .guardInstall)
    }

    struct RangeRow: Sendable, CustomTestStringConvertible {
        var name: String
        var startOffset: UInt64
        var length: UInt64
        var expected: KernelErrno?
        var testDescription: String { name }
    }

    static let rangeRows: [RangeRow] = [
        RangeRow(name: "unaligned start is EINVAL", startOffset: 1, length: pageBytes, expected: .EINVAL),
        RangeRow(name: "length 0 is success, even unaligned to a page", startOffset: 0, length: 0, expected: nil),
        RangeRow(
            name: "a length that PAGE_ALIGN() wraps to 0 is EINVAL", startOffset: 0, length: UInt64.max,
            expected: .EINVAL),
        RangeRow(
            name: "a range that wraps past the top is EINVAL", startOffset: 0, length: UInt64.max - 0xFFFF,
            expected: .EINVAL),
        RangeRow(name: "a partial last page is rounded up", startOffset: 0, length: pageBytes + 1, expected: nil),
    ]

    @Test("is_valid_madvise() range rows", arguments: rangeRows)
    func rangeChecks(_ row: RangeRow) throws {
        var (machine, main) = makeProcess()
        let base = try machine.mapAnon(main, pages: 4, fixed: Self.window)
        let call = { (machine: inout Machine) throws(KernelErrno) in
            try machine.madvise(main, base + row.startOffset, row.length, advice: Advice.dontFork.rawValue)
        }
        if let expected = row.expected {
            #expect(throws: expected) { try call(&machine) }
        } else {
            try call(&machine)
        }
    }

    @Test("a rounded-up length reaches the partly covered page: [0,2) gets the flag")
    func partialPageRoundsUp() throws {
        var (machine, main) = makeProcess()
        let base = try machine.mapAnon(main, pages: 4, fixed: Self.window)
        try machine.madvise(main, base, pageBytes + 1, advice: Advice.dontFork.rawValue)
        #expect(machine.vma(main, containing: base)?.end == base + 2 * pageBytes)
    }

    @Test("an empty range is success even where nothing is mapped")
    func emptyRangeOnHole() throws {
        var (machine, main) = makeProcess()
        try machine.madvise(main, Self.window, 0, advice: Advice.dontNeed.rawValue)
    }

    @Test("a range with nothing mapped at all is ENOMEM")
    func wholeHoleIsENOMEM() {
        var (machine, main) = makeProcess()
        #expect(throws: KernelErrno.ENOMEM) {
            try machine.madvise(main, Self.window, 4 * pageBytes, advice: Advice.dontNeed.rawValue)
        }
    }

    @Test("madvise_walk_vmas(): a hole before the last VMA is ENOMEM after the advice reached both sides")
    func holeAppliesBothSides() throws {
        var (machine, main) = makeProcess()
        let mmID = machine.mmID(of: main)
        _ = try machine.mapAnon(main, pages: 2, fixed: Self.window)
        _ = try machine.mapAnon(main, pages: 2, fixed: Self.window + 3 * pageBytes)
        #expect(throws: KernelErrno.ENOMEM) {
            try machine.madvise(main, Self.window, 5 * pageBytes, advice: Advice.dontDump.rawValue)
        }
        #expect(machine.mm(mmID).vmas.allSatisfy { $0.flags.contains(.dontDump) })
    }

    @Test("madvise_walk_vmas(): a VMA's error stops the walk; the VMAs before it keep the advice, those after do not")
    func errorStopsWalk() throws {
        var (machine, main) = makeProcess()
        let file = machine.createFile(name: "data", sizePages: 4)
        _ = try machine.mapAnon(main, pages: 2, fixed: Self.window)
        _ = try machine.mmap(
            main, address: Self.window + 2 * pageBytes, length: 2 * pageBytes, prot: [.read, .write],
            flags: [.private, .fixed], file: file, offset: 0)
        _ = try machine.mapAnon(main, pages: 2, prot: .read, fixed: Self.window + 4 * pageBytes)
        #expect(throws: KernelErrno.EINVAL) {
            try machine.madvise(main, Self.window, 6 * pageBytes, advice: Advice.wipeOnFork.rawValue)
        }
        #expect(machine.vma(main, containing: Self.window)?.flags.contains(.wipeOnFork) == true)
        #expect(machine.vma(main, containing: Self.window + 4 * pageBytes)?.flags.contains(.wipeOnFork) == false)
    }

    @Test("memory-failure advice checks the range before the capability: unaligned EINVAL, empty 0, else EPERM")
    func memoryFailureOrder() throws {
        var (machine, main) = makeProcess()
        let base = try machine.mapAnon(main, pages: 2)
        for advice in [Advice.hwPoison, .softOffline] {
            #expect(throws: KernelErrno.EINVAL) {
                try machine.madvise(main, base + 8, pageBytes, advice: advice.rawValue)
            }
            try machine.madvise(main, base, 0, advice: advice.rawValue)
            #expect(throws: KernelErrno.EPERM) { try machine.madvise(main, base, pageBytes, advice: advice.rawValue) }
            #expect(throws: KernelErrno.EPERM) {
                try machine.madvise(main, Self.window, pageBytes, advice: advice.rawValue)
            }
        }
    }

    @Test("the syscall vocabulary reaches the same checks: madvise through Machine.perform")
    func throughPerform() throws {
        var (machine, main) = makeProcess()
        let base = try machine.mapAnon(main, pages: 2)
        #expect(machine.perform(.madvise(address: base, length: pageBytes, advice: 102), by: main) == .returned(0))
        #expect(machine.perform(.madvise(address: base, length: pageBytes, advice: 5), by: main) == .failed(.EINVAL))
    }
}
