import MMHardware
import MMKernel
import MMTestSupport
import Testing

/// Read faults on files map the page cache around them (`do_read_fault()` → `do_fault_around()` →
/// `filemap_map_pages()` in mm/memory.c and mm/filemap.c), and a page-cache miss on a regular file reads around
/// the page first (`do_sync_mmap_readahead()`), then retries the fault. Defaults: a 16-page fault-around window and
/// a 32-page readahead window (Linux 6.18 with a 128 KiB `read_ahead_kb`).
@Suite struct FaultAroundTests {
    /// A process with a `filePages`-page file (shmem if asked) mapped whole, `pages` pages long.
    static func mapped(
        filePages: UInt64 = 64, pages: UInt64 = 64, shared: Bool = true, shmem: Bool = false,
        _ configure: (inout KernelConfig) -> Void = { _ in }
    ) throws -> (Machine, TaskID, FileID, UInt64) {
        var (machine, main) = makeProcess(configure)
        let file = machine.createFile(name: "/tmp/data", sizePages: filePages, isShmem: shmem)
        let base = try machine.mapFile(main, file, pages: pages, prot: [.read, .write], shared: shared)
        return (machine, main, file, base)
    }

    /// The page numbers of `[base, base + pages)` that have a present PTE.
    static func present(_ machine: Machine, _ task: TaskID, _ base: UInt64, pages: UInt64 = 64) -> [UInt64] {
        (0..<pages).filter { machine.leaf(task, base + $0 * pageBytes).entry.isPresent }
    }

    /// The file pages in `file`'s page cache, in order.
    static func cached(_ machine: Machine, _ file: FileID) -> [UInt64] {
        machine.files[file.rawValue].pageCache.keys.sorted()
    }

    /// The pages the cache holds with `PG_readahead`.
    static func marked(_ machine: Machine, _ file: FileID) -> [UInt64] {
        machine.files[file.rawValue].pageCache.filter { machine.pages[$0.value].flags.contains(.readahead) }.keys
            .sorted()
    }

    @Test("reading pages 0-3 of a fresh 64-page shared file mapping leaves 16 pages present (the probe's row)")
    func probeRow() throws {
        var (machine, main, file, base) = try Self.mapped()
        try #require(base % (16 * pageBytes) == 0)
        for page in UInt64(0)..<4 { _ = machine.access(main, base + page * pageBytes, .read) }
        #expect(machine.faultResolutions == [.fileRead], "the first fault maps the window on its retry")
        #expect(Self.present(machine, main, base) == Array(0..<16))
        #expect(Self.cached(machine, file) == Array(0..<32), "read-around: 32 pages from page 0")
        #expect(Self.marked(machine, file) == [24], "the last quarter is asynchronous")
        #expect(machine.mm(machine.mmID(of: main)).rss.file == 16)
        machine.clearTrace()
        try machine.mprotect(main, base, 64 * pageBytes, prot: 0)
        #expect(machine.flushRequests.map(\.pages) == [16])
    }

    @Test("munmap of the first half after the same reads flushes the 16 pages (the PTE table stays)")
    func probeRowMunmap() throws {
        var (machine, main, _, base) = try Self.mapped()
        for page in UInt64(0)..<4 { _ = machine.access(main, base + page * pageBytes, .read) }
        machine.clearTrace()
        try machine.munmap(main, base, 32 * pageBytes)
        #expect(machine.flushRequests.map(\.pages) == [16])
    }

    @Test("the PTEs fault-around makes are read-only (write-notify), young and clean, on the page-cache frames")
    func prefaultedBits() throws {
        var (machine, main, file, base) = try Self.mapped()
        _ = machine.access(main, base, .read)
        let pte = machine.leaf(main, base + 9 * pageBytes).entry
        #expect(pte.isPresent && !pte.isWritable && pte.contains(.accessed) && !pte.isDirty)
        #expect(pte.pfn == machine.files[file.rawValue].pageCache[9])
        #expect(machine.pages[pte.pfn].mapcount == 1)
    }

