import MMHardware
import MMKernel
import MMTestSupport
import Testing

/// MADV_POPULATE_READ / MADV_POPULATE_WRITE (`madvise_populate()` → `faultin_page_range()` → `__get_user_pages()`
/// with `FOLL_MADV_POPULATE`, `check_vma_flags()`), Linux 6.18.
@Suite struct MadvisePopulateTests {
    static let window: UInt64 = 0x7e00_00c0_0000

    @Test("POPULATE_READ maps the zero page read-only over never-touched anonymous memory")
    func readMapsZeroPage() throws {
        var (machine, main) = makeProcess()
        let base = try machine.mapAnon(main, pages: 4)
        try machine.madvise(main, base, 4 * pageBytes, advice: Advice.populateRead.rawValue)
        for page: UInt64 in 0..<4 {
            let pte = machine.leaf(main, base + page * pageBytes).entry
            #expect(pte.hardwarePresent && pte.isSpecial && !pte.isWritable)
            #expect(pte.pfn == machine.pages.zeroPage)
        }
        #expect(machine.mm(machine.mmID(of: main)).rss.anon == 0)
    }

    @Test("POPULATE_WRITE allocates writable, dirty private pages")
    func writeAllocates() throws {
        var (machine, main) = makeProcess()
        let base = try machine.mapAnon(main, pages: 4)
        try machine.madvise(main, base, 4 * pageBytes, advice: Advice.populateWrite.rawValue)
        for page: UInt64 in 0..<4 {
            let pte = machine.leaf(main, base + page * pageBytes).entry
            #expect(pte.hardwarePresent && pte.isWritable && pte.isDirty && !pte.isSpecial)
        }
        #expect(machine.mm(machine.mmID(of: main)).rss.anon == 4)
    }

    @Test("POPULATE_WRITE breaks COW after POPULATE_READ mapped the zero page")
    func writeAfterRead() throws {
        var (machine, main) = makeProcess()
        let base = try machine.mapAnon(main, pages: 2)
        try machine.madvise(main, base, 2 * pageBytes, advice: Advice.populateRead.rawValue)
        try machine.madvise(main, base, 2 * pageBytes, advice: Advice.populateWrite.rawValue)
        #expect(!machine.leaf(main, base).entry.isSpecial && machine.leaf(main, base).entry.isWritable)
    }

    @Test("POPULATE_READ of a file mapping maps its page-cache pages")
    func readFile() throws {
        var (machine, main) = makeProcess()
        let file = machine.createFile(name: "data", sizePages: 2)
        let base = try machine.mapFile(main, file, pages: 2, prot: .read, shared: true)
        try machine.madvise(main, base, 2 * pageBytes, advice: Advice.populateRead.rawValue)
        #expect(machine.mappedFrame(machine.mmID(of: main), base) == machine.files[file.rawValue].pageCache[0])
    }

    struct PermissionRow: Sendable, CustomTestStringConvertible {
        var name: String
        var prot: Protection
        var advice: Advice
        var testDescription: String { name }
    }

    static let refused: [PermissionRow] = [
        PermissionRow(name: "POPULATE_WRITE of a read-only mapping", prot: .read, advice: .populateWrite),
        PermissionRow(name: "POPULATE_READ of a PROT_NONE mapping", prot: .none, advice: .populateRead),
        PermissionRow(name: "POPULATE_WRITE of a PROT_NONE mapping", prot: .none, advice: .populateWrite),
        PermissionRow(name: "POPULATE_READ of a write-only mapping (no VM_READ)", prot: .write, advice: .populateRead),
    ]

    @Test("check_vma_flags(): a mapping the access may not use is EINVAL (not EFAULT) for populate", arguments: refused)
    func permissionIsEINVAL(_ row: PermissionRow) throws {
        var (machine, main) = makeProcess()
        let base = try machine.mapAnon(main, pages: 2, prot: row.prot)
        #expect(throws: KernelErrno.EINVAL) { try machine.madvise(main, base, pageBytes, advice: row.advice.rawValue) }
        #expect(machine.leaf(main, base).entry.isNone)
    }

    /// Rows: (pku, advice). WRPKRU disables key 0 (access, or write); without PKU there are no keys to disable.
    @Test(
        "check_vma_flags(): populate of memory on a key the caller's PKRU disables is EINVAL; without PKU it works",
        arguments: [true, false], [Advice.populateRead, .populateWrite])
    func pkruRefusesPopulate(pku: Bool, advice: Advice) throws {
        var (machine, main) = makeProcess { $0.pku = pku }
        let base = try machine.mapAnon(main, pages: 2)
        machine.writePKRU(main, advice == .populateRead ? PKRU.accessDisable(0) : PKRU.writeDisable(0))
        if pku {
            #expect(throws: KernelErrno.EINVAL) { try machine.madvise(main, base, pageBytes, advice: advice.rawValue) }
            #expect(machine.leaf(main, base).entry.isNone)
        } else {
            try machine.madvise(main, base, pageBytes, advice: advice.rawValue)
            #expect(machine.leaf(main, base).entry.isPresent)
        }
    }

