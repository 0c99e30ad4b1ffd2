import MMHardware
import MMKernel
import MMTestSupport
import Testing

/// File-backed faults: `do_read_fault()`, `do_cow_fault()`, `do_shared_fault()` (mm/memory.c).
@Suite struct FileFaultTests {
    @Test("a read fault maps the page-cache page holding the file's contents")
    func readMapsPageCache() throws {
        var (machine, main) = makeProcess()
        let file = machine.createFile(name: "/tmp/data", sizePages: 8)
        let base = try machine.mapFile(main, file, pages: 4, prot: .read, shared: false, filePage: 2)
        let token = machine.files[file.rawValue].initialToken(page: 3)
        #expect(machine.access(main, base + pageBytes, .read) == .value(token))
        let (pte, _) = machine.leaf(main, base + pageBytes)
        #expect(machine.files[file.rawValue].pageCache[3] == pte.pfn)
        #expect(!pte.isWritable)
        #expect(machine.faultResolutions == [.fileRead])
        // The miss reads the whole 8-page file around page 3 (do_sync_mmap_readahead()), and the retried fault maps
        // every cached page of its window, clamped to the 4-page VMA (do_fault_around()).
        #expect(machine.mm(machine.mmID(of: main)).rss.file == 4)
    }

    @Test("a private write copies the page; the page cache keeps the file's contents")
    func privateWriteCOW() throws {
        var (machine, main) = makeProcess()
        let file = machine.createFile(name: "/tmp/data", sizePages: 4)
        let base = try machine.mapFile(main, file, pages: 4, prot: [.read, .write], shared: false)
        let token = machine.files[file.rawValue].initialToken(page: 0)
        #expect(machine.access(main, base, .read) == .value(token))
        #expect(machine.access(main, base, .write, value: 0x99) == .value(0x99))
        let (pte, _) = machine.leaf(main, base)
        let cached = try #require(machine.files[file.rawValue].pageCache[0])
        #expect(pte.pfn != cached)
        #expect(machine.memory.read(cached) == token)
        #expect(machine.pages[pte.pfn].flags.contains(.anon))
        let other = try machine.mapFile(main, file, pages: 1, prot: .read, shared: true)
        #expect(machine.access(main, other, .read) == .value(token))
        #expect(machine.access(main, base, .read) == .value(0x99))
    }

    @Test("a private write to a never-read page copies straight from the page cache (do_cow_fault)")
    func privateWriteFirstTouch() throws {
        var (machine, main) = makeProcess()
        let file = machine.createFile(name: "/tmp/data", sizePages: 4, writable: false)
        let base = try machine.mapFile(main, file, pages: 4, prot: [.read, .write], shared: false)
        #expect(machine.access(main, base + pageBytes, .write, value: 1) == .value(1))
        #expect(machine.faultResolutions == [.fileCopyOnWrite])
        let cached = try #require(machine.files[file.rawValue].pageCache[1])
        #expect(machine.memory.read(cached) == machine.files[file.rawValue].initialToken(page: 1))
    }

    @Test("a shared write updates the page cache and is visible through a second mapping")
    func sharedWriteVisible() throws {
        var (machine, main) = makeProcess()
        let file = machine.createFile(name: "/tmp/data", sizePages: 4)
        let first = try machine.mapFile(main, file, pages: 4, prot: [.read, .write], shared: true)
        let second = try machine.mapFile(main, file, pages: 4, prot: .read, shared: true)
        let privateView = try machine.mapFile(main, file, pages: 4, prot: .read, shared: false)
        #expect(machine.access(main, first + 2 * pageBytes, .write, value: 0x5EED) == .value(0x5EED))
        #expect(machine.access(main, second + 2 * pageBytes, .read) == .value(0x5EED))
        #expect(machine.access(main, privateView + 2 * pageBytes, .read) == .value(0x5EED))
        let cached = try #require(machine.files[file.rawValue].pageCache[2])
        #expect(machine.memory.read(cached) == 0x5EED)
        #expect(machine.pages[cached].flags.contains(.dirty))
        #expect(machine.leaf(main, first + 2 * pageBytes).entry.isWritable)
    }

    @Test("a shared writable mapping of a regular file is write-notified: read first, then the write faults")
    func sharedWriteNotify() throws {
        var (machine, main) = makeProcess()
        let file = machine.createFile(name: "/tmp/data", sizePages: 1)
        let base = try machine.mapFile(main, file, pages: 1, prot: [.read, .write], shared: true)
        _ = machine.access(main, base, .read)
        #expect(!machine.leaf(main, base).entry.isWritable)
        machine.clearTrace()
        #expect(machine.access(main, base, .write, value: 4) == .value(4))
        #expect(machine.faultResolutions == [.writeNotify])
        #expect(machine.leaf(main, base).entry.isWritable)
    }

