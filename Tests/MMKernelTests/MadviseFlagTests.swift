import MMHardware
import MMKernel
import MMTestSupport
import Testing

/// The advice that only change `vm_flags` (`madvise_vma_behavior()` → `madvise_update_vma()`), with `ksm_madvise()`
/// and `hugepage_madvise()`: which flag each sets or clears, the split a middle page makes, the merge back, and the
/// VMAs each refuses (mm/madvise.c, mm/ksm.c, mm/khugepaged.c, Linux 6.18).
@Suite struct MadviseFlagTests {
    static let window: UInt64 = 0x7e00_0040_0000

    struct FlagRow: Sendable, CustomTestStringConvertible {
        var advice: Advice
        /// Flags the VMA has before (set by `prepare`, if any).
        var prepare: Advice?
        var sets: VMFlags
        var clears: VMFlags
        /// The opposite advice.
        var undo: Advice
        /// Whether the opposite advice gives the middle page its old flags back (nothing clears both
        /// VM_HUGEPAGE and VM_NOHUGEPAGE, so after HUGEPAGE or NOHUGEPAGE the middle page stays apart).
        var mergesBack = true
        var testDescription: String { advice.name }
    }

    static let rows: [FlagRow] = [
        FlagRow(advice: .random, sets: .randRead, clears: .seqRead, undo: .normal),
        FlagRow(advice: .sequential, sets: .seqRead, clears: .randRead, undo: .normal),
        FlagRow(advice: .normal, prepare: .random, sets: [], clears: [.seqRead, .randRead], undo: .random),
        FlagRow(advice: .dontFork, sets: .dontCopy, clears: [], undo: .doFork),
        FlagRow(advice: .doFork, prepare: .dontFork, sets: [], clears: .dontCopy, undo: .dontFork),
        FlagRow(advice: .mergeable, sets: .mergeable, clears: [], undo: .unmergeable),
        FlagRow(advice: .unmergeable, prepare: .mergeable, sets: [], clears: .mergeable, undo: .mergeable),
        FlagRow(advice: .hugePage, sets: .hugePage, clears: .noHugePage, undo: .noHugePage, mergesBack: false),
        FlagRow(advice: .noHugePage, sets: .noHugePage, clears: .hugePage, undo: .hugePage, mergesBack: false),
        FlagRow(advice: .dontDump, sets: .dontDump, clears: [], undo: .doDump),
        FlagRow(advice: .doDump, prepare: .dontDump, sets: [], clears: .dontDump, undo: .dontDump),
        FlagRow(advice: .wipeOnFork, sets: .wipeOnFork, clears: [], undo: .keepOnFork),
        FlagRow(advice: .keepOnFork, prepare: .wipeOnFork, sets: [], clears: .wipeOnFork, undo: .wipeOnFork),
    ]

    @Test("advice on the middle page of three splits the VMA in three and sets/clears its flag", arguments: rows)
    func middlePageSplits(_ row: FlagRow) throws {
        var (machine, main) = makeProcess()
        let mmID = machine.mmID(of: main)
        let base = try machine.mapAnon(main, pages: 3, fixed: Self.window)
        if let prepare = row.prepare { try machine.madvise(main, base, 3 * pageBytes, advice: prepare.rawValue) }
        #expect(machine.mm(mmID).vmas.count == 1)
        let before = machine.vma(main, containing: base)!.flags
        try machine.madvise(main, base + pageBytes, pageBytes, advice: row.advice.rawValue)
        #expect(machine.mm(mmID).vmas.count == 3)
        let middle = machine.vma(main, containing: base + pageBytes)!
        #expect(middle.start == base + pageBytes && middle.end == base + 2 * pageBytes)
        #expect(middle.flags.isSuperset(of: row.sets))
        #expect(middle.flags.intersection(row.clears).isEmpty)
        #expect(machine.vma(main, containing: base)!.flags == before)
        #expect(machine.vma(main, containing: base + 2 * pageBytes)!.flags == before)
    }

    @Test(
        "the opposite advice on the middle page merges the three VMAs back into one (if it restores the flags)",
        arguments: rows)
    func undoMerges(_ row: FlagRow) throws {
        var (machine, main) = makeProcess()
        let mmID = machine.mmID(of: main)
        let base = try machine.mapAnon(main, pages: 3, fixed: Self.window)
        if let prepare = row.prepare { try machine.madvise(main, base, 3 * pageBytes, advice: prepare.rawValue) }
        try machine.madvise(main, base + pageBytes, pageBytes, advice: row.advice.rawValue)
        try machine.madvise(main, base + pageBytes, pageBytes, advice: row.undo.rawValue)
        #expect(machine.mm(mmID).vmas.count == (row.mergesBack ? 1 : 3))
    }

    @Test("advice that changes nothing does not split (MADV_NORMAL on a fresh VMA)")
    func noChangeNoSplit() throws {
        var (machine, main) = makeProcess()
        let base = try machine.mapAnon(main, pages: 3, fixed: Self.window)
        try machine.madvise(main, base + pageBytes, pageBytes, advice: Advice.normal.rawValue)
        try machine.madvise(main, base + pageBytes, pageBytes, advice: Advice.keepOnFork.rawValue)
        try machine.madvise(main, base + pageBytes, pageBytes, advice: Advice.unmergeable.rawValue)
        #expect(machine.mm(machine.mmID(of: main)).vmas.count == 1)
    }