    @Test("the window is aligned to 16 pages of virtual address: a read of page 20 maps 16-31 but the marked 28")
    func windowAlignment() throws {
        var (machine, main, file, base) = try Self.mapped()
        _ = machine.access(main, base + 20 * pageBytes, .read)
        #expect(Self.cached(machine, file) == Array(4..<36), "read-around starts half a window before page 20")
        #expect(Self.marked(machine, file) == [28])
        #expect(Self.present(machine, main, base) == Array(16..<28) + Array(29..<32))
    }

    @Test("a fault on the marked page starts the next window, all of it asynchronous, and is then mapped")
    func asyncReadahead() throws {
        var (machine, main, file, base) = try Self.mapped()
        _ = machine.access(main, base + 20 * pageBytes, .read)
        machine.clearTrace()
        _ = machine.access(main, base + 28 * pageBytes, .read)
        #expect(machine.faultResolutions == [.fileRead])
        #expect(Self.cached(machine, file) == Array(4..<64), "36..63: the next window, cut at the end of the file")
        #expect(Self.present(machine, main, base) == Array(16..<32))
        let ra = machine.files[file.rawValue].readahead
        #expect(ra.start == 36 && ra.size == 32 && ra.asyncSize == 32)
        #expect(ra.order == 2, "the asynchronous window reads 4-page folios")
        #expect(Self.marked(machine, file) == [36, 37, 38, 39], "its first folio carries the mark")
    }

    @Test("fault-around skips every page of a marked large folio (measured: 28 pages present after 20, 28, 40)")
    func markedFolioSkipped() throws {
        var (machine, main, _, base) = try Self.mapped()
        for page: UInt64 in [20, 28, 40] { _ = machine.access(main, base + page * pageBytes, .read) }
        #expect(Self.present(machine, main, base) == Array(16..<36) + Array(40..<48))
    }

    @Test("a fault inside a marked folio clears the whole folio's mark; its retry maps it all")
    func markedFolioCleared() throws {
        var (machine, main, file, base) = try Self.mapped()
        for page: UInt64 in [20, 28, 37] { _ = machine.access(main, base + page * pageBytes, .read) }
        #expect(Self.marked(machine, file) == [])
        #expect(Self.present(machine, main, base) == Array(16..<48))
    }

    @Test("a window that would start before the VMA starts at the VMA and keeps its 16 pages")
    func vmaStartClamp() throws {
        var (machine, main) = makeProcess()
        let file = machine.createFile(name: "/tmp/data", sizePages: 64)
        let area = try machine.mapAnon(main, pages: 128)
        let aligned = PageGeometry.alignUp(area, 16 * pageBytes)
        let base = try machine.mmap(
            main, address: aligned + 5 * pageBytes, length: 32 * pageBytes, prot: [.read],
            flags: [.shared, .fixed], file: file, offset: 0)
        _ = machine.access(main, base + 2 * pageBytes, .read)
        #expect(Self.present(machine, main, base, pages: 32) == Array(0..<16))
        #expect(!machine.leaf(main, aligned).entry.isPresent, "the anonymous neighbour is not touched")
    }

    @Test("the window ends at the PTE table: a VMA starting 4 pages before a 2 MiB boundary maps 4, then 16")
    func pmdClamp() throws {
        var (machine, main) = makeProcess()
        let file = machine.createFile(name: "/tmp/data", sizePages: 64)
        let area = try machine.mapAnon(main, pages: 1024)
        let boundary = PageGeometry.alignUp(area + 16 * pageBytes, hugeBytes)
        let base = try machine.mmap(
            main, address: boundary - 4 * pageBytes, length: 32 * pageBytes, prot: [.read],
            flags: [.shared, .fixed], file: file, offset: 0)
        _ = machine.access(main, base, .read)
        #expect(Self.present(machine, main, base, pages: 32) == [0, 1, 2, 3])
        _ = machine.access(main, base + 4 * pageBytes, .read)
        #expect(Self.present(machine, main, base, pages: 32) == Array(0..<20))
    }

