import MMHardware
import MMKernel
import MMTestSupport
import Testing

/// fork(2): `dup_mmap()`, `copy_page_range()`, `copy_present_pte()` and the parent's `flush_tlb_mm()` (kernel/fork.c,
/// mm/memory.c).
@Suite struct ForkTests {
    static let window: UInt64 = 0x7e00_0000_0000

    static func forked(pages: UInt64 = 4) throws -> (Machine, TaskID, TaskID, UInt64) {
        var (machine, main) = makeProcess()
        let base = try machine.mapAnon(main, pages: pages, fixed: window)
        for page in 0..<pages { _ = machine.access(main, base + page * pageBytes, .write, value: 100 + page) }
        machine.clearTrace()
        let child = try machine.fork(main, childName: "child", cpu: CPUID(1))
        return (machine, main, child, base)
    }

    @Test("private writable PTEs become read-only in both; pages lose anonExclusive and are mapped twice")
    func writeProtectsBoth() throws {
        let (machine, main, child, base) = try Self.forked()
        for page: UInt64 in 0..<4 {
            let parent = machine.leaf(main, base + page * pageBytes).entry
            let copy = machine.leaf(child, base + page * pageBytes).entry
            #expect(parent.hardwarePresent && copy.hardwarePresent)
            #expect(!parent.isWritable && !copy.isWritable)
            #expect(parent.pfn == copy.pfn)
            let descriptor = machine.pages[parent.pfn]
            #expect(!descriptor.flags.contains(.anonExclusive))
            #expect(descriptor.mapcount == 2)
            #expect(descriptor.refcount == 2)
        }
        #expect(machine.mm(machine.mmID(of: child)).rss.anon == 4)
    }

    @Test("the parent's TLB is flushed: one full flush_tlb_mm with freed_tables")
    func parentFlushed() throws {
        let (machine, main, _, _) = try Self.forked()
        let flushes = machine.flushRequests
        #expect(flushes.count == 1)
        #expect(flushes.first?.mm == machine.mmID(of: main))
        #expect(flushes.first?.isFull == true)
        #expect(flushes.first?.freedTables == true)
    }

    @Test("each side's write copies; neither loses a write nor sees the other's (stale TLB after fork)")
    func writesCopy() throws {
        var (machine, main, child, base) = try Self.forked()
        #expect(machine.access(main, base, .write, value: 0xAAAA) == .value(0xAAAA))
        #expect(machine.faultResolutions.last == .copyOnWrite)
        #expect(machine.access(child, base, .read) == .value(100), "the parent's cached writable entry was flushed")
        #expect(machine.access(child, base + pageBytes, .write, value: 0xBBBB) == .value(0xBBBB))
        #expect(machine.access(main, base + pageBytes, .read) == .value(101))
        #expect(machine.access(main, base, .read) == .value(0xAAAA))
        #expect(machine.access(child, base + pageBytes, .read) == .value(0xBBBB))
        #expect(machine.leaf(main, base).entry.pfn != machine.leaf(child, base).entry.pfn)
    }

    @Test("after one side copied, the other side's write reuses the page in place")
    func lastMapperReuses() throws {
        var (machine, main, child, base) = try Self.forked()
        _ = machine.access(child, base, .write, value: 1)
        let frame = machine.leaf(main, base).entry.pfn
        machine.clearTrace()
        _ = machine.access(main, base, .write, value: 2)
        #expect(machine.faultResolutions == [.reuse])
        #expect(machine.leaf(main, base).entry.pfn == frame)
        #expect(machine.pages[frame].flags.contains(.anonExclusive))
    }

    @Test("VM_DONTCOPY (MADV_DONTFORK) VMAs are absent in the child")
    func dontCopyAbsent() throws {
        var (machine, main) = makeProcess()
        let base = try machine.mapAnon(main, pages: 3, fixed: Self.window)
        _ = machine.access(main, base + pageBytes, .write, value: 1)
        try machine.madvise(main, base + pageBytes, pageBytes, advice: Advice.dontFork.rawValue)
        let child = try machine.fork(main, childName: "child", cpu: CPUID(1))
        let childMM = machine.mmID(of: child)
        #expect(machine.relativeLayout(childMM, base: base, length: 3 * pageBytes) == "[0,1)rw-p [2,3)rw-p")
        guard case .signal(let signal) = machine.access(child, base + pageBytes, .read) else {
            Issue.record("DONTCOPY page reachable in the child")
            return
        }
        #expect(signal.code == "SEGV_MAPERR")
        #expect(
            machine.leaf(main, base + pageBytes).entry.isWritable, "the parent's DONTCOPY page is not write-protected")
        #expect(machine.mm(childMM).accounting.totalVM == 2)
    }

    @Test("a child VMA with an inherited anon_vma does not merge with a new neighbour; the parent's does")
    func childAnonVMADoesNotMerge() throws {
        let (initial, main, child, base) = try Self.forked()
        var machine = initial
        let next = base + 4 * pageBytes
        _ = try machine.mapAnon(child, pages: 2, fixed: next)
        #expect(machine.vma(child, containing: base)?.anonVMAChained == true)
        #expect(
            machine.relativeLayout(machine.mmID(of: child), base: base, length: 6 * pageBytes) == "[0,4)rw-p [4,6)rw-p")
        _ = try machine.mapAnon(main, pages: 2, fixed: next)
        #expect(machine.relativeLayout(machine.mmID(of: main), base: base, length: 6 * pageBytes) == "[0,6)rw-p")
    }

    @Test(
        "a VMA holding only zero-page PTEs has no anon_vma, so fork copies no PTEs (vma_needs_copy) and the child refaults"
    )
    func zeroPageOnlyNotCopied() throws {
        var (machine, main) = makeProcess()
        let base = try machine.mapAnon(main, pages: 2)
        _ = machine.access(main, base, .read)
        let child = try machine.fork(main, childName: "child", cpu: CPUID(1))
        #expect(machine.leaf(child, base).entry.isNone)
        #expect(machine.access(child, base, .read) == .value(0))
        #expect(machine.leaf(child, base).entry.pfn == machine.pages.zeroPage)
        #expect(machine.access(child, base, .write, value: 3) == .value(3))
        #expect(machine.access(main, base, .read) == .value(0))
    }

    @Test("an untouched VMA (no anon_vma) is copied without page tables")
    func untouchedNoTables() throws {
        var (machine, main) = makeProcess()
        let base = try machine.mapAnon(main, pages: 2)
        let tables = machine.pageTables.liveTables
        let child = try machine.fork(main, childName: "child", cpu: CPUID(1))
        #expect(machine.pageTables.liveTables == tables + 1, "only the child's PGD")
        #expect(machine.vma(child, containing: base) != nil)
    }

    @Test("a THP is shared by fork as a read-only PMD and split on the first write")
    func thpFork() throws {
        var (machine, main) = makeProcess()
        let base = try machine.mapAnon(main, pages: 512)
        try machine.madvise(main, base, hugeBytes, advice: Advice.hugePage.rawValue)
        _ = machine.access(main, base, .write, value: 1)
        let child = try machine.fork(main, childName: "child", cpu: CPUID(1))
        #expect(machine.leaf(child, base).huge)
        #expect(!machine.leaf(main, base).entry.isWritable)
        #expect(machine.access(child, base + 3 * pageBytes, .write, value: 2) == .value(2))
        #expect(machine.access(main, base + 3 * pageBytes, .read) == .value(0))
        #expect(machine.access(main, base, .read) == .value(1))
    }
}
