import MMHardware
import MMKernel
import MMTestSupport
import Testing

/// Guard regions: MADV_GUARD_INSTALL / MADV_GUARD_REMOVE (`madvise_guard_install()`, `madvise_guard_remove()`), the
/// fault on a marker (`handle_pte_marker()` → VM_FAULT_SIGSEGV → x86 `mm_fault_error()`), and what mprotect, DONTNEED,
/// munmap and fork do with markers (`change_pte_range()`, `zap_nonpresent_ptes()`, `copy_pte_marker()`), Linux 6.18.
@Suite struct MadviseGuardTests {
    static let window: UInt64 = 0x7e00_0080_0000

    static func guarded(pages: UInt64 = 4, guardAt page: UInt64 = 1) throws -> (Machine, TaskID, UInt64) {
        var (machine, main) = makeProcess()
        let base = try machine.mapAnon(main, pages: pages, fixed: Self.window)
        try machine.madvise(main, base + page * pageBytes, pageBytes, advice: Advice.guardInstall.rawValue)
        return (machine, main, base)
    }

    @Test("a read, a write and a fetch of a guard page raise SIGSEGV (SEGV_MAPERR); the neighbours fault normally")
    func faultOnMarkerIsSIGSEGV() throws {
        var (machine, main, base) = try Self.guarded()
        let guardPage = base + pageBytes
        #expect(Machine.isGuardMarkerForTest(machine.leaf(main, guardPage).entry))
        #expect(machine.access(main, guardPage, .read).isMapError(at: guardPage))
        #expect(machine.access(main, guardPage + 8, .write, value: 1).isMapError(at: guardPage + 8))
        #expect(machine.access(main, base, .write, value: 5) == .value(5))
        #expect(machine.access(main, base + 2 * pageBytes, .read) == .value(0))
        #expect(machine.mm(machine.mmID(of: main)).vmas.count == 1, "guards do not split the VMA")
    }

    @Test("installing zaps the pages that were there: after GUARD_REMOVE the page is demand-zero again")
    func installZapsThenRemoveRestoresDemandZero() throws {
        var (machine, main) = makeProcess()
        let base = try machine.mapAnon(main, pages: 2, fixed: Self.window)
        _ = machine.access(main, base, .write, value: 42)
        #expect(machine.mm(machine.mmID(of: main)).rss.anon == 1)
        try machine.madvise(main, base, 2 * pageBytes, advice: Advice.guardInstall.rawValue)
        #expect(machine.mm(machine.mmID(of: main)).rss.anon == 0)
        #expect(machine.access(main, base, .read).isMapError(at: base))
        try machine.madvise(main, base, 2 * pageBytes, advice: Advice.guardRemove.rawValue)
        #expect(machine.leaf(main, base).entry.isNone)
        #expect(machine.access(main, base, .read) == .value(0))
        #expect(machine.faultResolutions.last == .anonymousZeroPage)
    }

    @Test("GUARD_INSTALL gives the VMA an anon_vma (so fork copies its page tables)")
    func installPreparesAnonVMA() throws {
        let (machine, main, base) = try Self.guarded()
        #expect(machine.vma(main, containing: base)?.anonVMA != nil)
    }

    @Test("guard markers survive mprotect (change_pte_range() skips them), in both directions")
    func survivesMprotect() throws {
        var (machine, main, base) = try Self.guarded()
        try machine.mprotect(main, base, 4 * pageBytes, prot: Protection.read.rawValue)
        try machine.mprotect(main, base, 4 * pageBytes, prot: Protection([.read, .write]).rawValue)
        #expect(machine.access(main, base + pageBytes, .read).isMapError(at: base + pageBytes))
    }