    @Test("POPULATE_WRITE of a write-only mapping works")
    func writeOnly() throws {
        var (machine, main) = makeProcess()
        let base = try machine.mapAnon(main, pages: 1, prot: .write)
        try machine.madvise(main, base, pageBytes, advice: Advice.populateWrite.rawValue)
        #expect(machine.leaf(main, base).entry.isWritable)
    }

    @Test("a hole is ENOMEM at once: pages before it are populated, the VMA after it is not reached")
    func holeStops() throws {
        var (machine, main) = makeProcess()
        _ = try machine.mapAnon(main, pages: 2, fixed: Self.window)
        _ = try machine.mapAnon(main, pages: 2, fixed: Self.window + 3 * pageBytes)
        #expect(throws: KernelErrno.ENOMEM) {
            try machine.madvise(main, Self.window, 5 * pageBytes, advice: Advice.populateWrite.rawValue)
        }
        #expect(machine.leaf(main, Self.window + pageBytes).entry.isWritable)
        #expect(machine.leaf(main, Self.window + 3 * pageBytes).entry.isNone)
    }

    @Test("a range starting in a hole is ENOMEM")
    func startInHole() throws {
        var (machine, main) = makeProcess()
        _ = try machine.mapAnon(main, pages: 2, fixed: Self.window + pageBytes)
        #expect(throws: KernelErrno.ENOMEM) {
            try machine.madvise(main, Self.window, 3 * pageBytes, advice: Advice.populateRead.rawValue)
        }
    }

    @Test("past the end of the file the fault is SIGBUS, and populate EFAULT")
    func beyondEOF() throws {
        var (machine, main) = makeProcess()
        let file = machine.createFile(name: "short", sizePages: 1)
        let base = try machine.mapFile(main, file, pages: 3, prot: .read, shared: false)
        #expect(throws: KernelErrno.EFAULT) {
            try machine.madvise(main, base, 3 * pageBytes, advice: Advice.populateRead.rawValue)
        }
        #expect(machine.leaf(main, base).entry.isPresent)
    }

    @Test("POPULATE_WRITE of a private file mapping makes private copies")
    func privateFileWrite() throws {
        var (machine, main) = makeProcess()
        let file = machine.createFile(name: "data", sizePages: 1)
        let base = try machine.mapFile(main, file, pages: 1, prot: [.read, .write], shared: false)
        try machine.madvise(main, base, pageBytes, advice: Advice.populateWrite.rawValue)
        let frame = machine.mappedFrame(machine.mmID(of: main), base)
        #expect(frame != nil && frame != machine.files[file.rawValue].pageCache[0])
        #expect(machine.access(main, base, .read) == .value(machine.files[file.rawValue].initialToken(page: 0)))
    }

    @Test("POPULATE_READ with THP allowed maps the huge zero page; POPULATE_WRITE a THP")
    func hugePages() throws {
        var (machine, main) = makeProcess()
        let base = PageGeometry.alignUp(try machine.mapAnon(main, pages: 1536), hugeBytes)
        try machine.madvise(main, base, 2 * hugeBytes, advice: Advice.hugePage.rawValue)
        try machine.madvise(main, base, hugeBytes, advice: Advice.populateRead.rawValue)
        #expect(machine.leaf(main, base).huge && machine.leaf(main, base).entry.hugePFN == machine.pages.hugeZeroPage)
        try machine.madvise(main, base + hugeBytes, hugeBytes, advice: Advice.populateWrite.rawValue)
        #expect(machine.leaf(main, base + hugeBytes).huge && machine.leaf(main, base + hugeBytes).entry.isWritable)
    }

    @Test("populate is not a VMA walk: it does not pass the seal check, and works on sealed read-only memory")
    func ignoresSeal() throws {
        var (machine, main) = makeProcess()
        let base = try machine.mapAnon(main, pages: 2, prot: .read)
        try machine.mseal(main, base, 2 * pageBytes)
        try machine.madvise(main, base, 2 * pageBytes, advice: Advice.populateRead.rawValue)
        #expect(machine.leaf(main, base).entry.isPresent)
    }
}
