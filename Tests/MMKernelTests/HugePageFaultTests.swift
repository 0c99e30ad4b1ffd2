import MMHardware
import MMKernel
import MMTestSupport
import Testing

/// Transparent huge page faults (mm/huge_memory.c): `do_huge_pmd_anonymous_page()`, the huge zero page, and
/// `do_huge_pmd_wp_page()` falling back to a PMD split.
@Suite struct HugePageFaultTests {
    /// A 4 MiB anonymous region (2 MiB aligned by placement) with MADV_HUGEPAGE; THP mode is `madvise`.
    static func hugeRegion() throws -> (Machine, TaskID, UInt64) {
        var (machine, main) = makeProcess()
        let base = try machine.mapAnon(main, pages: 1024)
        #expect(base % hugeBytes == 0)
        try machine.madvise(main, base, 2 * hugeBytes, advice: Advice.hugePage.rawValue)
        #expect(machine.vma(main, containing: base)?.flags.contains(.hugePage) == true)
        machine.clearTrace()
        return (machine, main, base)
    }

    @Test("a write fault in an aligned MADV_HUGEPAGE range maps a writable, dirty PMD leaf")
    func writeMapsPMD() throws {
        var (machine, main, base) = try Self.hugeRegion()
        let frames = machine.pages.allocatedFrames
        #expect(machine.access(main, base + 5 * pageBytes, .write, value: 8) == .value(8))
        let (pmd, huge) = machine.leaf(main, base)
        #expect(huge)
        #expect(pmd.isHuge && pmd.isWritable && pmd.isDirty)
        #expect(machine.pages[pmd.pfn].flags.contains(.head))
        #expect(machine.pages[pmd.pfn].flags.contains(.anonExclusive))
        #expect(pmd.pfn.rawValue % 512 == 0)
        #expect(machine.pages.allocatedFrames == frames + 512)
        #expect(machine.faultResolutions == [.hugeNew])
        #expect(machine.mm(machine.mmID(of: main)).rss.anon == 512)
        #expect(machine.access(main, base + 6 * pageBytes, .read) == .value(0))
        #expect(machine.faultResolutions == [.hugeNew], "the rest of the 2 MiB needs no fault")
    }

    @Test("without MADV_HUGEPAGE (THP mode madvise) a write maps a 4 KiB page")
    func noMadviseNoTHP() throws {
        var (machine, main) = makeProcess()
        let base = try machine.mapAnon(main, pages: 512)
        _ = machine.access(main, base, .write, value: 1)
        #expect(machine.leaf(main, base).huge == false)
    }

    @Test("a read fault maps the huge zero page read-only")
    func readMapsHugeZeroPage() throws {
        var (machine, main, base) = try Self.hugeRegion()
        #expect(machine.access(main, base + hugeBytes + 9 * pageBytes, .read) == .value(0))
        let (pmd, huge) = machine.leaf(main, base + hugeBytes)
        #expect(huge)
        #expect(pmd.pfn == machine.pages.hugeZeroPage)
        #expect(!pmd.isWritable)
        #expect(machine.faultResolutions == [.hugeZeroPage])
    }

    @Test("do_huge_zero_wp_pmd: a write to the huge zero page maps a fresh THP after one full flush")
    func writeToHugeZeroPageMapsTHP() throws {
        var (machine, main, base) = try Self.hugeRegion()
        _ = machine.access(main, base, .read)
        machine.clearTrace()
        let frames = machine.pages.allocatedFrames
        let target = base + 7 * pageBytes
        #expect(machine.access(main, target, .write, value: 77) == .value(77))
        let (pmd, huge) = machine.leaf(main, target)
        #expect(huge)
        #expect(pmd.isWritable && pmd.isDirty && pmd.pfn != machine.pages.hugeZeroPage)
        #expect(machine.pages.allocatedFrames == frames + 512)
        #expect(machine.faultResolutions == [.hugeNew])
        let flushes = machine.flushRequests
        #expect(flushes.count == 1)
        #expect(flushes.first?.isFull == true, "pmdp_huge_clear_flush flushes 2 MiB at the 4 KiB stride: full")
        #expect(machine.access(main, base + 8 * pageBytes, .read) == .value(0))
        #expect(machine.access(main, target, .read) == .value(77))
    }

    @Test("do_huge_zero_wp_pmd: without a huge page the write splits the PMD and copies one 4 KiB page")
    func writeToHugeZeroPageSplitsWhenNoTHP() throws {
        // 1000 frames of RAM: the 513 reserved at boot leave room for 4 KiB pages but not for a 512-frame THP.
        var (machine, main) = makeProcess { $0.ramFrames = 1000 }
        let base = try machine.mapAnon(main, pages: 512, fixed: 0x7e00_0000_0000)
        try machine.madvise(main, base, hugeBytes, advice: Advice.hugePage.rawValue)
        _ = machine.access(main, base, .read)
        #expect(machine.leaf(main, base).entry.pfn == machine.pages.hugeZeroPage)
        machine.clearTrace()
        let frames = machine.pages.allocatedFrames
        let target = base + 7 * pageBytes
        #expect(machine.access(main, target, .write, value: 77) == .value(77))
        let (pte, huge) = machine.leaf(main, target)
        #expect(!huge)
        #expect(pte.isWritable && !pte.isSpecial)
        #expect(machine.pages.allocatedFrames == frames + 1)
        let (neighbour, neighbourHuge) = machine.leaf(main, base + 8 * pageBytes)
        #expect(!neighbourHuge)
        #expect(neighbour.pfn == machine.pages.zeroPage && neighbour.isSpecial && !neighbour.isWritable)
        let flushes = machine.flushRequests
        #expect(flushes.count == 2)
        #expect(flushes.first?.isFull == true, "the PMD invalidation flushes 2 MiB at the 4 KiB stride: full")
        #expect(flushes.last?.pages == 1, "then the COW's single-page flush")
    }

    @Test("a THP fault needs the whole aligned 2 MiB inside the VMA")
    func partialRangeFallsBack() throws {
        var (machine, main) = makeProcess()
        let base = try machine.mapAnon(main, pages: 1024)
        try machine.madvise(main, base + pageBytes, 1023 * pageBytes, advice: Advice.hugePage.rawValue)
        _ = machine.access(main, base + 4 * pageBytes, .write, value: 1)
        #expect(machine.leaf(main, base + 4 * pageBytes).huge == false)
        _ = machine.access(main, base + hugeBytes, .write, value: 1)
        #expect(machine.leaf(main, base + hugeBytes).huge == true)
    }
}
