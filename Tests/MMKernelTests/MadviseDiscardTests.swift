import MMHardware
import MMKernel
import MMTestSupport
import Testing

/// MADV_DONTNEED, MADV_DONTNEED_LOCKED and MADV_FREE (`madvise_dontneed_free()`, `madvise_free_pte_range()`), and the
/// seal check every discarding advice passes first (`can_madvise_modify()`), Linux 6.18.
@Suite struct MadviseDiscardTests {
    /// Four written private anonymous pages (tokens 100...103).
    static func written(pages: UInt64 = 4, extraFlags: MapFlags = []) throws -> (Machine, TaskID, UInt64) {
        var (machine, main) = makeProcess()
        let base = try machine.mapWritten(main, pages: pages, extraFlags: extraFlags)
        return (machine, main, base)
    }

    @Test("DONTNEED drops the pages: the next read is demand-zero, and RSS falls")
    func dontNeedZeroes() throws {
        var (machine, main, base) = try Self.written()
        try machine.madvise(main, base + pageBytes, 2 * pageBytes, advice: Advice.dontNeed.rawValue)
        #expect(machine.mm(machine.mmID(of: main)).rss.anon == 2)
        #expect(machine.access(main, base + pageBytes, .read) == .value(0))
        #expect(machine.access(main, base, .read) == .value(100))
        #expect(machine.access(main, base + 3 * pageBytes, .read) == .value(103))
    }

    @Test("DONTNEED on a private file mapping drops the COW copy: the file's page shows again")
    func dontNeedPrivateFile() throws {
        var (machine, main) = makeProcess()
        let file = machine.createFile(name: "data", sizePages: 2)
        let base = try machine.mapFile(main, file, pages: 2, prot: [.read, .write], shared: false)
        _ = machine.access(main, base, .write, value: 7)
        try machine.madvise(main, base, pageBytes, advice: Advice.dontNeed.rawValue)
        #expect(machine.access(main, base, .read) == .value(machine.files[file.rawValue].initialToken(page: 0)))
    }

    @Test("madvise_dontneed_free_valid_vma(): DONTNEED and FREE are EINVAL on a locked VMA; DONTNEED_LOCKED works")
    func lockedVMA() throws {
        var (machine, main, base) = try Self.written(extraFlags: .locked)
        for advice in [Advice.dontNeed, .free] {
            #expect(throws: KernelErrno.EINVAL) { try machine.madvise(main, base, pageBytes, advice: advice.rawValue) }
        }
        #expect(machine.access(main, base, .read) == .value(100))
        try machine.madvise(main, base, pageBytes, advice: Advice.dontNeedLocked.rawValue)
        #expect(machine.access(main, base, .read) == .value(0))
    }

    @Test("DONTNEED, DONTNEED_LOCKED and FREE are EINVAL on a VM_PFNMAP VMA")
    func pfnMap() throws {
        var (machine, main, base) = try Self.written()
        machine.addVMAFlags(main, containing: base, .pfnMap)
        for advice in [Advice.dontNeed, .dontNeedLocked, .free] {
            #expect(throws: KernelErrno.EINVAL) { try machine.madvise(main, base, pageBytes, advice: advice.rawValue) }
        }
    }

