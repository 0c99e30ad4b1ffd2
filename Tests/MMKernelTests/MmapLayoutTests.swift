import MMHardware
import MMKernel
import MMTestSupport
import Testing

/// VMA layouts after mmap and madvise: `vma_merge_new_range()` and `vma_modify()` (mm/vma.c) as Linux 6.18 shows them
/// in `/proc/self/maps` (flag changes are made with MADV_DONTFORK/MADV_DOFORK, which go through the same
/// `vma_modify()` as mprotect; docs/kernel-model.md, "Merging").
@Suite struct MmapLayoutTests {
    /// A region at a fixed address with unmapped guard pages on both sides, as the host probes used.
    static let window: UInt64 = 0x7e00_0010_0000

    @Test(
        "separate adjacent anon mmaps with the same prot merge (vma_merge_new_range)"
    )
    func adjacentSameProtMerge() throws {
        var (machine, main) = makeProcess()
        let a = try machine.mapAnon(main, pages: 2, fixed: Self.window)
        #expect(machine.access(main, a, .write, value: 1) == .value(1))
        _ = try machine.mapAnon(main, pages: 2, fixed: Self.window + 2 * pageBytes)
        #expect(machine.relativeLayout(machine.mmID(of: main), base: a, length: 4 * pageBytes) == "[0,4)rw-p")
        #expect(machine.mm(machine.mmID(of: main)).vmas.isWellFormed)
    }

    @Test(
        "adjacent anon mmaps with different prot stay two VMAs (is_mergeable_vma: flags differ)"
    )
    func adjacentDifferentProtDoNotMerge() throws {
        var (machine, main) = makeProcess()
        let a = try machine.mapAnon(main, pages: 2, fixed: Self.window)
        #expect(machine.access(main, a, .write, value: 1) == .value(1))
        _ = try machine.mapAnon(main, pages: 2, prot: .read, fixed: Self.window + 2 * pageBytes)
        #expect(machine.relativeLayout(machine.mmID(of: main), base: a, length: 4 * pageBytes) == "[0,2)rw-p [2,4)r--p")
    }

    @Test("a mapping placed by the kernel directly below a compatible one merges into it")
    func kernelPlacedMappingsMerge() throws {
        var (machine, main) = makeProcess()
        let high = try machine.mapAnon(main, pages: 3)
        let low = try machine.mapAnon(main, pages: 5)
        #expect(low == high - 5 * pageBytes)
        #expect(machine.mm(machine.mmID(of: main)).vmas.count == 1)
    }

    struct SplitMergeRow: Sendable, CustomTestStringConvertible {
        var source: String
        var shared: Bool
        var touched: Bool
        var testDescription: String { source }
    }

    static let middleRows: [SplitMergeRow] = [
        SplitMergeRow(
            source: "vma_modify: 3-page RW anon, touched: middle changed, then back (shared anon_vma)",
            shared: false, touched: true),
        SplitMergeRow(
            source: "vma_modify: 3-page RW anon, never touched: middle changed, then back (no anon_vma)",
            shared: false, touched: false),
        SplitMergeRow(
            source: "vma_modify: MAP_SHARED|MAP_ANONYMOUS 3 p: middle changed, then back (same shmem file)",
            shared: true, touched: true),
    ]

