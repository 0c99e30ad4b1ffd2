import MMHardware
import MMKernel
import MMTestSupport
import Testing

/// munmap(2): `do_vmi_align_munmap()` with its mmu_gather — `unmap_vmas()`, `free_pgtables()`, and the TLB flush that
/// must precede freeing pages and tables.
@Suite struct MunmapTests {
    /// 1 GiB-aligned, so that which page tables a munmap frees depends only on the VMAs a test creates.
    static let window: UInt64 = 0x7e00_0000_0000

    @Test("munmap of zero length or an unaligned start is EINVAL")
    func argumentErrors() throws {
        var (machine, main) = makeProcess()
        let base = try machine.mapAnon(main, pages: 2)
        #expect(throws: KernelErrno.EINVAL) { try machine.munmap(main, base, 0) }
        #expect(throws: KernelErrno.EINVAL) { try machine.munmap(main, base + 1, pageBytes) }
        #expect(throws: KernelErrno.EINVAL) { try machine.munmap(main, base, UInt64.max) }
        #expect(machine.mm(machine.mmID(of: main)).vmas.count == 1)
        try machine.munmap(main, base + 2 * pageBytes, 3 * pageBytes)
        #expect(machine.mm(machine.mmID(of: main)).vmas.count == 1, "unmapping nothing succeeds")
    }

    @Test("munmap frees the pages (after the flush) and a later fault reuses a freed frame")
    func pagesFreedAndReused() throws {
        var (machine, main) = makeProcess()
        let base = try machine.mapAnon(main, pages: 4)
        let idle = machine.pages.allocatedFrames
        for page in 0..<4 { _ = machine.access(main, base + UInt64(page) * pageBytes, .write, value: 1) }
        let frames = (0..<4).map { machine.leaf(main, base + UInt64($0) * pageBytes).entry.pfn }
        #expect(machine.pages.allocatedFrames == idle + 4)
        machine.clearTrace()
        try machine.munmap(main, base, 4 * pageBytes)
        #expect(machine.pages.allocatedFrames == idle)
        #expect(machine.flushRequests.count == 1)
        let again = try machine.mapAnon(main, pages: 1)
        _ = machine.access(main, again, .write, value: 2)
        #expect(frames.contains(machine.leaf(main, again).entry.pfn))
        #expect(machine.mm(machine.mmID(of: main)).rss.anon == 1)
    }

    @Test("a freed frame reused by another mapping is unreachable through the old address on any CPU")
    func noStaleAccessAfterReuse() throws {
        var (machine, main) = makeProcess()
        let mmID = machine.mmID(of: main)
        let helper = machine.createThread(name: "helper", mm: mmID, cpu: CPUID(1))
        let base = try machine.mapAnon(main, pages: 1)
        _ = machine.access(main, base, .write, value: 1)
        #expect(machine.access(helper, base, .read) == .value(1))
        try machine.munmap(main, base, pageBytes)
        let reused = try machine.mapAnon(main, pages: 1, fixed: base + 16 * pageBytes)
        _ = machine.access(main, reused, .write, value: 0xDEAD)
        guard case .signal(let signal) = machine.access(helper, base, .read) else {
            Issue.record("CPU1 still reaches the freed frame through a stale TLB entry")
            return
        }
        #expect(signal.code == "SEGV_MAPERR")
    }

    @Test(
        "munmap of a whole 2 MiB-aligned VMA frees its PTE table: one flush of 16 pages with freed_tables (free_pgd_range)"
    )
    func alignedVMAFreesTable() throws {
        var (machine, main) = makeProcess()
        let base = try machine.mapAnon(main, pages: 16, fixed: Self.window + hugeBytes)
        _ = try machine.mapAnon(main, pages: 1, fixed: Self.window + 2 * hugeBytes + 16 * pageBytes)
        for page in 0..<16 { _ = machine.access(main, base + UInt64(page) * pageBytes, .write, value: 1) }
        let tables = machine.pageTables.liveTables
        machine.clearTrace()
        try machine.munmap(main, base, 16 * pageBytes)
        #expect(machine.pageTables.liveTables == tables - 1)
        let flushes = machine.flushRequests
        #expect(flushes.count == 1)
        #expect(flushes.first?.pages == 16)
        #expect(flushes.first?.start == base)
        #expect(flushes.first?.freedTables == true)
    }

    @Test(
        "munmap of a 16-page VMA alone in its 2 MiB but not at its start flushes everything: the freed table widens the range to the PMD start (pte_free_tlb)"
    )
    func unalignedVMAFreesTableFullFlush() throws {
        var (machine, main) = makeProcess()
        let base = try machine.mapAnon(main, pages: 16, fixed: Self.window + hugeBytes + 64 * pageBytes)
        _ = try machine.mapAnon(main, pages: 1, fixed: Self.window + 2 * hugeBytes + 16 * pageBytes)
        for page in 0..<16 { _ = machine.access(main, base + UInt64(page) * pageBytes, .write, value: 1) }
        machine.clearTrace()
        try machine.munmap(main, base, 16 * pageBytes)
        let flushes = machine.flushRequests
        #expect(flushes.count == 1)
        #expect(flushes.first?.isFull == true)
        #expect(flushes.first?.freedTables == true)
    }

