import MMHardware
import MMKernel
import MMTestSupport
import Testing

/// mremap(2): `do_mremap()` of mm/mremap.c — its argument and VMA checks, shrinking, growing in place, moving with
/// the page tables (`move_page_tables()`/`move_ptes()`), and MREMAP_FIXED replacing what lies at the target.
@Suite struct MremapTests {
    static let window: UInt64 = 0x7e00_0000_0000
    static let mayMove: UInt64 = 1
    static let fixed: UInt64 = 2
    static let dontUnmap: UInt64 = 4

    /// A process with `pages` read-write anonymous private pages at the window.
    func setUp(pages: UInt64 = 4) throws -> (Machine, TaskID, UInt64) {
        var (machine, main) = makeProcess()
        let base = try machine.mapAnon(main, pages: pages, fixed: MremapTests.window)
        return (machine, main, base)
    }

    struct ErrnoRow: Sendable, CustomTestStringConvertible {
        var name: String
        var offset: Int64
        var oldPages: UInt64
        var newLength: UInt64
        var flags: UInt64
        var newOffset: Int64
        var expected: KernelErrno
        var testDescription: String { name }
    }

    /// Source: mm/mremap.c `check_mremap_params()`, `check_prep_vma()`, `expand_vma()`.
    static let errnoRows: [ErrnoRow] = [
        ErrnoRow(
            name: "unknown flag", offset: 0, oldPages: 1, newLength: 4096, flags: 8, newOffset: 0, expected: .EINVAL),
        ErrnoRow(
            name: "unaligned old address", offset: 1, oldPages: 1, newLength: 4096, flags: 0, newOffset: 0,
            expected: .EINVAL),
        ErrnoRow(name: "new length 0", offset: 0, oldPages: 1, newLength: 0, flags: 0, newOffset: 0, expected: .EINVAL),
        ErrnoRow(
            name: "FIXED without MAYMOVE", offset: 0, oldPages: 1, newLength: 4096, flags: fixed,
            newOffset: 64 * 4096, expected: .EINVAL),
        ErrnoRow(
            name: "DONTUNMAP resizing", offset: 0, oldPages: 1, newLength: 8192, flags: mayMove | dontUnmap,
            newOffset: 64 * 4096, expected: .EINVAL),
        ErrnoRow(
            name: "FIXED target overlapping the source", offset: 0, oldPages: 2, newLength: 4 * 4096,
            flags: mayMove | fixed, newOffset: 4096, expected: .EINVAL),
        ErrnoRow(
            name: "unaligned FIXED target", offset: 0, oldPages: 1, newLength: 8192, flags: mayMove | fixed,
            newOffset: 64 * 4096 + 5, expected: .EINVAL),
        ErrnoRow(
            name: "old length 0 of a private mapping", offset: 0, oldPages: 0, newLength: 4096,
            flags: mayMove | fixed, newOffset: 64 * 4096, expected: .EINVAL),
        ErrnoRow(
            name: "no VMA at the old address", offset: 16 * 4096, oldPages: 1, newLength: 8192, flags: 0,
            newOffset: 0, expected: .EFAULT),
        ErrnoRow(
            name: "growth of a range past the VMA's end", offset: 2 * 4096, oldPages: 4, newLength: 8 * 4096,
            flags: 0, newOffset: 0, expected: .EFAULT),
        ErrnoRow(
            name: "growth without room and without MAYMOVE", offset: 0, oldPages: 2, newLength: 3 * 4096,
            flags: 0, newOffset: 0, expected: .ENOMEM),
    ]