    @Test(arguments: middleRows)
    func middleSplitsIntoThreeAndMergesBack(_ row: SplitMergeRow) throws {
        var (machine, main) = makeProcess()
        let base = try machine.mapAnon(main, pages: 3, shared: row.shared, fixed: Self.window)
        let mmID = machine.mmID(of: main)
        if row.touched {
            for page in 0..<3 { _ = machine.access(main, base + UInt64(page) * pageBytes, .write, value: 7) }
        }
        let kind = row.shared ? "s" : "p"
        try machine.madvise(main, base + pageBytes, pageBytes, advice: Advice.dontFork.rawValue)
        #expect(
            machine.relativeLayout(mmID, base: base, length: 3 * pageBytes)
                == "[0,1)rw-\(kind) [1,2)rw-\(kind) [2,3)rw-\(kind)")
        #expect(machine.mm(mmID).vmas.count == 3)
        #expect(machine.vma(main, containing: base + pageBytes)?.flags.contains(.dontCopy) == true)
        try machine.madvise(main, base + pageBytes, pageBytes, advice: Advice.doFork.rawValue)
        #expect(machine.relativeLayout(mmID, base: base, length: 3 * pageBytes) == "[0,3)rw-\(kind)")
        #expect(machine.mm(mmID).vmas.count == 1)
        if row.touched {
            #expect(machine.access(main, base + 2 * pageBytes, .read) == .value(7))
        }
    }

    @Test("first, last, then middle changed merge into one (vma_merge_existing_range, via MADV_DONTFORK)")
    func firstLastMiddleMergeIntoOne() throws {
        var (machine, main) = makeProcess()
        let base = try machine.mapAnon(main, pages: 3, fixed: Self.window)
        let mmID = machine.mmID(of: main)
        _ = machine.access(main, base, .write, value: 1)
        try machine.madvise(main, base, pageBytes, advice: Advice.dontFork.rawValue)
        try machine.madvise(main, base + 2 * pageBytes, pageBytes, advice: Advice.dontFork.rawValue)
        #expect(machine.mm(mmID).vmas.count == 3)
        try machine.madvise(main, base + pageBytes, pageBytes, advice: Advice.dontFork.rawValue)
        #expect(machine.mm(mmID).vmas.count == 1)
        #expect(machine.mm(mmID).vmas[0].flags.contains(.dontCopy))
        #expect(machine.mm(mmID).vmas[0].start == base && machine.mm(mmID).vmas[0].end == base + 3 * pageBytes)
    }

    @Test(
        "three VMAs that differ only by one madvise flag stay three (is_mergeable_vma: VM_DONTCOPY differs)"
    )
    func differingFlagsStaySeparate() throws {
        var (machine, main) = makeProcess()
        let base = try machine.mapAnon(main, pages: 3, fixed: Self.window)
        let mmID = machine.mmID(of: main)
        try machine.madvise(main, base + pageBytes, pageBytes, advice: Advice.dontFork.rawValue)
        try machine.madvise(main, base, 3 * pageBytes, advice: Advice.dontDump.rawValue)
        #expect(machine.mm(mmID).vmas.count == 3)
        #expect(machine.mm(mmID).vmas.allSatisfy { $0.flags.contains(.dontDump) })
    }

    @Test("madvise over a range with a hole applies to the mapped parts and reports ENOMEM")
    func madviseHoleIsENOMEM() throws {
        var (machine, main) = makeProcess()
        let base = try machine.mapAnon(main, pages: 3, fixed: Self.window)
        try machine.munmap(main, base + pageBytes, pageBytes)
        #expect(throws: KernelErrno.ENOMEM) {
            try machine.madvise(main, base, 3 * pageBytes, advice: Advice.dontFork.rawValue)
        }
        #expect(machine.vma(main, containing: base)?.flags.contains(.dontCopy) == true)
        #expect(machine.vma(main, containing: base + 2 * pageBytes)?.flags.contains(.dontCopy) == true)
    }

    struct FileRow: Sendable, CustomTestStringConvertible {
        var source: String
        var readable = true
        var writable: Bool
        var noexec = false
        var sealWrite = false
        var isShmem = false
        var prot: Protection
        var shared: Bool
        var expected: KernelErrno?
        var layout: String?
        var testDescription: String { source }
    }

    static let fileRows: [FileRow] = [
        FileRow(
            source:
                "MAP_SHARED + PROT_WRITE of an O_RDONLY fd is EACCES (do_mmap, no FMODE_WRITE)",
            writable: false, prot: [.read, .write], shared: true, expected: .EACCES),
        FileRow(
            source: "MAP_SHARED PROT_READ of an O_RDONLY fd maps r--s without VM_MAYWRITE",
            writable: false, prot: .read, shared: true, layout: "[0,2)r--s"),
        FileRow(
            source: "private writable map of an O_RDONLY fd is allowed (do_mmap: MAP_PRIVATE needs only FMODE_READ)",
            writable: false, prot: [.read, .write], shared: false, layout: "[0,2)rw-p"),
        FileRow(
            source: "PROT_EXEC of a file on a noexec mount is EPERM (do_mmap, path_noexec)",
            writable: true, noexec: true, prot: [.read, .exec], shared: false, expected: .EPERM),
        FileRow(
            source: "MAP_SHARED PROT_WRITE of an F_SEAL_WRITE memfd is EPERM (memfd_check_seals_mmap)",
            writable: true, sealWrite: true, isShmem: true, prot: [.read, .write], shared: true, expected: .EPERM),
        FileRow(
            source: "MAP_SHARED PROT_READ of an F_SEAL_WRITE memfd is allowed",
            writable: true, sealWrite: true, isShmem: true, prot: .read, shared: true, layout: "[0,2)r--s"),
        FileRow(
            source: "a file opened without FMODE_READ cannot be mapped (EACCES)",
            readable: false, writable: true, prot: .read, shared: false, expected: .EACCES),
        FileRow(
            source: "MAP_SHARED PROT_WRITE of an O_RDWR fd maps rw-s (do_mmap)",
            writable: true, prot: [.read, .write], shared: true, layout: "[0,2)rw-s"),
    ]

    @Test(arguments: fileRows)
    func fileMappingPermissions(_ row: FileRow) throws {
        var (machine, main) = makeProcess()
        let file = machine.createFile(
            name: "/tmp/f", sizePages: 4, readable: row.readable, writable: row.writable, noexec: row.noexec,
            sealWrite: row.sealWrite, isShmem: row.isShmem)
        let before = machine.mm(machine.mmID(of: main)).vmas.count
        do {
            let base = try machine.mapFile(main, file, pages: 2, prot: row.prot, shared: row.shared)
            #expect(row.expected == nil, "mapped, expected \(String(describing: row.expected))")
            if let layout = row.layout {
                #expect(machine.relativeLayout(machine.mmID(of: main), base: base, length: 2 * pageBytes) == layout)
            }
            if row.shared && !row.writable {
                #expect(machine.vma(main, containing: base)?.flags.contains(.mayWrite) == false)
            }
            if row.sealWrite {
                #expect(machine.vma(main, containing: base)?.flags.contains(.mayWrite) == false)
            }
        } catch {
            #expect(error == row.expected)
            #expect(machine.mm(machine.mmID(of: main)).vmas.count == before)
        }
    }

    @Test("file mappings of consecutive file pages at adjacent addresses merge; non-contiguous pgoff do not")
    func filePgoffContiguity() throws {
        var (machine, main) = makeProcess()
        let file = machine.createFile(name: "/tmp/f", sizePages: 16)
        let mmID = machine.mmID(of: main)
        let base = Self.window
        _ = try machine.mmap(
            main, address: base, length: 2 * pageBytes, prot: .read, flags: [.private, .fixed], file: file, offset: 0)
        _ = try machine.mmap(
            main, address: base + 2 * pageBytes, length: 2 * pageBytes, prot: .read, flags: [.private, .fixed],
            file: file, offset: 2 * pageBytes)
        #expect(machine.relativeLayout(mmID, base: base, length: 4 * pageBytes) == "[0,4)r--p")
        _ = try machine.mmap(
            main, address: base + 4 * pageBytes, length: 2 * pageBytes, prot: .read, flags: [.private, .fixed],
            file: file, offset: 8 * pageBytes)
        #expect(machine.relativeLayout(mmID, base: base, length: 6 * pageBytes) == "[0,4)r--p [4,6)r--p")
    }
}
