import MMHardware
import MMKernel
import MMTestSupport
import Testing

/// The mprotect and munmap flush shapes Linux 6.18 shows under `tlb:tlb_flush` (the `host-…` built-ins, which
/// `mmsim probe` runs on the real kernel), under `.merged` with x86 defaults (no PKU, MMU_GATHER_MERGE_VMAS,
/// `tlb_single_page_flush_ceiling` 33) and two threads (CPU 1 running the mm, so every flush is one remote
/// decision). The rules behind them: docs/kernel-model.md, "The x86 flush backend" and "The mmu_gather".
@Suite struct HostFlushShapeTests {
    /// A populated RW region of `pages` pages.
    static func populated(_ rig: inout FlushRig, pages: UInt64) throws -> UInt64 {
        let base = try rig.map(pages: pages)
        rig.touch(base, 0..<Int(pages))
        return base
    }

    @Test("6.18 shape: 1 page in a populated 512-page RW VMA → RO (splits into 3)")
    func onePageOf512() throws {
        var rig = FlushRig()
        let base = try Self.populated(&rig, pages: 512)
        rig.begin()
        try rig.mprotect(base + 100 * pageBytes, pages: 1, .read)
        rig.expectFlushes([1])
        #expect(
            rig.machine.relativeLayout(rig.mm, base: base, length: 512 * pageBytes)
                == "[0,100)rw-p [100,101)r--p [101,512)rw-p")
        rig.expectTLBsSafe()
    }

    @Test("6.18 shape: whole 512-page populated RW → RO")
    func whole512() throws {
        var rig = FlushRig()
        let base = try Self.populated(&rig, pages: 512)
        rig.begin()
        try rig.mprotect(base, pages: 512, .read)
        rig.expectFlushes([-1])
        rig.expectTLBsSafe()
    }

    @Test("6.18 shape: 2 MiB THP (MADV_HUGEPAGE) RW → RO: 1 flush at the PMD stride")
    func thpWhole() throws {
        var rig = FlushRig()
        let base = try rig.mapTHP()
        try #require(rig.machine.leafEntry(rig.mm, base).huge)
        rig.begin()
        try rig.mprotect(base, pages: 512, .read)
        rig.expectFlushes([1], strides: [21])
        rig.expectTLBsSafe()
    }

    @Test("6.18 shape: 1 page inside a fresh THP → RO: split (full) then 1 page, 2 remote decisions")
    func thpOnePage() throws {
        var rig = FlushRig()
        let base = try rig.mapTHP()
        try #require(rig.machine.leafEntry(rig.mm, base).huge)
        rig.begin()
        try rig.mprotect(base + 7 * pageBytes, pages: 1, .read)
        rig.expectFlushes([-1, 1])
        #expect(!rig.machine.leafEntry(rig.mm, base).huge)
        rig.expectTLBsSafe()
    }

    @Test("6.18 shape: 24 pages spanning 3 VMAs (plain/DONTFORK/DONTDUMP) RW → RO: 1 flush of 24")
    func threeVMAs() throws {
        var rig = FlushRig()
        let base = try rig.map(pages: 24)
        try rig.machine.madvise(rig.main, base + 8 * pageBytes, 8 * pageBytes, advice: Advice.dontFork.rawValue)
        try rig.machine.madvise(rig.main, base + 16 * pageBytes, 8 * pageBytes, advice: Advice.dontDump.rawValue)
        rig.touch(base, 0..<24)
        #expect(rig.machine.relativeLayout(rig.mm, base: base, length: 24 * pageBytes).split(separator: " ").count == 3)
        rig.begin()
        try rig.mprotect(base, pages: 24, .read)
        rig.expectFlushes([24])
        rig.expectTLBsSafe()
    }

    /// One 16-page shape: `before` prepares the populated region, the measured call is mprotect to `to`.
    struct Shape: CustomTestStringConvertible, Sendable {
        var name: String
        var pages: UInt64 = 16
        var write = true
        var before: Protection?
        var to: Protection
        var flushes: [Int]
        var testDescription: String { "6.18 shape: \(name)" }
    }

    static let shapes: [Shape] = [
        Shape(name: "16 populated PROT_NONE → RW", before: [], to: [.read, .write], flushes: []),
        Shape(name: "16 populated RW → RO", to: .read, flushes: [16]),
        Shape(name: "40 populated RW → RO", pages: 40, to: .read, flushes: [-1]),
        Shape(name: "16 dirty exclusive RO → RW", before: .read, to: [.read, .write], flushes: [16]),
        Shape(name: "16 populated RW → NONE", to: [], flushes: [16]),
        Shape(name: "16 populated RW → RWX (NX cleared)", to: [.read, .write, .exec], flushes: [16]),
        Shape(name: "16 RW → RW (no-op)", to: [.read, .write], flushes: []),
        Shape(name: "16 zero-page RW → RO", write: false, to: .read, flushes: []),
        Shape(name: "16 zero-page RO → RW", write: false, before: .read, to: [.read, .write], flushes: []),
        Shape(name: "33 populated RW → RO", pages: 33, to: .read, flushes: [33]),
        Shape(name: "34 populated RW → RO", pages: 34, to: .read, flushes: [-1]),
    ]

    @Test(arguments: shapes)
    func shape(_ shape: Shape) throws {
        var rig = FlushRig()
        let base = try rig.map(pages: shape.pages)
        rig.touch(base, 0..<Int(shape.pages), write: shape.write)
        if let before = shape.before { try rig.mprotect(base, pages: shape.pages, before) }
        rig.begin()
        try rig.mprotect(base, pages: shape.pages, shape.to)
        rig.expectFlushes(shape.flushes)
        rig.expectTLBsSafe()
    }

    @Test("6.18 shape: 16 unpopulated pages RW → RO")
    func unpopulated() throws {
        var rig = FlushRig()
        let base = try rig.map(pages: 16)
        rig.begin()
        try rig.mprotect(base, pages: 16, .read)
        rig.expectFlushes([])
    }

    @Test("6.18 shape: sparse pages — 16-page VMA pages 0 and 10 → 11; 128-page VMA pages 0 and 100 → full")
    func sparse() throws {
        var rig = FlushRig()
        let small = try rig.map(pages: 16)
        let large = try rig.map(pages: 128)
        rig.touch(small, [0, 10])
        rig.touch(large, [0, 100])
        rig.begin()
        try rig.mprotect(small, pages: 16, .read)
        rig.expectFlushes([11])
        rig.begin()
        try rig.mprotect(large, pages: 128, .read)
        rig.expectFlushes([-1])
        rig.expectTLBsSafe()
    }

    @Test("native_flush_tlb_multi: a single thread sends 0 IPIs (mm_cpumask holds only the caller)")
    func singleThread() throws {
        var (machine, main) = makeProcess()
        let base = try machine.mapAnon(main, pages: 16)
        for page in 0..<16 { _ = machine.access(main, base + UInt64(page) * pageBytes, .write, value: 1) }
        let mark = machine.trace.count
        try machine.mprotect(main, base, 16 * pageBytes, prot: Protection.read.rawValue)
        let flushes = machine.flushRequests(since: mark)
        #expect(flushes.map(\.pages) == [16])
        #expect(flushes.map(\.remote) == [[]])
    }

    @Test("should_flush_tlb: a lazy remote CPU gets no IPI for an mprotect flush")
    func lazyRemote() throws {
        var rig = FlushRig()
        let base = try Self.populated(&rig, pages: 16)
        rig.machine.idle(cpu: CPUID(1))
        rig.begin()
        try rig.mprotect(base, pages: 16, .read)
        rig.expectFlushes([16], remote: [])
    }

    /// Reference rows: munmap of 16 populated pages is one flush of 16 pages, or a full one when its PTE table is
    /// freed and the range widens (layout-dependent on the host); the 2 MiB-aligned whole-VMA munmap gave 16.
    @Test("6.18 shape: munmap 16 populated pages")
    func munmap16() throws {
        var rig = FlushRig()
        let base = try Self.populated(&rig, pages: 16)
        rig.begin()
        try rig.machine.munmap(rig.main, base, 16 * pageBytes)
        #expect(rig.flushes.count == 1)
        #expect([16, -1].contains(rig.flushes.first?.pages ?? 0))
        #expect(rig.flushes.first?.remote == [CPUID(1)])
        rig.expectTLBsSafe()
    }

    @Test("6.18 shape: munmap whole 2 MiB-aligned 16-page VMA (PTE table freed)")
    func munmapAligned() throws {
        var rig = FlushRig()
        // As in the host process, other mappings share the 1 GiB around it, so only the PTE table goes.
        let reserve = try rig.map(pages: 1024)
        let base = (reserve + hugeBytes - 1) & ~(hugeBytes - 1)
        try rig.machine.munmap(rig.main, base, hugeBytes)
        _ = try rig.machine.mapAnon(rig.main, pages: 16, fixed: base)
        rig.touch(base, 0..<16)
        rig.begin()
        try rig.machine.munmap(rig.main, base, 16 * pageBytes)
        #expect(rig.flushes.map(\.pages) == [16])
        #expect(rig.flushes.first?.remote == [CPUID(1)])
        rig.expectTLBsSafe()
    }

    @Test("6.18 shape: RO → RW and COW (PageAnonExclusive): shared with a fork child, after its exit, after re-writing")
    func cowSubTable() throws {
        var rig = FlushRig()
        let base = try Self.populated(&rig, pages: 16)
        let child = try rig.machine.fork(rig.main, childName: "child", cpu: CPUID(0))
        try rig.mprotect(base, pages: 16, .read)
        rig.begin()
        try rig.mprotect(base, pages: 16, [.read, .write])
        rig.expectFlushes([], "shared with a forked child, RO → RW")
        rig.begin()
        try rig.mprotect(base, pages: 16, .read)
        rig.expectFlushes([], "RW → RO again: fork already write-protected the PTEs")
        rig.machine.exitMMap(rig.machine.task(child).mm)
        rig.begin()
        try rig.mprotect(base, pages: 16, [.read, .write])
        rig.expectFlushes([], "after the child exited, RO → RW: pages still not exclusive")
        rig.touch(base, 0..<16)
        try rig.mprotect(base, pages: 16, .read)
        rig.begin()
        try rig.mprotect(base, pages: 16, [.read, .write])
        rig.expectFlushes([16], "after re-writing (exclusive again), RO → RW")
        rig.expectTLBsSafe()
    }
}