    @Test(
        "munmap of 16 pages sharing their PTE table with another VMA flushes exactly 16 pages and frees no table (free_pgd_range ceiling)"
    )
    func sharedTableNoFree() throws {
        var (machine, main) = makeProcess()
        let base = try machine.mapAnon(main, pages: 16, fixed: Self.window + hugeBytes + 64 * pageBytes)
        let neighbour = try machine.mapAnon(main, pages: 1, prot: .read, fixed: base + 32 * pageBytes)
        _ = machine.access(main, neighbour, .read)
        for page in 0..<16 { _ = machine.access(main, base + UInt64(page) * pageBytes, .write, value: 1) }
        let tables = machine.pageTables.liveTables
        machine.clearTrace()
        try machine.munmap(main, base, 16 * pageBytes)
        #expect(machine.pageTables.liveTables == tables)
        let flushes = machine.flushRequests
        #expect(flushes.count == 1)
        #expect(flushes.first?.pages == 16)
        #expect(flushes.first?.freedTables == false)
    }

    @Test("munmap of a VMA alone in its 1 GiB frees the PMD table too (free_pud_range)")
    func isolatedVMAFreesUpperTables() throws {
        var (machine, main) = makeProcess()
        let base = try machine.mapAnon(main, pages: 4, fixed: Self.window + 8 * hugeBytes)
        _ = machine.access(main, base, .write, value: 1)
        let tables = machine.pageTables.liveTables
        machine.clearTrace()
        try machine.munmap(main, base, 4 * pageBytes)
        #expect(machine.pageTables.liveTables <= tables - 2)
        #expect(machine.flushRequests.first?.isFull == true)
    }

    @Test("munmap of an unpopulated VMA issues no flush")
    func unpopulatedNoFlush() throws {
        var (machine, main) = makeProcess()
        let base = try machine.mapAnon(main, pages: 4)
        machine.clearTrace()
        try machine.munmap(main, base, 4 * pageBytes)
        #expect(machine.flushRequests.isEmpty)
    }

    @Test("partial munmap splits the VMA and keeps the rest's contents")
    func partialSplits() throws {
        var (machine, main) = makeProcess()
        let base = try machine.mapAnon(main, pages: 3, fixed: Self.window)
        for page in 0..<3 { _ = machine.access(main, base + UInt64(page) * pageBytes, .write, value: UInt64(page + 1)) }
        try machine.munmap(main, base + pageBytes, pageBytes)
        let mmID = machine.mmID(of: main)
        #expect(machine.relativeLayout(mmID, base: base, length: 3 * pageBytes) == "[0,1)rw-p [2,3)rw-p")
        #expect(machine.mm(mmID).vmas.isWellFormed)
        #expect(machine.access(main, base, .read) == .value(1))
        #expect(machine.access(main, base + 2 * pageBytes, .read) == .value(3))
        #expect(machine.vma(main, containing: base + 2 * pageBytes)?.pgoff == (base >> 12) + 2)
        #expect(machine.mm(mmID).accounting.totalVM == 2)
        #expect(machine.mm(mmID).rss.anon == 2)
    }

    @Test("munmap spanning several VMAs and holes removes them all with one flush")
    func spanningSeveralVMAs() throws {
        var (machine, main) = makeProcess()
        let base = try machine.mapAnon(main, pages: 2, fixed: Self.window)
        _ = try machine.mapAnon(main, pages: 2, prot: .read, fixed: Self.window + 3 * pageBytes)
        _ = try machine.mapAnon(main, pages: 2, fixed: Self.window + 6 * pageBytes)
        for page: UInt64 in [0, 1, 3, 6, 7] { _ = machine.access(main, base + page * pageBytes, .read) }
        _ = machine.access(main, base, .write, value: 1)
        machine.clearTrace()
        try machine.munmap(main, base + pageBytes, 6 * pageBytes)
        #expect(
            machine.relativeLayout(machine.mmID(of: main), base: base, length: 8 * pageBytes) == "[0,1)rw-p [7,8)rw-p")
        #expect(machine.flushRequests.count == 1)
    }

    @Test("munmap of part of a THP splits the PMD; the rest stays mapped with its data")
    func partialTHPSplits() throws {
        var (machine, main) = makeProcess()
        let base = try machine.mapAnon(main, pages: 512)
        try machine.madvise(main, base, hugeBytes, advice: Advice.hugePage.rawValue)
        _ = machine.access(main, base, .write, value: 0x77)
        _ = machine.access(main, base + 100 * pageBytes, .write, value: 0x88)
        #expect(machine.leaf(main, base).huge)
        machine.clearTrace()
        try machine.munmap(main, base + 10 * pageBytes, pageBytes)
        #expect(!machine.leaf(main, base).huge)
        #expect(machine.leaf(main, base + 10 * pageBytes).entry.isNone)
        #expect(machine.access(main, base, .read) == .value(0x77))
        #expect(machine.access(main, base + 100 * pageBytes, .read) == .value(0x88))
        #expect(machine.flushRequests.first?.isFull == true, "the split's own flush comes first")
        #expect(machine.mm(machine.mmID(of: main)).rss.anon == 511)
    }

    @Test("munmap of a whole THP flushes it at the PMD stride: one INVLPG")
    func wholeTHP() throws {
        var (machine, main) = makeProcess()
        let base = try machine.mapAnon(main, pages: 1024)
        try machine.madvise(main, base, 2 * hugeBytes, advice: Advice.hugePage.rawValue)
        _ = machine.access(main, base, .write, value: 1)
        _ = machine.access(main, base + hugeBytes, .write, value: 1)
        let frames = machine.pages.allocatedFrames
        machine.clearTrace()
        try machine.munmap(main, base, hugeBytes)
        #expect(machine.pages.allocatedFrames == frames - 512)
        let flush = try #require(machine.flushRequests.first)
        #expect(machine.flushRequests.count == 1)
        #expect(flush.strideShift == PageGeometry.pmdShift)
        #expect(flush.pages == 1)
    }
}

