import MMHardware
import MMKernel
import MMTestSupport
import Testing

/// What mlock faults in (`__mm_populate()` → `populate_vma_page_range()` in mm/gup.c) and what it charges to
/// `locked_vm`.
@Suite struct MlockPopulateTests {
    static let window: UInt64 = 0x7e00_0000_0000

    @Test("mlock of private writable memory faults every page in for write: own pages, writable")
    func privateWritableForWrite() throws {
        var (machine, main) = makeProcess()
        let base = try machine.mapAnon(main, pages: 8, fixed: Self.window)
        try machine.mlock(main, base, 8 * pageBytes, flags: 0)
        #expect(machine.writablePages(main, base, pages: 8) == 8)
        #expect(!machine.pages.isZero(machine.leaf(main, base).entry.pfn))
        #expect(machine.mm(machine.mmID(of: main)).rss.anon == 8)
    }

    @Test(
        "FOLL_FORCE reads for VMAs that are not private writable: read-only, exec-only and shared mappings are populated by read faults",
        arguments: [(Protection.read, false), (Protection.exec, false), (Protection([.read, .write]), true)])
    func populatedByReads(_ prot: Protection, _ shared: Bool) throws {
        var (machine, main) = makeProcess()
        let base = try machine.mapAnon(main, pages: 4, prot: prot, shared: shared, fixed: Self.window)
        try machine.mlock(main, base, 4 * pageBytes, flags: 0)
        #expect(machine.presentPages(main, base, pages: 4) == 4)
        if !shared {
            // A private read fault maps the shared zero page.
            #expect(machine.pages.isZero(machine.leaf(main, base).entry.pfn))
        }
    }

    @Test("write-only private memory is populated for write")
    func writeOnly() throws {
        var (machine, main) = makeProcess()
        let base = try machine.mapAnon(main, pages: 4, prot: .write, fixed: Self.window)
        try machine.mlock(main, base, 4 * pageBytes, flags: 0)
        #expect(machine.writablePages(main, base, pages: 4) == 4)
    }

    @Test("mlock2(MLOCK_ONFAULT) faults nothing in; a touch maps that page alone and the VMA stays lo lf")
    func onFaultPopulatesNothing() throws {
        var (machine, main) = makeProcess()
        let base = try machine.mapAnon(main, pages: 8, fixed: Self.window)
        #expect(machine.perform(.mlock2(address: base, length: 8 * pageBytes, flags: 1), by: main) == .returned(0))
        #expect(machine.presentPages(main, base, pages: 8) == 0)
        #expect(machine.lockedVM(main) == 8)
        _ = machine.access(main, base + 3 * pageBytes, .write, value: 7)
        #expect(machine.presentPages(main, base, pages: 8) == 1)
        #expect(machine.lockLayout(main, base, pages: 8) == ["0-8 lo lf"])
        try machine.mlock(main, base, 4 * pageBytes, flags: 0)
        #expect(machine.presentPages(main, base, pages: 8) == 4)
    }

    @Test("mlock over an MLOCK_ONFAULT range faults it in; locking it once more changes nothing")
    func relockPopulates() throws {
        var (machine, main) = makeProcess()
        let base = try machine.mapAnon(main, pages: 4, fixed: Self.window)
        try machine.mlock(main, base, 4 * pageBytes, flags: 1)
        try machine.mlock(main, base, 4 * pageBytes, flags: 0)
        try machine.mlock(main, base, 4 * pageBytes, flags: 0)
        #expect(machine.writablePages(main, base, pages: 4) == 4)
        #expect(machine.lockedVM(main) == 4)
    }

    @Test("mprotect of a locked read-only VMA to writable breaks COW at once: the zero pages become own pages")
    func mprotectLockedToWritable() throws {
        var (machine, main) = makeProcess()
        let base = try machine.mapAnon(main, pages: 4, prot: .read, fixed: Self.window)
        try machine.mlock(main, base, 4 * pageBytes, flags: 0)
        #expect(machine.writablePages(main, base, pages: 4) == 0)
        try machine.mprotect(main, base, 4 * pageBytes, prot: Protection([.read, .write]).rawValue)
        #expect(machine.writablePages(main, base, pages: 4) == 4)
        #expect(!machine.pages.isZero(machine.leaf(main, base).entry.pfn))
    }