    @Test("the window is clamped to the VMA's end")
    func vmaEndClamp() throws {
        var (machine, main, _, base) = try Self.mapped(pages: 6)
        _ = machine.access(main, base + 5 * pageBytes, .read)
        #expect(Self.present(machine, main, base, pages: 6) == Array(0..<6))
    }

    @Test("the window stops at the end of the file, and a fault beyond it maps the cached pages before SIGBUS")
    func endOfFile() throws {
        var (machine, main, file, base) = try Self.mapped(filePages: 10)
        _ = machine.access(main, base, .read)
        #expect(Self.present(machine, main, base) == Array(0..<10))
        let second = try machine.mapFile(main, file, pages: 64, prot: .read, shared: true)
        let result = machine.access(main, second + 12 * pageBytes, .read)
        guard case .signal(let signal) = result else {
            Issue.record("read beyond the end of the file returned \(result)")
            return
        }
        #expect(signal.name == "SIGBUS")
        #expect(Self.present(machine, main, second) == Array(0..<10))
    }

    @Test("MADV_RANDOM reads nothing ahead: each fault reads its own page")
    func randomRead() throws {
        var (machine, main, file, base) = try Self.mapped()
        try machine.madvise(main, base, 64 * pageBytes, advice: Advice.random.rawValue)
        for page in UInt64(0)..<4 { _ = machine.access(main, base + page * pageBytes, .read) }
        #expect(Self.cached(machine, file) == [0, 1, 2, 3])
        #expect(Self.present(machine, main, base) == [0, 1, 2, 3])
        #expect(machine.faultResolutions.count == 4)
    }

    @Test("MADV_SEQUENTIAL reads a window forward from page 0, its second half asynchronous")
    func sequentialRead() throws {
        var (machine, main, file, base) = try Self.mapped()
        try machine.madvise(main, base, 64 * pageBytes, advice: Advice.sequential.rawValue)
        _ = machine.access(main, base, .read)
        #expect(Self.cached(machine, file) == Array(0..<32))
        #expect(Self.marked(machine, file) == [16])
        #expect(Self.present(machine, main, base) == Array(0..<16))
    }

    @Test("a device without readahead reads only the faulting page, which the retried fault maps")
    func noReadahead() throws {
        var (machine, main, file, base) = try Self.mapped { $0.readaheadPages = 0 }
        _ = machine.access(main, base + 3 * pageBytes, .read)
        #expect(Self.cached(machine, file) == [3])
        #expect(Self.present(machine, main, base) == [3])
    }

    @Test("fault_around_bytes of one page turns fault-around off: readahead still fills the cache")
    func noFaultAround() throws {
        var (machine, main, file, base) = try Self.mapped { $0.faultAroundBytes = 4096 }
        for page in UInt64(0)..<4 { _ = machine.access(main, base + page * pageBytes, .read) }
        #expect(Self.cached(machine, file) == Array(0..<32))
        #expect(Self.present(machine, main, base) == [0, 1, 2, 3])
        #expect(machine.faultResolutions.count == 4)
    }

    @Test("a smaller fault_around_bytes is a smaller window: 32 KiB maps 8 pages")
    func smallerWindow() throws {
        var (machine, main, _, base) = try Self.mapped { $0.faultAroundBytes = 32 << 10 }
        _ = machine.access(main, base + 9 * pageBytes, .read)
        #expect(Self.present(machine, main, base) == Array(8..<16))
    }

    @Test("shmem reads nothing ahead; fault-around maps only the pages its cache already holds")
    func shmemCachedOnly() throws {
        var (machine, main, file, base) = try Self.mapped(shmem: true)
        for page in UInt64(0)..<4 { _ = machine.access(main, base + page * pageBytes, .read) }
        #expect(Self.cached(machine, file) == [0, 1, 2, 3])
        #expect(Self.present(machine, main, base) == [0, 1, 2, 3])
        let other = try machine.mapFile(main, file, pages: 64, prot: [.read, .write], shared: true)
        for page in UInt64(8)..<12 { _ = machine.access(main, other + page * pageBytes, .write, value: page) }
        machine.clearTrace()
        #expect(machine.access(main, base + 10 * pageBytes, .read) == .value(10))
        #expect(machine.faultResolutions == [.fileRead])
        #expect(Self.present(machine, main, base) == [0, 1, 2, 3, 8, 9, 10, 11])
        let pte = machine.leaf(main, base + 9 * pageBytes).entry
        #expect(pte.isWritable && pte.isDirty, "a writable PTE of a dirty folio is made dirty (set_pte_range())")
    }