    @Test("argument and VMA errors", arguments: errnoRows)
    func errnos(row: ErrnoRow) throws {
        var (machine, main, base) = try setUp()
        let before = machine.mm(machine.mmID(of: main)).vmas.map { $0 }
        #expect(throws: row.expected) {
            try machine.mremap(
                main, base &+ UInt64(bitPattern: row.offset), row.oldPages * pageBytes, row.newLength,
                flags: row.flags, newAddress: base &+ UInt64(bitPattern: row.newOffset))
        }
        #expect(machine.mm(machine.mmID(of: main)).vmas.map { $0 } == before)
    }

    @Test("a sealed VMA refuses with EPERM")
    func sealed() throws {
        var (machine, main, base) = try setUp()
        try machine.mseal(main, base, 4 * pageBytes)
        #expect(throws: KernelErrno.EPERM) {
            try machine.mremap(main, base, 4 * pageBytes, 2 * pageBytes, flags: 0, newAddress: 0)
        }
    }

    @Test("shrinking unmaps the tail and gives its accounting back")
    func shrink() throws {
        var (machine, main, base) = try setUp()
        let committed = machine.committedPages
        let result = try machine.mremap(main, base, 4 * pageBytes, 1 * pageBytes, flags: 0, newAddress: 0)
        #expect(result == base)
        let vma = try #require(machine.vma(main, containing: base))
        #expect(vma.end == base + pageBytes)
        #expect(machine.mm(machine.mmID(of: main)).accounting.totalVM == 1)
        #expect(machine.committedPages == committed - 3)
    }

    @Test("growing in place extends the VMA and charges the growth")
    func growInPlace() throws {
        var (machine, main, base) = try setUp()
        let committed = machine.committedPages
        _ = machine.access(main, base, .write, value: 7)
        let result = try machine.mremap(main, base, 4 * pageBytes, 6 * pageBytes, flags: 0, newAddress: 0)
        #expect(result == base)
        let vma = try #require(machine.vma(main, containing: base))
        #expect(vma.start == base && vma.end == base + 6 * pageBytes)
        #expect(machine.mm(machine.mmID(of: main)).vmas.count == 1)
        #expect(machine.mm(machine.mmID(of: main)).accounting.totalVM == 6)
        #expect(machine.committedPages == committed + 2)
        #expect(machine.access(main, base, .read) == .value(7))
    }

    @Test("MAYMOVE into a crowded spot moves the VMA and its contents")
    func moveKeepsContents() throws {
        var (machine, main, base) = try setUp(pages: 2)
        // A neighbour right after the source: growth in place is impossible.
        _ = try machine.mapAnon(main, pages: 1, fixed: base + 2 * pageBytes)
        _ = machine.access(main, base + pageBytes, .write, value: 0xfeed)
        let committed = machine.committedPages
        let moved = try machine.mremap(
            main, base, 2 * pageBytes, 8 * pageBytes, flags: MremapTests.mayMove, newAddress: 0)
        #expect(moved != base)
        #expect(machine.vma(main, containing: base) == nil)
        let vma = try #require(machine.vma(main, containing: moved))
        #expect(vma.start == moved && vma.end == moved + 8 * pageBytes)
        #expect(machine.access(main, moved + pageBytes, .read) == .value(0xfeed))
        #expect(machine.mm(machine.mmID(of: main)).accounting.totalVM == 9)
        #expect(machine.committedPages == committed + 6)
        #expect(machine.mm(machine.mmID(of: main)).rss.anon == 1)
    }

    @Test("MREMAP_FIXED replaces the mapping at the target")
    func fixedReplaces() throws {
        var (machine, main, base) = try setUp(pages: 2)
        let target = base + 32 * pageBytes
        _ = try machine.mapAnon(main, pages: 4, prot: .read, fixed: target)
        _ = machine.access(main, base, .write, value: 42)
        let result = try machine.mremap(
            main, base, 2 * pageBytes, 3 * pageBytes, flags: MremapTests.mayMove | MremapTests.fixed,
            newAddress: target)
        #expect(result == target)
        let vmas = machine.mm(machine.mmID(of: main)).vmas
        #expect(vmas.count == 2)
        #expect(vmas[0].start == target && vmas[0].end == target + 3 * pageBytes)
        #expect(vmas[0].flags.contains(.write))
        #expect(vmas[1].start == target + 3 * pageBytes && !vmas[1].flags.contains(.write))
        #expect(machine.access(main, target, .read) == .value(42))
        #expect(machine.mm(machine.mmID(of: main)).accounting.totalVM == 4)
    }

    @Test("moving populated PTEs flushes the old extent once (move_ptes)")
    func moveFlushes() throws {
        var (machine, main, base) = try setUp(pages: 4)
        _ = machine.access(main, base, .write, value: 1)
        _ = machine.access(main, base + 2 * pageBytes, .write, value: 2)
        machine.clearTrace()
        let target = base + 64 * pageBytes
        _ = try machine.mremap(
            main, base, 4 * pageBytes, 4 * pageBytes, flags: MremapTests.mayMove | MremapTests.fixed,
            newAddress: target)
        let moveFlush = machine.flushRequests.first
        #expect(moveFlush?.start == base && moveFlush?.end == base + 4 * pageBytes)
        #expect(machine.access(main, target + 2 * pageBytes, .read) == .value(2))
        #expect(machine.leaf(main, base).entry.isNone)
    }

    @Test("moving only empty PTEs does not flush")
    func emptyMoveDoesNotFlush() throws {
        var (machine, main, base) = try setUp(pages: 4)
        machine.clearTrace()
        _ = try machine.mremap(
            main, base, 4 * pageBytes, 4 * pageBytes, flags: MremapTests.mayMove | MremapTests.fixed,
            newAddress: base + 64 * pageBytes)
        #expect(machine.flushRequests.isEmpty)
    }

    @Test("old length 0 duplicates a shared mapping and keeps the source")
    func duplicateShared() throws {
        var (machine, main) = makeProcess()
        let base = try machine.mapAnon(main, pages: 2, shared: true, fixed: MremapTests.window)
        let target = base + 16 * pageBytes
        let result = try machine.mremap(
            main, base, 0, 2 * pageBytes, flags: MremapTests.mayMove | MremapTests.fixed, newAddress: target)
        #expect(result == target)
        #expect(machine.vma(main, containing: base)?.end == base + 2 * pageBytes)
        #expect(machine.vma(main, containing: target)?.end == target + 2 * pageBytes)
    }
}
