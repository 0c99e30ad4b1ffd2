import MMHardware
import MMKernel
import MMTestSupport
import Testing

/// mmap(2) argument validation in the kernel's order: x86 `sys_mmap()` (offset alignment), `ksys_mmap_pgoff()` (the
/// fd), `do_mmap()` (length, rounding, overflow, map_count), `__get_unmapped_area()`, MAP_FIXED_NOREPLACE, then the
/// MAP_TYPE switch. Rows that break two rules at once pin down which check comes first.
@Suite struct MmapArgumentTests {
    struct Row: Sendable, CustomTestStringConvertible {
        var source: String
        var address: UInt64 = 0
        var length: UInt64 = 4096
        var flags: MapFlags = [.private, .anonymous]
        var useFile = false
        var badFile = false
        var offset: UInt64 = 0
        var expected: KernelErrno
        var testDescription: String { source }
    }

    static let rows: [Row] = [
        Row(source: "len 0 → EINVAL (do_mmap: !len)", length: 0, expected: .EINVAL),
        Row(source: "unaligned offset → EINVAL (sys_mmap: off & ~PAGE_MASK)", offset: 100, expected: .EINVAL),
        Row(
            source: "unaligned offset wins over a bad fd (sys_mmap checks before ksys_mmap_pgoff's fget)",
            flags: .private, badFile: true, offset: 100, expected: .EINVAL),
        Row(source: "bad fd → EBADF (ksys_mmap_pgoff: fget)", flags: .private, badFile: true, expected: .EBADF),
        Row(
            source: "bad fd wins over len 0 (fget runs before do_mmap)", length: 0, flags: .private, badFile: true,
            expected: .EBADF),
        Row(
            source: "MAP_FIXED at an unaligned address → EINVAL (__get_unmapped_area: offset_in_page)",
            address: 0x7e00_0000_0123, flags: [.private, .anonymous, .fixed], expected: .EINVAL),
        Row(source: "MAP_TYPE 0 (neither shared nor private) → EINVAL", flags: .anonymous, expected: .EINVAL),
        Row(
            source: "MAP_TYPE 0x4 (undefined) → EINVAL", flags: [MapFlags(rawValue: 0x4), .anonymous], expected: .EINVAL
        ),
        Row(
            source: "invalid MAP_TYPE of a file mapping → EINVAL", flags: MapFlags(rawValue: 0x4), useFile: true,
            expected: .EINVAL),
        Row(
            source: "length that wraps when page-aligned → ENOMEM (do_mmap: PAGE_ALIGN(len) == 0)", length: UInt64.max,
            expected: .ENOMEM),
        Row(
            source: "length beyond TASK_SIZE → ENOMEM (__get_unmapped_area: len > TASK_SIZE)",
            length: PageGeometry.taskSize + 4096, expected: .ENOMEM),
        Row(
            source: "MAP_FIXED range crossing TASK_SIZE → ENOMEM", address: PageGeometry.taskSize - 4096,
            length: 2 * 4096, flags: [.private, .anonymous, .fixed], expected: .ENOMEM),
        Row(
            source: "MAP_GROWSDOWN on a shared anonymous mapping → EINVAL", flags: [.shared, .anonymous, .growsDown],
            expected: .EINVAL),
        Row(
            source: "MAP_GROWSDOWN on a file mapping → EINVAL", flags: [.private, .growsDown], useFile: true,
            expected: .EINVAL),
        Row(
            source: "file offset + length overflowing pgoff → EOVERFLOW", length: 2 * 4096, flags: .private,
            useFile: true, offset: UInt64.max & ~4095, expected: .EOVERFLOW),
    ]

    @Test(arguments: rows)
    func rejected(_ row: Row) throws {
        var (machine, main) = makeProcess()
        let file = machine.createFile(name: "/tmp/f", sizePages: 4)
        let fd: FileID? = row.badFile ? FileID(rawValue: 99) : (row.useFile ? file : nil)
        let before = machine.mm(machine.mmID(of: main)).vmas.count
        #expect(throws: row.expected) {
            _ = try machine.mmap(
                main, address: row.address, length: row.length, prot: [.read, .write], flags: row.flags, file: fd,
                offset: row.offset)
        }
        #expect(machine.mm(machine.mmID(of: main)).vmas.count == before)
    }

    @Test("MAP_FIXED_NOREPLACE over an existing mapping → EEXIST, and the mapping is left alone")
    func fixedNoReplaceOverlap() throws {
        var (machine, main) = makeProcess()
        let base = try machine.mapAnon(main, pages: 4)
        _ = machine.access(main, base + pageBytes, .write, value: 5)
        #expect(throws: KernelErrno.EEXIST) {
            _ = try machine.mmap(
                main, address: base + pageBytes, length: pageBytes, prot: .read,
                flags: [.private, .anonymous, .fixedNoReplace], file: nil, offset: 0)
        }
        #expect(machine.access(main, base + pageBytes, .read) == .value(5))
        #expect(machine.relativeLayout(machine.mmID(of: main), base: base, length: 4 * pageBytes) == "[0,4)rw-p")
    }

    @Test("MAP_FIXED_NOREPLACE on a free range maps exactly there")
    func fixedNoReplaceFree() throws {
        var (machine, main) = makeProcess()
        let address: UInt64 = 0x7e00_1234_5000
        let mapped = try machine.mmap(
            main, address: address, length: pageBytes, prot: .read, flags: [.private, .anonymous, .fixedNoReplace],
            file: nil, offset: 0)
        #expect(mapped == address)
    }
}