    @Test("a uffd-wp registered shmem VMA does not fault around")
    func uffdWPNoFaultAround() throws {
        var (machine, main, file, base) = try Self.mapped(shmem: true)
        let other = try machine.mapFile(main, file, pages: 64, prot: [.read, .write], shared: true)
        for page in UInt64(0)..<8 { _ = machine.access(main, other + page * pageBytes, .write, value: 1) }
        try machine.userfaultfdRegister(main, base, 64 * pageBytes)
        _ = machine.access(main, base + 2 * pageBytes, .read)
        #expect(Self.present(machine, main, base) == [2])
    }

    @Test("a private file mapping faults around read-only; a write to a page mapped so copies it, with a flush")
    func privateCopyOnWrite() throws {
        var (machine, main, file, base) = try Self.mapped(shared: false)
        let token = machine.files[file.rawValue].initialToken(page: 5)
        _ = machine.access(main, base, .read)
        #expect(Self.present(machine, main, base) == Array(0..<16))
        #expect(!machine.leaf(main, base + 5 * pageBytes).entry.isWritable)
        machine.clearTrace()
        #expect(machine.access(main, base + 5 * pageBytes, .write, value: 0x55) == .value(0x55))
        #expect(machine.faultResolutions == [.fileCopyOnWrite])
        #expect(machine.flushRequests.map(\.pages) == [1], "wp_page_copy() clears and flushes the read-only PTE")
        let pte = machine.leaf(main, base + 5 * pageBytes).entry
        #expect(pte.isWritable && machine.pages[pte.pfn].flags.contains(.anon))
        let cachedFrame = try #require(machine.files[file.rawValue].pageCache[5])
        #expect(machine.memory.read(cachedFrame) == token)
    }

    @Test(
        "a write fault does no fault-around, though its miss reads ahead",
        arguments: [true, false])
    func writeFaultMapsOnePage(shared: Bool) throws {
        var (machine, main, file, base) = try Self.mapped(shared: shared)
        _ = machine.access(main, base + 2 * pageBytes, .write, value: 7)
        #expect(machine.faultResolutions == [shared ? .sharedWrite : .fileCopyOnWrite])
        #expect(Self.present(machine, main, base) == [2])
        #expect(Self.cached(machine, file) == Array(0..<32))
    }

    @Test("after more than MMAP_LOTSAMISS misses with no hits, read-around stops")
    func mmapMissStopsReadAround() throws {
        var (machine, main, file, base) = try Self.mapped(filePages: 4096, pages: 4096) { $0.faultAroundBytes = 0 }
        // Each read misses and reads the 32 pages [32k, 32k + 32) around it; none of them is ever hit.
        for k in UInt64(0)..<100 { _ = machine.access(main, base + (32 * k + 16) * pageBytes, .read) }
        #expect(machine.files[file.rawValue].pageCache.count == 100 * 32)
        #expect(machine.files[file.rawValue].readahead.mmapMiss == 100)
        _ = machine.access(main, base + (32 * 100 + 16) * pageBytes, .read)
        #expect(machine.files[file.rawValue].pageCache.count == 100 * 32 + 1, "the 101st miss reads only its page")
    }

    @Test("pages fault-around maps count as hits: mmap_miss goes back to 0")
    func faultAroundHitsResetMiss() throws {
        var (machine, main, file, base) = try Self.mapped()
        _ = machine.access(main, base, .read)
        #expect(machine.files[file.rawValue].readahead.mmapMiss == 0)
    }
}