    @Test("a guard in a PROT_NONE VMA: access_error() answers first, with SEGV_ACCERR")
    func protNoneAnswersFirst() throws {
        var (machine, main, base) = try Self.guarded()
        try machine.mprotect(main, base, 4 * pageBytes, prot: 0)
        #expect(
            machine.access(main, base + pageBytes, .read)
                .signalCode == "SIGSEGV/SEGV_ACCERR")
    }

    @Test("MADV_DONTNEED leaves guard markers in place; munmap removes them")
    func dontNeedKeepsMunmapDrops() throws {
        var (machine, main, base) = try Self.guarded()
        try machine.madvise(main, base, 4 * pageBytes, advice: Advice.dontNeed.rawValue)
        #expect(machine.access(main, base + pageBytes, .read).isMapError(at: base + pageBytes))
        try machine.munmap(main, base, 4 * pageBytes)
        _ = try machine.mapAnon(main, pages: 4, fixed: Self.window)
        #expect(machine.access(main, base + pageBytes, .read) == .value(0))
    }

    @Test("MADV_FREE leaves guard markers in place")
    func freeKeeps() throws {
        var (machine, main, base) = try Self.guarded()
        try machine.madvise(main, base, 4 * pageBytes, advice: Advice.free.rawValue)
        #expect(machine.access(main, base + pageBytes, .read).isMapError(at: base + pageBytes))
    }

    @Test("fork copies guard markers: the child faults SIGSEGV on the guard page too")
    func forkCopies() throws {
        var (machine, main, base) = try Self.guarded()
        let child = try machine.fork(main, childName: "child", cpu: CPUID(1))
        #expect(machine.access(child, base + pageBytes, .read).isMapError(at: base + pageBytes))
        #expect(machine.access(child, base, .read) == .value(0))
    }

    @Test("a MADV_WIPEONFORK VMA's guards are not copied (its page tables are not)")
    func wipeOnForkDropsGuards() throws {
        var (machine, main, base) = try Self.guarded()
        try machine.madvise(main, base, 4 * pageBytes, advice: Advice.wipeOnFork.rawValue)
        let child = try machine.fork(main, childName: "child", cpu: CPUID(1))
        #expect(machine.access(child, base + pageBytes, .read) == .value(0))
        #expect(machine.access(main, base + pageBytes, .read).isMapError(at: base + pageBytes))
    }

    @Test("GUARD_REMOVE clears only guards: written pages around them stay")
    func removeKeepsPages() throws {
        var (machine, main, base) = try Self.guarded()
        _ = machine.access(main, base, .write, value: 9)
        try machine.madvise(main, base, 4 * pageBytes, advice: Advice.guardRemove.rawValue)
        #expect(machine.access(main, base, .read) == .value(9))
        #expect(machine.access(main, base + pageBytes, .read) == .value(0))
    }

    @Test("is_valid_guard_vma(): install is EINVAL on a locked VMA, remove is allowed there")
    func lockedVMA() throws {
        var (machine, main) = makeProcess()
        let base = try machine.mapAnon(main, pages: 2, extraFlags: .locked)
        #expect(throws: KernelErrno.EINVAL) {
            try machine.madvise(main, base, pageBytes, advice: Advice.guardInstall.rawValue)
        }
        try machine.madvise(main, base, pageBytes, advice: Advice.guardRemove.rawValue)
    }

    @Test(
        "is_valid_guard_vma(): install and remove are EINVAL on VM_SPECIAL VMAs",
        arguments: [VMFlags.io, .pfnMap, .mixedMap, .dontExpand])
    func specialVMA(_ flag: VMFlags) throws {
        var (machine, main) = makeProcess()
        let base = try machine.mapAnon(main, pages: 2, fixed: Self.window)
        machine.addVMAFlags(main, containing: base, flag)
        for advice in [Advice.guardInstall, .guardRemove] {
            #expect(throws: KernelErrno.EINVAL) { try machine.madvise(main, base, pageBytes, advice: advice.rawValue) }
        }
    }

    @Test("guards work in file mappings too (6.15+), and DONTNEED keeps them there")
    func fileMapping() throws {
        var (machine, main) = makeProcess()
        let file = machine.createFile(name: "data", sizePages: 4)
        let base = try machine.mapFile(main, file, pages: 4, prot: .read, shared: true)
        try machine.madvise(main, base, pageBytes, advice: Advice.guardInstall.rawValue)
        try machine.madvise(main, base, 4 * pageBytes, advice: Advice.dontNeed.rawValue)
        #expect(machine.access(main, base, .read).isMapError(at: base))
        #expect(
            machine.access(main, base + pageBytes, .read) == .value(machine.files[file.rawValue].initialToken(page: 1)))
    }

    @Test("installing over part of a THP splits it; the rest of the THP keeps its contents")
    func installSplitsTHP() throws {
        var (machine, main) = makeProcess()
        let base = try machine.mapTHP(main, value: 3)
        #expect(machine.leaf(main, base).huge)
        try machine.madvise(main, base + 5 * pageBytes, pageBytes, advice: Advice.guardInstall.rawValue)
        #expect(!machine.leaf(main, base).huge)
        #expect(machine.access(main, base, .read) == .value(3))
        #expect(machine.access(main, base + 5 * pageBytes, .read).isMapError(at: base + 5 * pageBytes))
    }

    @Test("MADV_POPULATE_READ over a guard page is EFAULT; the pages before it were populated")
    func populateOverGuard() throws {
        var (machine, main, base) = try Self.guarded()
        #expect(throws: KernelErrno.EFAULT) {
            try machine.madvise(main, base, 4 * pageBytes, advice: Advice.populateRead.rawValue)
        }
        #expect(machine.leaf(main, base).entry.isPresent)
        #expect(machine.leaf(main, base + 2 * pageBytes).entry.isNone)
    }

    @Test("installing twice is harmless, and GUARD_REMOVE over a range without guards does nothing")
    func idempotent() throws {
        var (machine, main, base) = try Self.guarded()
        try machine.madvise(main, base, 4 * pageBytes, advice: Advice.guardInstall.rawValue)
        #expect((0..<4).allSatisfy { Machine.isGuardMarkerForTest(machine.leaf(main, base + $0 * pageBytes).entry) })
        try machine.madvise(main, base, 4 * pageBytes, advice: Advice.guardRemove.rawValue)
        try machine.madvise(main, base, 4 * pageBytes, advice: Advice.guardRemove.rawValue)
        #expect(machine.leaf(main, base + pageBytes).entry.isNone)
    }
}

extension AccessResult {
    /// `SIGNAME/si_code` of a signalled access, nil if it completed.
    var signalCode: String? {
        if case .signal(let signal) = self { return "\(signal.name)/\(signal.code)" }
        return nil
    }

    /// Whether the access raised SIGSEGV with SEGV_MAPERR at `address`.
    func isMapError(at address: UInt64) -> Bool {
        guard case .signal(let signal) = self else { return false }
        return signal.name == "SIGSEGV" && signal.code == "SEGV_MAPERR" && signal.address == address
    }
}

extension Machine {
    /// Whether `pte` is a PTE marker carrying the guard bit (decoded here, independently of the kernel code).
    static func isGuardMarkerForTest(_ pte: PTE) -> Bool {
        guard let entry = SwapEntry(pte: pte), entry.kind == .marker else { return false }
        return entry.offset == PTEMarker.guardRegion.rawValue
    }
}