    @Test("ksm_madvise(): MERGEABLE on shared memory is ignored (success, no flag, no split)")
    func mergeableIgnoredOnShared() throws {
        var (machine, main) = makeProcess()
        let base = try machine.mapAnon(main, pages: 3, shared: true, fixed: Self.window)
        try machine.madvise(main, base + pageBytes, pageBytes, advice: Advice.mergeable.rawValue)
        #expect(machine.mm(machine.mmID(of: main)).vmas.count == 1)
        #expect(machine.vma(main, containing: base)?.flags.contains(.mergeable) == false)
    }

    @Test("MADV_WIPEONFORK is EINVAL on shared anonymous memory and on private file mappings")
    func wipeOnForkAnonymousPrivateOnly() throws {
        var (machine, main) = makeProcess()
        let shared = try machine.mapAnon(main, pages: 2, shared: true)
        #expect(throws: KernelErrno.EINVAL) {
            try machine.madvise(main, shared, pageBytes, advice: Advice.wipeOnFork.rawValue)
        }
        let file = machine.createFile(name: "data", sizePages: 2)
        let mapped = try machine.mapFile(main, file, pages: 2, prot: [.read, .write], shared: false)
        #expect(throws: KernelErrno.EINVAL) {
            try machine.madvise(main, mapped, pageBytes, advice: Advice.wipeOnFork.rawValue)
        }
        // KEEPONFORK refuses only VM_DROPPABLE, so it is fine anywhere.
        try machine.madvise(main, mapped, pageBytes, advice: Advice.keepOnFork.rawValue)
    }

    /// A machine whose one VMA carries `extra` flags, as a driver's mmap would give it.
    static func specialVMA(_ extra: VMFlags) throws -> (Machine, TaskID, UInt64) {
        var (machine, main) = makeProcess()
        let base = try machine.mapAnon(main, pages: 2, fixed: Self.window)
        machine.addVMAFlags(main, containing: base, extra)
        return (machine, main, base)
    }

    @Test("MADV_DOFORK is EINVAL on a VM_IO mapping")
    func doForkOnIO() throws {
        var (machine, main, base) = try Self.specialVMA(.io)
        #expect(throws: KernelErrno.EINVAL) {
            try machine.madvise(main, base, pageBytes, advice: Advice.doFork.rawValue)
        }
        try machine.madvise(main, base, pageBytes, advice: Advice.dontFork.rawValue)
    }

    @Test(
        "MADV_DODUMP is EINVAL on VM_SPECIAL mappings (MADV_DONTDUMP is fine)",
        arguments: [VMFlags.io, .pfnMap, .mixedMap, .dontExpand])
    func doDumpOnSpecial(_ flag: VMFlags) throws {
        var (machine, main, base) = try Self.specialVMA(flag)
        try machine.madvise(main, base, pageBytes, advice: Advice.dontDump.rawValue)
        #expect(throws: KernelErrno.EINVAL) {
            try machine.madvise(main, base, pageBytes, advice: Advice.doDump.rawValue)
        }
    }

    @Test("ksm_madvise(): MERGEABLE is ignored on PFN-mapped and I/O VMAs", arguments: [VMFlags.io, .pfnMap])
    func mergeableIgnoredOnSpecial(_ flag: VMFlags) throws {
        var (machine, main, base) = try Self.specialVMA(flag)
        try machine.madvise(main, base, pageBytes, advice: Advice.mergeable.rawValue)
        #expect(machine.vma(main, containing: base)?.flags.contains(.mergeable) == false)
    }

    @Test("flag advice is not a discard: a sealed read-only anonymous VMA accepts it but refuses MADV_DONTFORK")
    func sealedFlagAdvice() throws {
        var (machine, main) = makeProcess()
        let base = try machine.mapAnon(main, pages: 2, prot: .read)
        try machine.mseal(main, base, 2 * pageBytes)
        try machine.madvise(main, base, 2 * pageBytes, advice: Advice.dontDump.rawValue)
        try machine.madvise(main, base, 2 * pageBytes, advice: Advice.hugePage.rawValue)
        #expect(throws: KernelErrno.EPERM) {
            try machine.madvise(main, base, pageBytes, advice: Advice.wipeOnFork.rawValue)
        }
    }

    @Test("MADV_HUGEPAGE on a region makes its next write fault a THP; MADV_NOHUGEPAGE stops that")
    func hugePageControlsFaults() throws {
        var (machine, main) = makeProcess()
        let base = try machine.mapAnon(main, pages: 1024)
        let aligned = PageGeometry.alignUp(base, hugeBytes)
        try machine.madvise(main, aligned, hugeBytes, advice: Advice.hugePage.rawValue)
        _ = machine.access(main, aligned, .write, value: 1)
        #expect(machine.leaf(main, aligned).huge)
        try machine.madvise(main, aligned, hugeBytes, advice: Advice.noHugePage.rawValue)
        try machine.madvise(main, aligned, hugeBytes, advice: Advice.dontNeed.rawValue)
        _ = machine.access(main, aligned, .write, value: 1)
        #expect(!machine.leaf(main, aligned).huge)
    }
}