    @Test("mprotect of an MLOCK_ONFAULT read-only VMA to writable populates nothing")
    func mprotectOnFaultToWritable() throws {
        var (machine, main) = makeProcess()
        let base = try machine.mapAnon(main, pages: 4, prot: .read, fixed: Self.window)
        try machine.mlock(main, base, 4 * pageBytes, flags: 1)
        try machine.mprotect(main, base, 4 * pageBytes, prot: Protection([.read, .write]).rawValue)
        #expect(machine.presentPages(main, base, pages: 4) == 0)
        #expect(machine.lockLayout(main, base, pages: 4) == ["0-4 lo lf"])
    }

    @Test("a file mapping running past the end of its file: the pages inside are faulted in, then SIGBUS is ENOMEM")
    func sigbusIsENOMEM() throws {
        var (machine, main) = makeProcess()
        let file = machine.createFile(name: "short", sizePages: 2)
        let base = try machine.mapFile(main, file, pages: 4, prot: .read, shared: false)
        #expect(throws: KernelErrno.ENOMEM) { try machine.mlock(main, base, 4 * pageBytes, flags: 0) }
        #expect(machine.presentPages(main, base, pages: 4) == 2)
        #expect(machine.lockLayout(main, base, pages: 4) == ["0-4 lo"])
    }

    @Test("running out of RAM while populating is VM_FAULT_OOM, which mlock reports as EAGAIN (the VMA stays locked)")
    func outOfMemoryIsEAGAIN() throws {
        var (machine, main) = makeProcess { $0.ramFrames = 1024 }
        let base = try machine.mapAnon(main, pages: 600, fixed: Self.window)
        #expect(machine.perform(.mlock(address: base, length: 600 * pageBytes), by: main) == .failed(.EAGAIN))
        #expect(machine.lockLayout(main, base, pages: 600) == ["0-600 lo"])
        let present = machine.presentPages(main, base, pages: 600)
        #expect(present > 0 && present < 600)
    }

    @Test("locked_vm: charged once per page whatever the overlap, given back by munlock and munmap")
    func lockedVMAccounting() throws {
        var (machine, main) = makeProcess()
        let base = try machine.mapAnon(main, pages: 16, fixed: Self.window)
        try machine.mlock(main, base, 8 * pageBytes, flags: 0)
        #expect(machine.lockedVM(main) == 8)
        try machine.mlock(main, base + 4 * pageBytes, 8 * pageBytes, flags: 1)
        #expect(machine.lockedVM(main) == 12)
        try machine.munlock(main, base + 2 * pageBytes, 2 * pageBytes)
        #expect(machine.lockedVM(main) == 10)
        try machine.munmap(main, base + 8 * pageBytes, 8 * pageBytes)
        #expect(machine.lockedVM(main) == 6)
        #expect(machine.lockLayout(main, base, pages: 16) == ["0-2 lo", "2-4", "4-8 lo lf"])
    }

    @Test("MAP_LOCKED maps locked, charged and populated; mremap growth of it is populated and charged too")
    func mapLockedAndGrowth() throws {
        var (machine, main) = makeProcess()
        let base = try machine.mapAnon(main, pages: 4, fixed: Self.window, extraFlags: .locked)
        #expect(machine.lockLayout(main, base, pages: 4) == ["0-4 lo"])
        #expect(machine.writablePages(main, base, pages: 4) == 4)
        #expect(machine.lockedVM(main) == 4)
        let grown = try machine.mremap(main, base, 4 * pageBytes, 8 * pageBytes, flags: 0, newAddress: 0)
        #expect(grown == base)
        #expect(machine.writablePages(main, base, pages: 8) == 8)
        #expect(machine.lockedVM(main) == 8)
    }
}