/// Where mmap places mappings: `arch_get_unmapped_area_topdown()` and `thp_get_unmapped_area()`.
@Suite struct MmapPlacementTests {
    @Test("a free hint is honoured")
    func hintHonouredWhenFree() throws {
        var (machine, main) = makeProcess()
        let hint: UInt64 = 0x5555_0000_0000
        let mapped = try machine.mmap(
            main, address: hint, length: 3 * pageBytes, prot: .read, flags: [.private, .anonymous], file: nil,
            offset: 0)
        #expect(mapped == hint)
    }

    @Test("an unaligned hint is rounded down to its page")
    func unalignedHintRoundedDown() throws {
        var (machine, main) = makeProcess()
        let mapped = try machine.mmap(
            main, address: 0x5555_0000_0123, length: pageBytes, prot: .read, flags: [.private, .anonymous],
            file: nil, offset: 0)
        #expect(mapped == 0x5555_0000_0000)
    }

    @Test("an occupied hint falls back to the top-down search")
    func occupiedHintFallsBack() throws {
        var (machine, main) = makeProcess()
        let first = try machine.mapAnon(main, pages: 4)
        let mapped = try machine.mmap(
            main, address: first, length: pageBytes, prot: .read, flags: [.private, .anonymous], file: nil, offset: 0)
        #expect(mapped != first)
        #expect(mapped + pageBytes <= first)
    }

    @Test("a hint below mmap_min_addr is raised to it")
    func hintBelowMinAddress() throws {
        var (machine, main) = makeProcess()
        let mapped = try machine.mmap(
            main, address: 0x1000, length: pageBytes, prot: .read, flags: [.private, .anonymous], file: nil, offset: 0)
        #expect(mapped == machine.config.mmapMinAddress)
    }

    @Test("top-down placement: each mapping goes directly below mmap_base or the previous one")
    func topDownBelowMmapBase() throws {
        var (machine, main) = makeProcess()
        let base = machine.mm(machine.mmID(of: main)).mmapBase
        let first = try machine.mapAnon(main, pages: 3)
        #expect(first == base - 3 * pageBytes)
        let second = try machine.mapAnon(main, pages: 2, prot: .read)
        #expect(second == first - 2 * pageBytes)
    }

    @Test("a 2 MiB-multiple anonymous private mapping is 2 MiB aligned (thp_get_unmapped_area)")
    func thpAlignedPlacement() throws {
        var (machine, main) = makeProcess()
        let odd = try machine.mapAnon(main, pages: 1)
        let huge = try machine.mapAnon(main, pages: 1024)
        #expect(huge % hugeBytes == 0)
        #expect(huge + 1024 * pageBytes <= odd)
        let small = try machine.mapAnon(main, pages: 513, prot: .read)
        #expect(small == huge - 513 * pageBytes, "a non-multiple length is not aligned, placed right below")
    }

    @Test("MAP_FIXED over an existing mapping replaces it and frees its pages")
    func fixedReplacesAndFrees() throws {
        var (machine, main) = makeProcess()
        let base = try machine.mapAnon(main, pages: 8)
        let idle = machine.pages.allocatedFrames
        for page in 0..<8 { _ = machine.access(main, base + UInt64(page) * pageBytes, .write, value: 9) }
        #expect(machine.pages.allocatedFrames > idle + 7)
        let tables = machine.pageTables.liveTables
        _ = try machine.mapAnon(main, pages: 8, prot: .read, fixed: base)
        #expect(machine.pages.allocatedFrames == idle)
        #expect(machine.pageTables.liveTables <= tables)
        #expect(machine.access(main, base, .read) == .value(0))
        #expect(machine.relativeLayout(machine.mmID(of: main), base: base, length: 8 * pageBytes) == "[0,8)r--p")
        #expect(machine.mm(machine.mmID(of: main)).rss.anon == 0)
    }
}
