import MMHardware
import MMKernel
import MMTestSupport
import Testing

/// MADV_COLLAPSE for anonymous memory (`madvise_collapse()`, `thp_vma_allowable_order(TVA_FORCED_COLLAPSE)`,
/// `hpage_collapse_scan_pmd()`, `collapse_huge_page()` in mm/khugepaged.c), Linux 6.18.
@Suite struct MadviseCollapseTests {
    /// A 2 MiB-aligned block of small anonymous pages (THP faults disabled until `madviseHuge`), `written` of them
    /// written with token 1000 + page.
    static func smallPages(
        written: UInt64 = 512, thpMode: KernelConfig.THPMode = .madvise
    ) throws -> (
        Machine, TaskID, UInt64
    ) {
        var (machine, main) = makeProcess { $0.thpMode = thpMode }
        let base = PageGeometry.alignUp(try machine.mapAnon(main, pages: 1536), hugeBytes)
        for page in 0..<written { _ = machine.access(main, base + page * pageBytes, .write, value: 1000 + page) }
        #expect(!machine.leaf(main, base).huge)
        return (machine, main, base)
    }

    @Test("COLLAPSE turns 512 small pages into one PMD-mapped THP with the same contents")
    func collapses() throws {
        var (machine, main, base) = try Self.smallPages()
        let mmID = machine.mmID(of: main)
        machine.clearTrace()
        try machine.madvise(main, base, hugeBytes, advice: Advice.collapse.rawValue)
        let (pmd, huge) = machine.leaf(main, base)
        #expect(huge && pmd.isWritable && pmd.isDirty)
        #expect(machine.pages.isCompound(pmd.hugePFN))
        #expect(machine.access(main, base + 17 * pageBytes, .read) == .value(1017))
        #expect(machine.mm(mmID).rss.anon == 512)
        #expect(machine.flushRequests.count == 1, "pmdp_collapse_flush()")
    }

    @Test("sysfs THP 'never' does not stop MADV_COLLAPSE")
    func ignoresSysfs() throws {
        var (machine, main, base) = try Self.smallPages(thpMode: .never)
        try machine.madvise(main, base, hugeBytes, advice: Advice.collapse.rawValue)
        #expect(machine.leaf(main, base).huge)
    }

    @Test("empty PTEs are allowed (no max_ptes_none for MADV_COLLAPSE): they read as zeroes and count in RSS")
    func sparse() throws {
        var (machine, main, base) = try Self.smallPages(written: 3)
        try machine.madvise(main, base, hugeBytes, advice: Advice.collapse.rawValue)
        #expect(machine.leaf(main, base).huge)
        #expect(machine.access(main, base + 2 * pageBytes, .read) == .value(1002))
        #expect(machine.access(main, base + 300 * pageBytes, .read) == .value(0))
        #expect(machine.mm(machine.mmID(of: main)).rss.anon == 512)
    }

    @Test("a VMA that never had an anonymous page has no anon_vma: EINVAL")
    func noAnonVMA() throws {
        var (machine, main) = makeProcess()
        let base = PageGeometry.alignUp(try machine.mapAnon(main, pages: 1536), hugeBytes)
        #expect(throws: KernelErrno.EINVAL) {
            try machine.madvise(main, base, hugeBytes, advice: Advice.collapse.rawValue)
        }
    }

    @Test("MADV_NOHUGEPAGE forbids collapse: EINVAL")
    func noHugePage() throws {
        var (machine, main, base) = try Self.smallPages()
        try machine.madvise(main, base, hugeBytes, advice: Advice.noHugePage.rawValue)
        #expect(throws: KernelErrno.EINVAL) {
            try machine.madvise(main, base, hugeBytes, advice: Advice.collapse.rawValue)
        }
    }

    @Test("a VMA too small to hold an aligned 2 MiB is EINVAL")
    func tooSmall() throws {
        var (machine, main) = makeProcess()
        let base = try machine.mapAnon(main, pages: 8)
        _ = machine.access(main, base, .write, value: 1)
        #expect(throws: KernelErrno.EINVAL) {
            try machine.madvise(main, base, 8 * pageBytes, advice: Advice.collapse.rawValue)
        }
    }

    @Test("a range ending before its first aligned block fails EINVAL (unsigned arithmetic); an empty one succeeds")
    func rangesWithoutBlock() throws {
        var (machine, main, base) = try Self.smallPages()
        #expect(throws: KernelErrno.EINVAL) {
            try machine.madvise(main, base + pageBytes, pageBytes, advice: Advice.collapse.rawValue)
        }
        try machine.madvise(main, base, pageBytes, advice: Advice.collapse.rawValue)
        #expect(!machine.leaf(main, base).huge)
    }

    @Test("an already PMD-mapped THP counts as collapsed: success, nothing changes")
    func alreadyHuge() throws {
        var (machine, main) = makeProcess()
        let base = try machine.mapTHP(main)
        let before = machine.leaf(main, base).entry
        try machine.madvise(main, base, hugeBytes, advice: Advice.collapse.rawValue)
        #expect(machine.leaf(main, base).entry == before)
    }

    @Test("only read-only pages (after fork) give SCAN_PAGE_RO: EINVAL, not collapsed")
    func readOnlyPages() throws {
        var (machine, main, base) = try Self.smallPages(written: 4)
        _ = try machine.fork(main, childName: "child", cpu: CPUID(1))
        #expect(throws: KernelErrno.EINVAL) {
            try machine.madvise(main, base, hugeBytes, advice: Advice.collapse.rawValue)
        }
        #expect(!machine.leaf(main, base).huge)
    }

    @Test("a guard marker in the block stops that block's collapse: EINVAL, and the guard stays")
    func guardMarker() throws {
        var (machine, main, base) = try Self.smallPages()
        try machine.madvise(main, base + 9 * pageBytes, pageBytes, advice: Advice.guardInstall.rawValue)
        #expect(throws: KernelErrno.EINVAL) {
            try machine.madvise(main, base, hugeBytes, advice: Advice.collapse.rawValue)
        }
        #expect(!machine.leaf(main, base).huge)
        #expect(
            machine.access(main, base + 9 * pageBytes, .read)
                .signalCode == "SIGSEGV/SEGV_MAPERR")
    }

    @Test("a block without a PTE table (SCAN_PMD_NONE) ends the call with EINVAL, after the blocks before it")
    func pmdNoneStops() throws {
        var (machine, main, base) = try Self.smallPages()
        #expect(throws: KernelErrno.EINVAL) {
            try machine.madvise(main, base, 2 * hugeBytes, advice: Advice.collapse.rawValue)
        }
        #expect(machine.leaf(main, base).huge)
    }
}