    @Test("a fault beyond the end of the file is SIGBUS")
    func beyondEOFIsSigbus() throws {
        var (machine, main) = makeProcess()
        let file = machine.createFile(name: "/tmp/data", sizePages: 1)
        let base = try machine.mapFile(main, file, pages: 2, prot: .read, shared: false)
        guard case .signal(let signal) = machine.access(main, base + pageBytes, .read) else {
            Issue.record("no signal")
            return
        }
        #expect(signal.name == "SIGBUS")
    }

    @Test("shared anonymous memory is one shmem object: a fork child's writes are seen by the parent")
    func sharedAnonymousAcrossFork() throws {
        var (machine, main) = makeProcess()
        let base = try machine.mapAnon(main, pages: 2, shared: true)
        _ = machine.access(main, base, .write, value: 1)
        let child = try machine.fork(main, childName: "child", cpu: CPUID(1))
        #expect(machine.access(child, base, .write, value: 2) == .value(2))
        #expect(machine.access(main, base, .read) == .value(2))
        #expect(machine.relativeLayout(machine.mmID(of: main), base: base, length: 2 * pageBytes) == "[0,2)rw-s")
    }
}

/// Stack growth (`expand_downwards()`, `stack_guard_gap`) for `VM_GROWSDOWN` VMAs.
@Suite struct StackGrowthTests {
    static let stackTop: UInt64 = 0x7e00_0100_0000

    @Test("a fault just below a MAP_GROWSDOWN VMA grows it down to the faulting page")
    func growsDown() throws {
        var (machine, main) = makeProcess()
        let base = try machine.mapAnon(main, pages: 4, fixed: Self.stackTop - 4 * pageBytes, extraFlags: .growsDown)
        let below = base - 3 * pageBytes + 8
        #expect(machine.access(main, below, .write, value: 6) == .value(6))
        #expect(machine.faultResolutions.last == .stackExpansion)
        let vma = try #require(machine.vma(main, containing: below))
        #expect(vma.start == base - 3 * pageBytes)
        #expect(vma.end == Self.stackTop)
        #expect(machine.mm(machine.mmID(of: main)).accounting.stackVM == 7)
    }

    @Test("growth into stack_guard_gap above another mapping is SEGV_MAPERR; just outside it is allowed")
    func guardGap() throws {
        var (machine, main) = makeProcess()
        let gap = machine.config.stackGuardGap / pageBytes
        let base = try machine.mapAnon(main, pages: 4, fixed: Self.stackTop - 4 * pageBytes, extraFlags: .growsDown)
        let lowEnd = base - (gap + 50) * pageBytes
        _ = try machine.mapAnon(main, pages: 1, fixed: lowEnd - pageBytes)
        let inGap = lowEnd + (gap - 1) * pageBytes
        guard case .signal(let signal) = machine.access(main, inGap, .read) else {
            Issue.record("growth into the guard gap succeeded")
            return
        }
        #expect(signal.code == "SEGV_MAPERR")
        let outside = lowEnd + gap * pageBytes
        #expect(machine.access(main, outside, .read) == .value(0))
        #expect(machine.vma(main, containing: outside)?.start == outside)
    }

    @Test("the guard gap keeps mmap's top-down search away from below a stack")
    func placementKeepsGap() throws {
        var (machine, main) = makeProcess()
        let top = machine.mm(machine.mmID(of: main)).mmapBase
        _ = try machine.mapAnon(main, pages: 4, fixed: top - 4 * pageBytes, extraFlags: .growsDown)
        let placed = try machine.mapAnon(main, pages: 1)
        #expect(placed + pageBytes <= top - 4 * pageBytes - machine.config.stackGuardGap)
    }

    @Test("growth beyond RLIMIT_STACK is SEGV_MAPERR")
    func rlimitStack() throws {
        var (machine, main) = makeProcess { $0.stackLimit = 16 * 4096 }
        let base = try machine.mapAnon(main, pages: 4, fixed: Self.stackTop - 4 * pageBytes, extraFlags: .growsDown)
        guard case .signal(let signal) = machine.access(main, base - 20 * pageBytes, .read) else {
            Issue.record("grew beyond RLIMIT_STACK")
            return
        }
        #expect(signal.code == "SEGV_MAPERR")
        #expect(machine.access(main, base - 12 * pageBytes, .read) == .value(0))
    }
}