/// Who gets an IPI for a munmap flush: `native_flush_tlb_multi()` and `should_flush_tlb()` in arch/x86/mm/tlb.c.
@Suite struct MunmapIPITests {
    static let window: UInt64 = 0x7e00_0000_0000

    /// A process with a second thread on CPU1 that has touched memory (so it runs the mm), and a 16-page region
    /// whose PTE table is shared with a neighbour (no table freed on munmap) plus an isolated one (table freed).
    static func setup() throws -> (Machine, TaskID, TaskID, shared: UInt64, isolated: UInt64) {
        var (machine, main) = makeProcess()
        let helper = machine.createThread(name: "helper", mm: machine.mmID(of: main), cpu: CPUID(1))
        let shared = try machine.mapAnon(main, pages: 16, fixed: window + hugeBytes)
        let neighbour = try machine.mapAnon(main, pages: 1, prot: .read, fixed: window + hugeBytes + 64 * pageBytes)
        let isolated = try machine.mapAnon(main, pages: 16, fixed: window + 4 * hugeBytes)
        _ = try machine.mapAnon(main, pages: 1, prot: .read, fixed: window + 6 * hugeBytes)
        _ = machine.access(main, neighbour, .read)
        for page in 0..<16 {
            _ = machine.access(main, shared + UInt64(page) * pageBytes, .write, value: 1)
            _ = machine.access(main, isolated + UInt64(page) * pageBytes, .write, value: 1)
        }
        _ = machine.access(helper, shared, .read)
        return (machine, main, helper, shared, isolated)
    }

    @Test("a thread of the mm running on CPU1 gets one IPI per flush")
    func runningThreadGetsIPI() throws {
        var (machine, main, _, shared, isolated) = try Self.setup()
        let before = machine.cpus[1].counters.ipisReceived
        machine.clearTrace()
        try machine.munmap(main, shared, 16 * pageBytes)
        #expect(machine.flushRequests.count == 1)
        #expect(machine.flushRequests.first?.remote == [CPUID(1)])
        #expect(machine.cpus[1].counters.ipisReceived == before + 1)
        try machine.munmap(main, isolated, 16 * pageBytes)
        #expect(machine.cpus[1].counters.ipisReceived == before + 2)
        #expect(machine.ipis.count == 2)
    }

    @Test("a single-threaded process sends no IPIs")
    func singleThreadNoIPI() throws {
        var (machine, main) = makeProcess()
        let base = try machine.mapAnon(main, pages: 16)
        for page in 0..<16 { _ = machine.access(main, base + UInt64(page) * pageBytes, .write, value: 1) }
        machine.clearTrace()
        try machine.munmap(main, base, 16 * pageBytes)
        #expect(machine.flushRequests.count == 1)
        #expect(machine.ipis.isEmpty)
    }

    @Test("an idle (lazy) CPU1 gets no IPI for a flush without freed tables, but does when tables are freed")
    func lazyCPU() throws {
        var (machine, main, _, shared, isolated) = try Self.setup()
        machine.idle(cpu: CPUID(1))
        let mmID = machine.mmID(of: main)
        #expect(machine.mm(mmID).cpumask.contains(CPUID(1)))
        let before = machine.cpus[1].counters.ipisReceived
        machine.clearTrace()
        try machine.munmap(main, shared, 16 * pageBytes)
        #expect(machine.flushRequests.first?.freedTables == false)
        #expect(machine.flushRequests.first?.remote == [])
        #expect(machine.cpus[1].counters.ipisReceived == before)
        try machine.munmap(main, isolated, 16 * pageBytes)
        #expect(machine.flushRequests.last?.freedTables == true)
        #expect(machine.flushRequests.last?.remote == [CPUID(1)])
        #expect(machine.cpus[1].counters.ipisReceived == before + 1)
        #expect(machine.cpuState[1].loadedMM == nil, "the lazy CPU drops the mm instead of flushing it")
    }
}
