import MMHardware
import MMKernel
import MMTestSupport
import Testing

/// Anonymous faults: `do_anonymous_page()`, `do_wp_page()`/`wp_page_copy()` (mm/memory.c).
@Suite struct AnonymousFaultTests {
    @Test("a read of an untouched anonymous page maps the shared zero page: special, read-only")
    func readMapsZeroPage() throws {
        var (machine, main) = makeProcess()
        let base = try machine.mapAnon(main, pages: 4)
        #expect(machine.access(main, base + pageBytes, .read) == .value(0))
        let (pte, huge) = machine.leaf(main, base + pageBytes)
        #expect(!huge)
        #expect(pte.hardwarePresent)
        #expect(pte.isSpecial)
        #expect(!pte.isWritable)
        #expect(pte.pfn == machine.pages.zeroPage)
        #expect(machine.faultResolutions == [.anonymousZeroPage])
        #expect(machine.mm(machine.mmID(of: main)).rss.anon == 0)
        #expect(machine.vma(main, containing: base)?.anonVMA == nil, "a zero-page read needs no anon_vma")
    }

    @Test("a write of an untouched anonymous page maps a new exclusive page, writable and dirty")
    func writeMapsNewExclusivePage() throws {
        var (machine, main) = makeProcess()
        let base = try machine.mapAnon(main, pages: 4)
        let frames = machine.pages.allocatedFrames
        #expect(machine.access(main, base, .write, value: 0xAB) == .value(0xAB))
        let (pte, _) = machine.leaf(main, base)
        #expect(pte.isWritable && pte.isDirty && pte.isAccessed)
        #expect(!pte.isSpecial)
        #expect(pte.isNoExecute)
        #expect(pte.pfn != machine.pages.zeroPage)
        let page = machine.pages[pte.pfn]
        #expect(page.flags.contains(.anon) && page.flags.contains(.anonExclusive))
        #expect(page.mapcount == 1)
        #expect(machine.pages.allocatedFrames == frames + 1)
        #expect(machine.faultResolutions == [.anonymousNew])
        #expect(machine.vma(main, containing: base)?.anonVMA != nil)
        #expect(machine.mm(machine.mmID(of: main)).rss.anon == 1)
    }

    @Test("a write after a read copies away from the zero page with one single-page flush")
    func writeAfterReadCOWsZeroPage() throws {
        var (machine, main) = makeProcess()
        let base = try machine.mapAnon(main, pages: 4)
        let address = base + 2 * pageBytes
        _ = machine.access(main, address, .read)
        machine.clearTrace()
        #expect(machine.access(main, address, .write, value: 3) == .value(3))
        #expect(machine.faultResolutions == [.copyOnWrite])
        let flushes = machine.flushRequests
        #expect(flushes.count == 1)
        #expect(flushes.first?.start == address)
        #expect(flushes.first?.end == address + pageBytes)
        #expect(flushes.first?.pages == 1)
        #expect(flushes.first?.freedTables == false)
        let (pte, _) = machine.leaf(main, address)
        #expect(pte.isWritable && pte.isDirty && pte.pfn != machine.pages.zeroPage)
        #expect(machine.pages[pte.pfn].flags.contains(.anonExclusive))
        #expect(machine.access(main, address + pageBytes, .read) == .value(0), "neighbours are not touched")
    }

    @Test("a second write to an exclusive page takes no fault")
    func secondWriteNoFault() throws {
        var (machine, main) = makeProcess()
        let base = try machine.mapAnon(main, pages: 1)
        _ = machine.access(main, base, .write, value: 1)
        machine.clearTrace()
        #expect(machine.access(main, base, .write, value: 2) == .value(2))
        #expect(machine.faultResolutions.isEmpty)
        #expect(machine.flushRequests.isEmpty)
    }

    @Test("MAP_POPULATE faults every page in for write")
    func populate() throws {
        var (machine, main) = makeProcess()
        let base = try machine.mapAnon(main, pages: 6, extraFlags: .populate)
        for page in 0..<6 {
            let (pte, _) = machine.leaf(main, base + UInt64(page) * pageBytes)
            #expect(pte.isWritable && !pte.isSpecial)
        }
        #expect(machine.mm(machine.mmID(of: main)).rss.anon == 6)
    }
}

/// Segmentation faults and their `si_code` (arch/x86/mm/fault.c: `bad_area_nosemaphore()` → SEGV_MAPERR,
/// `bad_area_access_error()` → SEGV_ACCERR).
@Suite struct SignalTests {
    static func signal(_ result: AccessResult) -> Signal? {
        if case .signal(let signal) = result { return signal }
        return nil
    }

    @Test("an access to an unmapped address is SEGV_MAPERR")
    func unmappedIsMapErr() throws {
        var (machine, main) = makeProcess()
        let base = try machine.mapAnon(main, pages: 1)
        let result = machine.access(main, base + pageBytes, .read)
        #expect(Self.signal(result)?.code == "SEGV_MAPERR")
        #expect(Self.signal(result)?.address == base + pageBytes)
        #expect(Self.signal(machine.access(main, 0, .read))?.code == "SEGV_MAPERR")
        #expect(Self.signal(machine.access(main, PageGeometry.taskSize + 4096, .read))?.code == "SEGV_MAPERR")
    }

    @Test("a write to a read-only mapping is SEGV_ACCERR, before and after the page is populated")
    func writeToReadOnlyIsAccErr() throws {
        var (machine, main) = makeProcess()
        let base = try machine.mapAnon(main, pages: 2, prot: .read)
        #expect(Self.signal(machine.access(main, base, .write, value: 1))?.code == "SEGV_ACCERR")
        #expect(machine.access(main, base + pageBytes, .read) == .value(0))
        #expect(Self.signal(machine.access(main, base + pageBytes, .write, value: 1))?.code == "SEGV_ACCERR")
        #expect(machine.access(main, base + pageBytes, .read) == .value(0))
    }

    @Test("any access to a PROT_NONE mapping is SEGV_ACCERR")
    func protNoneIsAccErr() throws {
        var (machine, main) = makeProcess()
        let base = try machine.mapAnon(main, pages: 1, prot: .none)
        #expect(Self.signal(machine.access(main, base, .read))?.code == "SEGV_ACCERR")
        #expect(Self.signal(machine.access(main, base, .write, value: 1))?.code == "SEGV_ACCERR")
        #expect(Self.signal(machine.access(main, base, .execute))?.code == "SEGV_ACCERR")
    }

    @Test("an instruction fetch from a non-exec mapping is SEGV_ACCERR (NX in the PTE)")
    func execOnNonExecIsAccErr() throws {
        var (machine, main) = makeProcess()
        let base = try machine.mapAnon(main, pages: 2)
        #expect(Self.signal(machine.access(main, base, .execute))?.code == "SEGV_ACCERR")
        _ = machine.access(main, base + pageBytes, .write, value: 5)
        #expect(Self.signal(machine.access(main, base + pageBytes, .execute))?.code == "SEGV_ACCERR")
    }

    @Test("an instruction fetch from an exec mapping succeeds")
    func execOnExecMapping() throws {
        var (machine, main) = makeProcess()
        let base = try machine.mapAnon(main, pages: 1, prot: [.read, .exec])
        #expect(machine.access(main, base, .execute) == .value(0))
        #expect(!machine.leaf(main, base).entry.isNoExecute)
    }
}
