import MMHardware
import MMKernel
import MMTestSupport
import Testing

/// MADV_COLD and MADV_PAGEOUT (`madvise_cold()`, `madvise_pageout()`, `madvise_cold_or_pageout_pte_range()`,
/// `reclaim_pages()` → `shrink_folio_list()`), Linux 6.18, on a machine without swap unless a row configures it.
@Suite struct MadviseColdPageoutTests {
    static func written(pages: UInt64 = 4, swapFrames: Int = 0) throws -> (Machine, TaskID, UInt64) {
        var (machine, main) = makeProcess { $0.swapFrames = swapFrames }
        let base = try machine.mapWritten(main, pages: pages)
        return (machine, main, base)
    }

    @Test("COLD makes young pages old (recorded for one flush) and keeps them mapped")
    func coldClearsAccessed() throws {
        var (machine, main, base) = try Self.written()
        #expect(machine.leaf(main, base).entry.isAccessed)
        machine.clearTrace()
        try machine.madvise(main, base, 4 * pageBytes, advice: Advice.cold.rawValue)
        for page: UInt64 in 0..<4 {
            let pte = machine.leaf(main, base + page * pageBytes).entry
            #expect(pte.hardwarePresent && !pte.isAccessed && pte.isDirty)
        }
        #expect(machine.flushRequests.count == 1)
        #expect(machine.access(main, base, .read) == .value(100))
    }

    @Test("COLD leaves pages another process maps alone")
    func coldSkipsShared() throws {
        var (machine, main, base) = try Self.written()
        let child = try machine.fork(main, childName: "child", cpu: CPUID(1))
        _ = machine.access(main, base, .read)
        try machine.madvise(main, base, pageBytes, advice: Advice.cold.rawValue)
        #expect(machine.leaf(main, base).entry.isAccessed)
        _ = child
    }

    @Test("can_madv_lru_vma(): COLD and PAGEOUT are EINVAL on locked VMAs", arguments: [Advice.cold, .pageOut])
    func lockedIsEINVAL(_ advice: Advice) throws {
        var (machine, main) = makeProcess()
        let base = try machine.mapAnon(main, pages: 2, extraFlags: .locked)
        #expect(throws: KernelErrno.EINVAL) { try machine.madvise(main, base, pageBytes, advice: advice.rawValue) }
    }

    @Test("PAGEOUT without swap: anonymous pages stay mapped with their contents")
    func pageOutNoSwapKeepsAnon() throws {
        var (machine, main, base) = try Self.written()
        try machine.madvise(main, base, 4 * pageBytes, advice: Advice.pageOut.rawValue)
        #expect(machine.leaf(main, base).entry.hardwarePresent)
        #expect(machine.mm(machine.mmID(of: main)).rss.anon == 4)
        #expect(machine.access(main, base + pageBytes, .read) == .value(101))
    }

    @Test("PAGEOUT with swap: anonymous pages go to swap entries, RSS falls, and a read swaps the contents back")
    func pageOutWithSwap() throws {
        var (machine, main, base) = try Self.written(swapFrames: 64)
        try machine.madvise(main, base, 4 * pageBytes, advice: Advice.pageOut.rawValue)
        let entry = SwapEntry(pte: machine.leaf(main, base + pageBytes).entry)
        #expect(entry?.kind == .swap(type: 0))
        #expect(entry?.exclusive == true)
        #expect(machine.mm(machine.mmID(of: main)).rss.anon == 0)
        #expect(machine.access(main, base + pageBytes, .read) == .value(101))
        #expect(machine.faultResolutions.last == .swapIn)
    }

    @Test("fork after PAGEOUT to swap: parent and child each read the swapped contents back, neither exclusively")
    func forkSwapped() throws {
        var (machine, main, base) = try Self.written(swapFrames: 64)
        try machine.madvise(main, base, 4 * pageBytes, advice: Advice.pageOut.rawValue)
        let child = try machine.fork(main, childName: "child", cpu: CPUID(1))
        #expect(SwapEntry(pte: machine.leaf(main, base).entry)?.exclusive == false)
        #expect(machine.access(child, base + 2 * pageBytes, .read) == .value(102))
        #expect(machine.access(child, base + 2 * pageBytes, .write, value: 9) == .value(9))
        #expect(machine.access(main, base + 2 * pageBytes, .read) == .value(102))
    }

    @Test("PAGEOUT with a full swap device leaves the pages that do not fit")
    func swapFull() throws {
        var (machine, main, base) = try Self.written(swapFrames: 2)
        try machine.madvise(main, base, 4 * pageBytes, advice: Advice.pageOut.rawValue)
        #expect(machine.mm(machine.mmID(of: main)).rss.anon == 2)
        #expect(machine.swapSlots.count == 2)
    }

    @Test("PAGEOUT after FREE discards clean pages (demand-zero next) but keeps pages written since")
    func pageOutLazyFree() throws {
        var (machine, main, base) = try Self.written()
        try machine.madvise(main, base, 4 * pageBytes, advice: Advice.free.rawValue)
        _ = machine.access(main, base + pageBytes, .write, value: 77)
        try machine.madvise(main, base, 4 * pageBytes, advice: Advice.pageOut.rawValue)
        #expect(machine.leaf(main, base).entry.isNone)
        #expect(machine.access(main, base, .read) == .value(0))
        #expect(machine.access(main, base + pageBytes, .read) == .value(77))
        #expect(!machine.pages[machine.leaf(main, base + pageBytes).entry.pfn].flags.contains(.lazyFree))
    }

    @Test("PAGEOUT of a file mapping unmaps its pages and drops the clean ones from the page cache")
    func pageOutFile() throws {
        var (machine, main) = makeProcess()
        let file = machine.createFile(name: "data", sizePages: 2)
        let base = try machine.mapFile(main, file, pages: 2, prot: [.read, .write], shared: true)
        _ = machine.access(main, base, .read)
        _ = machine.access(main, base + pageBytes, .write, value: 5)
        machine.clearTrace()
        try machine.madvise(main, base, 2 * pageBytes, advice: Advice.pageOut.rawValue)
        #expect(machine.leaf(main, base).entry.isNone && machine.leaf(main, base + pageBytes).entry.isNone)
        #expect(machine.files[file.rawValue].pageCache[0] == nil, "clean: dropped")
        #expect(machine.files[file.rawValue].pageCache[1] != nil, "dirty: stays cached")
        #expect(machine.flushRequests.count == 1)
        #expect(machine.access(main, base, .read) == .value(machine.files[file.rawValue].initialToken(page: 0)))
        #expect(machine.access(main, base + pageBytes, .read) == .value(5))
    }

    @Test("PAGEOUT of a whole THP without swap splits it (the large folio cannot get swap) and keeps the pages")
    func pageOutSplitsTHP() throws {
        var (machine, main) = makeProcess()
        let base = try machine.mapTHP(main, value: 8)
        try machine.madvise(main, base, hugeBytes, advice: Advice.pageOut.rawValue)
        #expect(!machine.leaf(main, base).huge)
        #expect(machine.access(main, base, .read) == .value(8))
    }

    @Test("COLD of a whole young THP keeps it huge and makes the PMD old")
    func coldTHP() throws {
        var (machine, main) = makeProcess()
        let base = try machine.mapTHP(main, value: 8)
        try machine.madvise(main, base, hugeBytes, advice: Advice.cold.rawValue)
        #expect(machine.leaf(main, base).huge && !machine.leaf(main, base).entry.isAccessed)
    }
}