    @Test("MADV_FREE is EINVAL on file and shared anonymous (shmem) mappings")
    func freeAnonymousOnly() throws {
        var (machine, main) = makeProcess()
        let shared = try machine.mapAnon(main, pages: 2, shared: true)
        #expect(throws: KernelErrno.EINVAL) {
            try machine.madvise(main, shared, pageBytes, advice: Advice.free.rawValue)
        }
        let file = machine.createFile(name: "data", sizePages: 2)
        let mapped = try machine.mapFile(main, file, pages: 2, prot: [.read, .write], shared: false)
        #expect(throws: KernelErrno.EINVAL) {
            try machine.madvise(main, mapped, pageBytes, advice: Advice.free.rawValue)
        }
    }

    @Test("MADV_FREE keeps the pages mapped, but clean, old and lazily freeable")
    func freeMarksLazy() throws {
        var (machine, main, base) = try Self.written()
        try machine.madvise(main, base, 2 * pageBytes, advice: Advice.free.rawValue)
        let pte = machine.leaf(main, base).entry
        #expect(pte.hardwarePresent && !pte.isDirty && !pte.isAccessed)
        #expect(machine.pages[pte.pfn].flags.contains(.lazyFree))
        #expect(machine.access(main, base, .read) == .value(100))
        #expect(!machine.pages[machine.leaf(main, base + 2 * pageBytes).entry.pfn].flags.contains(.lazyFree))
    }

    @Test("madvise_batch_tlb_flush(): DONTNEED over two VMAs flushes once, through one mmu_gather")
    func dontNeedOneFlushAcrossVMAs() throws {
        var (machine, main, base) = try Self.written(pages: 4)
        try machine.madvise(main, base + 2 * pageBytes, 2 * pageBytes, advice: Advice.dontDump.rawValue)
        #expect(machine.mm(machine.mmID(of: main)).vmas.count == 2)
        machine.clearTrace()
        try machine.madvise(main, base, 4 * pageBytes, advice: Advice.dontNeed.rawValue)
        #expect(machine.flushRequests.count == 1)
    }

    @Test("DONTNEED of a whole THP clears the PMD; of part of one splits it first")
    func dontNeedTHP() throws {
        var (machine, main) = makeProcess()
        let base = PageGeometry.alignUp(try machine.mapAnon(main, pages: 1536), hugeBytes)
        try machine.madvise(main, base, 2 * hugeBytes, advice: Advice.hugePage.rawValue)
        _ = machine.access(main, base, .write, value: 1)
        _ = machine.access(main, base + hugeBytes, .write, value: 2)
        try machine.madvise(main, base, hugeBytes, advice: Advice.dontNeed.rawValue)
        #expect(machine.leaf(main, base).entry.isNone)
        try machine.madvise(main, base + hugeBytes + pageBytes, pageBytes, advice: Advice.dontNeed.rawValue)
        #expect(!machine.leaf(main, base + hugeBytes).huge)
        #expect(machine.access(main, base + hugeBytes, .read) == .value(2))
        #expect(machine.leaf(main, base + hugeBytes + pageBytes).entry.isNone)
    }

    @Test("CONFIG_PT_RECLAIM: DONTNEED of a whole 2 MiB of small pages frees the emptied PTE table (freed_tables)")
    func dontNeedReclaimsPageTable() throws {
        var (machine, main) = makeProcess()
        let base = PageGeometry.alignUp(try machine.mapAnon(main, pages: 1024), hugeBytes)
        for page: UInt64 in [0, 1, 511] { _ = machine.access(main, base + page * pageBytes, .write, value: page) }
        machine.clearTrace()
        try machine.madvise(main, base, hugeBytes, advice: Advice.dontNeed.rawValue)
        #expect(machine.leaf(main, base).entry.isNone && !machine.leaf(main, base).huge)
        #expect(machine.flushRequests.map(\.freedTables) == [true])
        #expect(machine.access(main, base + pageBytes, .read) == .value(0))
    }

    @Test("CONFIG_PT_RECLAIM: a partial range, or a guard marker left in the table, keeps the PTE table")
    func dontNeedKeepsPageTable() throws {
        var (machine, main) = makeProcess()
        let base = PageGeometry.alignUp(try machine.mapAnon(main, pages: 1024), hugeBytes)
        _ = machine.access(main, base, .write, value: 1)
        machine.clearTrace()
        try machine.madvise(main, base, hugeBytes - pageBytes, advice: Advice.dontNeed.rawValue)
        #expect(machine.flushRequests.map(\.freedTables) == [false])
        try machine.madvise(main, base + pageBytes, pageBytes, advice: Advice.guardInstall.rawValue)
        machine.clearTrace()
        try machine.madvise(main, base, hugeBytes, advice: Advice.dontNeed.rawValue)
        #expect(machine.flushRequests.allSatisfy { !$0.freedTables })
        #expect(machine.access(main, base + pageBytes, .read).signalCode == "SIGSEGV/SEGV_MAPERR")
    }

    static let discarding: [Advice] = [.dontNeed, .dontNeedLocked, .free, .dontFork, .wipeOnFork, .guardInstall]

    @Test(
        "can_madvise_modify(): discarding advice on a sealed read-only private anonymous VMA is EPERM",
        arguments: discarding)
    func sealedReadOnlyAnonymous(_ advice: Advice) throws {
        var (machine, main) = makeProcess()
        let base = try machine.mapAnon(main, pages: 2, prot: .read)
        try machine.mseal(main, base, 2 * pageBytes)
        #expect(throws: KernelErrno.EPERM) { try machine.madvise(main, base, pageBytes, advice: advice.rawValue) }
    }

    @Test("can_madvise_modify(): the same advice is allowed on sealed writable anonymous memory", arguments: discarding)
    func sealedWritableAnonymous(_ advice: Advice) throws {
        var (machine, main) = makeProcess()
        let base = try machine.mapAnon(main, pages: 2)
        try machine.mseal(main, base, 2 * pageBytes)
        try machine.madvise(main, base, pageBytes, advice: advice.rawValue)
    }

    /// Rows: (pku). WRPKRU write-disables key 0, the VMA's key; without PKU there is no key to disable.
    @Test(
        "can_madvise_modify(): a sealed writable anonymous VMA whose key PKRU write-disables is EPERM; without PKU not",
        arguments: [true, false])
    func sealedWritableButPKRUWriteDisabled(pku: Bool) throws {
        var (machine, main) = makeProcess { $0.pku = pku }
        let base = try machine.mapAnon(main, pages: 2)
        try machine.mseal(main, base, 2 * pageBytes)
        machine.writePKRU(main, PKRU.writeDisable(0))
        let result = machine.perform(
            .madvise(address: base, length: pageBytes, advice: Int64(Advice.dontNeed.rawValue)), by: main)
        #expect(result == (pku ? .failed(.EPERM) : .returned(0)))
    }

    @Test("can_madvise_modify(): sealed read-only file mappings, private or shared, may be discarded (6.17+)")
    func sealedReadOnlyFile() throws {
        var (machine, main) = makeProcess()
        let file = machine.createFile(name: "data", sizePages: 2)
        for shared in [false, true] {
            let base = try machine.mapFile(main, file, pages: 2, prot: .read, shared: shared)
            try machine.mseal(main, base, 2 * pageBytes)
            try machine.madvise(main, base, pageBytes, advice: Advice.dontNeed.rawValue)
        }
    }

    @Test("non-discarding advice on a sealed read-only anonymous VMA passes the seal check (COLD, WILLNEED, POPULATE)")
    func sealedNonDiscard() throws {
        var (machine, main) = makeProcess()
        let base = try machine.mapAnon(main, pages: 2, prot: .read)
        try machine.mseal(main, base, 2 * pageBytes)
        for advice in [Advice.cold, .pageOut, .willNeed, .populateRead, .guardRemove] {
            try machine.madvise(main, base, pageBytes, advice: advice.rawValue)
        }
    }
}
