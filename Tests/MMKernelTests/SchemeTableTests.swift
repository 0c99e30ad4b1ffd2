import MMHardware
import MMKernel
import MMTestSupport
import Testing

/// The seed patch's flush table (docs/kernel-model.md, "The three schemes" and "The rest of the scheme table"):
/// every row once per scheme. `.before` is `change_protection_range()` flushing the whole segment itself (≤5.18),
/// `.seed` the mmu_gather of 4a18419f71cd recording every rewritten present entry (with `pmdp_invalidate()`'s
/// immediate THP flush), `.merged` the gather recording only what `pte_needs_flush()`/`huge_pmd_needs_flush()` pick
/// (c9fe66560bf2, 4f83145721f3). Caller on CPU 0, another thread of the mm running on CPU 1.
@Suite struct SchemeTableTests {
    static let cpu1 = [CPUID(1)]

    @Test(
        "S1: 1 GiB VMA, 1 page present, → PROT_READ (whole segment vs gathered page)", arguments: FlushScheme.allCases)
    func s1(_ scheme: FlushScheme) throws {
        var rig = FlushRig(scheme)
        let base = try rig.map(pages: 262_144)
        rig.touch(base, [5])
        rig.begin()
        try rig.mprotect(base, pages: 262_144, .read)
        rig.expectFlushes(scheme == .before ? [-1] : [1])
        if scheme != .before {
            #expect(rig.flushes.first?.start == base + 5 * pageBytes)
        }
        rig.expectTLBsSafe()
    }

    @Test("S2: one PMD-mapped THP RW → RO (pmdp_invalidate vs pmdp_invalidate_ad)", arguments: FlushScheme.allCases)
    func s2(_ scheme: FlushScheme) throws {
        var rig = FlushRig(scheme)
        let base = try rig.mapTHP()
        try #require(rig.machine.leafEntry(rig.mm, base).huge)
        rig.begin()
        try rig.mprotect(base, pages: 512, .read)
        switch scheme {
        case .before: rig.expectFlushes([-1, -1])
        case .seed: rig.expectFlushes([-1, 1], strides: [12, 21])
        case .merged: rig.expectFlushes([1], strides: [21])
        }
        #expect(rig.machine.leafEntry(rig.mm, base).huge)
        rig.expectTLBsSafe()
    }

    @Test("S2b: 1 MiB inside a THP RW → RO (vma_adjust_trans_huge splits)", arguments: FlushScheme.allCases)
    func s2b(_ scheme: FlushScheme) throws {
        var rig = FlushRig(scheme)
        let base = try rig.mapTHP()
        try #require(rig.machine.leafEntry(rig.mm, base).huge)
        rig.begin()
        try rig.mprotect(base, pages: 256, .read)
        rig.expectFlushes([-1, -1])
        #expect(!rig.machine.leafEntry(rig.mm, base).huge)
        #expect(!rig.machine.leafEntry(rig.mm, base).entry.isWritable)
        #expect(rig.machine.leafEntry(rig.mm, base + 256 * pageBytes).entry.isWritable)
        rig.expectTLBsSafe()
    }

    @Test("S2c: THP PROT_NONE → RW (huge_pmd_needs_flush: old PMD not present)", arguments: FlushScheme.allCases)
    func s2c(_ scheme: FlushScheme) throws {
        var rig = FlushRig(scheme)
        let base = try rig.mapTHP()
        try rig.mprotect(base, pages: 512, [])
        try #require(rig.machine.leafEntry(rig.mm, base).entry.isProtNone)
        rig.begin()
        try rig.mprotect(base, pages: 512, [.read, .write])
        switch scheme {
        case .before: rig.expectFlushes([-1, -1])
        case .seed: rig.expectFlushes([-1, 1], strides: [12, 21])
        case .merged: rig.expectFlushes([])
        }
        rig.expectTLBsSafe()
    }

    /// Three adjacent VMAs (plain, MADV_DONTFORK, plain) of `pages` written pages each.
    static func threeVMAs(_ rig: inout FlushRig, pages: UInt64) throws -> UInt64 {
        let base = try rig.map(pages: 3 * pages)
        try rig.machine.madvise(rig.main, base + pages * pageBytes, pages * pageBytes, advice: Advice.dontFork.rawValue)
        rig.touch(base, 0..<Int(3 * pages))
        #expect(rig.machine.mm(rig.mm).vmas.indices(intersecting: base, base + 3 * pages * pageBytes).count == 3)
        return base
    }

    @Test("S3: 3 non-mergeable VMAs × 4 pages RW → RO (one gather, tlb_end_vma no-op)", arguments: FlushScheme.allCases)
    func s3(_ scheme: FlushScheme) throws {
        var rig = FlushRig(scheme)
        let base = try Self.threeVMAs(&rig, pages: 4)
        rig.begin()
        try rig.mprotect(base, pages: 12, .read)
        rig.expectFlushes(scheme == .before ? [4, 4, 4] : [12])
        rig.expectTLBsSafe()
    }

    @Test("S3b: 3 VMAs × 16 pages RW → RO (48 strides pass the ceiling)", arguments: FlushScheme.allCases)
    func s3b(_ scheme: FlushScheme) throws {
        var rig = FlushRig(scheme)
        let base = try Self.threeVMAs(&rig, pages: 16)
        rig.begin()
        try rig.mprotect(base, pages: 48, .read)
        rig.expectFlushes(scheme == .before ? [16, 16, 16] : [-1])
        rig.expectTLBsSafe()
    }

    /// VM_PFNMAP cannot come from the model's mmap (no device files); the middle VMA gets the flag directly, after
    /// its pages were faulted in, which is what a driver's `remap_pfn_range()` VMA looks like to `change_protection()`.
    @Test("S3c: S3 with a VM_PFNMAP middle VMA (b67fbebd4cf9 flush at tlb_end_vma)", arguments: FlushScheme.allCases)
    func s3c(_ scheme: FlushScheme) throws {
        var rig = FlushRig(scheme)
        let base = try Self.threeVMAs(&rig, pages: 4)
        rig.machine.addVMAFlags(rig.main, containing: base + 4 * pageBytes, .pfnMap)
        rig.begin()
        try rig.mprotect(base, pages: 12, .read)
        // B: one flush per segment. A (6.x): tlb_end_vma() flushes at the end of the PFNMAP VMA (VMA1+2); VMA3 resets
        // vma_pfn and is flushed by tlb_finish_mmu(). A1 (5.19, x86 tlb_end_vma() empty): one flush at the end.
        let expected: [Int] =
            switch scheme {
            case .before: [4, 4, 4]
            case .seed: [12]
            case .merged: [8, 4]
            }
        rig.expectFlushes(expected)
        rig.expectTLBsSafe()
    }

    @Test("S4: 8 PROT_NONE PTEs → RW (pte_needs_flush: old PTE not present)", arguments: FlushScheme.allCases)
    func s4(_ scheme: FlushScheme) throws {
        var rig = FlushRig(scheme)
        let base = try rig.map(pages: 8)
        rig.touch(base, 0..<8)
        try rig.mprotect(base, pages: 8, [])
        rig.begin()
        try rig.mprotect(base, pages: 8, [.read, .write])
        rig.expectFlushes(scheme == .merged ? [] : [8])
        rig.expectTLBsSafe()
    }

    @Test("S5: 8 contiguous RW PTEs → RO (RW cleared: flush in every scheme)", arguments: FlushScheme.allCases)
    func s5(_ scheme: FlushScheme) throws {
        var rig = FlushRig(scheme)
        let base = try rig.map(pages: 8)
        rig.touch(base, 0..<8)
        rig.begin()
        try rig.mprotect(base, pages: 8, .read)
        rig.expectFlushes([8])
        rig.expectTLBsSafe()
    }

    @Test("S5 with CPU 1 lazy: no IPI (should_flush_tlb), full flush when its thread runs again")
    func s5Lazy() throws {
        var rig = FlushRig(.merged)
        let base = try rig.map(pages: 8)
        rig.touch(base, 0..<8)
        _ = rig.machine.access(rig.worker, base, .write, value: 7)
        rig.machine.idle(cpu: CPUID(1))
        rig.begin()
        try rig.mprotect(base, pages: 8, .read)
        rig.expectFlushes([8], remote: [])
        rig.machine.schedule(rig.worker)
        let switched = rig.tlbFlushEvents.filter { $0.cpu == CPUID(1) && $0.reason == .taskSwitch }
        #expect(switched.map(\.pages) == [-1])
        rig.expectTLBsSafe()
        #expect(rig.machine.access(rig.worker, base, .write, value: 9) != .value(9))
    }

    @Test("a lazy CPU that missed no tlb_gen does not flush at switch_mm_irqs_off")
    func lazyNoMissedGeneration() throws {
        var rig = FlushRig(.merged)
        let base = try rig.map(pages: 8)
        rig.touch(base, 0..<8, write: false)
        rig.machine.idle(cpu: CPUID(1))
        rig.begin()
        try rig.mprotect(base, pages: 8, .read)
        rig.machine.schedule(rig.worker)
        rig.expectFlushes([])
        #expect(rig.tlbFlushEvents.isEmpty)
    }

    @Test(
        "S5b: 64-page segment, first 8 present, RW → RO (segment vs gathered interval)", arguments: FlushScheme.allCases
    )
    func s5b(_ scheme: FlushScheme) throws {
        var rig = FlushRig(scheme)
        let base = try rig.map(pages: 64)
        rig.touch(base, 0..<8)
        rig.begin()
        try rig.mprotect(base, pages: 64, .read)
        rig.expectFlushes(scheme == .before ? [-1] : [8])
        rig.expectTLBsSafe()
    }

    @Test("S5c: private RO → RW on clean (zero-page) PTEs (PAGE_COPY = PAGE_READONLY)", arguments: FlushScheme.allCases)
    func s5cClean(_ scheme: FlushScheme) throws {
        var rig = FlushRig(scheme)
        let base = try rig.map(pages: 8)
        rig.touch(base, 0..<8, write: false)
        try rig.mprotect(base, pages: 8, .read)
        rig.begin()
        try rig.mprotect(base, pages: 8, [.read, .write])
        rig.expectFlushes(scheme == .merged ? [] : [8])
        #expect(!rig.machine.leafEntry(rig.mm, base).entry.isWritable)
        rig.expectTLBsSafe()
    }

    @Test("S5c: private RO → RW on pages shared with a fork child (no write upgrade)", arguments: FlushScheme.allCases)
    func s5cShared(_ scheme: FlushScheme) throws {
        var rig = FlushRig(scheme)
        let base = try rig.map(pages: 8)
        rig.touch(base, 0..<8)
        _ = try rig.machine.fork(rig.main, childName: "child", cpu: CPUID(0))
        try rig.mprotect(base, pages: 8, .read)
        rig.begin()
        try rig.mprotect(base, pages: 8, [.read, .write])
        rig.expectFlushes(scheme == .merged ? [] : [8])
        #expect(!rig.machine.leafEntry(rig.mm, base).entry.isWritable)
        rig.expectTLBsSafe()
    }

    /// Before 6.0 private PTEs were never upgraded in place; `before` still flushes the segment because
    /// `change_pte_range()` counted the rewritten entries.
    @Test("S5d: private RO → RW on exclusive anon pages (64fe24a3e05e upgrade, 6.0)", arguments: FlushScheme.allCases)
    func s5d(_ scheme: FlushScheme) throws {
        var rig = FlushRig(scheme)
        let base = try rig.map(pages: 8)
        rig.touch(base, 0..<8)
        try rig.mprotect(base, pages: 8, .read)
        rig.begin()
        try rig.mprotect(base, pages: 8, [.read, .write])
        rig.expectFlushes([8])
        #expect(rig.machine.leafEntry(rig.mm, base).entry.isWritable == (scheme == .merged))
        rig.expectTLBsSafe()
    }

    @Test("S6: range without populated PTEs (nothing counted, nothing recorded)", arguments: FlushScheme.allCases)
    func s6(_ scheme: FlushScheme) throws {
        var rig = FlushRig(scheme)
        let never = try rig.map(pages: 16)
        let emptied = try rig.map(pages: 16)
        rig.touch(emptied, 0..<16)
        try rig.machine.madvise(rig.main, emptied, 16 * pageBytes, advice: Advice.dontNeed.rawValue)
        rig.begin()
        try rig.mprotect(never, pages: 16, .read)
        try rig.mprotect(emptied, pages: 16, .read)
        rig.expectFlushes([])
        rig.expectTLBsSafe()
    }

    /// Another gather live on the mm (two live gathers): the after schemes force a full flush with freed_tables at
    /// tlb_finish_mmu, reaching the lazy CPU 2 as well. Before the seed patch mprotect had no gather at all.
    @Test("S6 with a nested gather: mm_tlb_flush_nested forces a full flush", arguments: FlushScheme.allCases)
    func s6Nested(_ scheme: FlushScheme) throws {
        var rig = FlushRig(scheme, cpus: 3)
        let sleeper = rig.machine.createThread(name: "sleeper", mm: rig.mm, cpu: CPUID(2))
        rig.machine.schedule(sleeper)
        rig.machine.idle(cpu: CPUID(2))
        let base = try rig.map(pages: 16)
        var other = rig.machine.tlbGatherMMU(mm: rig.mm, cpu: CPUID(1))
        rig.begin()
        try rig.mprotect(base, pages: 16, .read)
        if scheme == .before {
            rig.expectFlushes([])
        } else {
            rig.expectFlushes([-1], remote: [CPUID(1), CPUID(2)])
            #expect(rig.flushes.first?.freedTables == true)
        }
        #expect(rig.machine.mm(rig.mm).tlbFlushPending == 1)
        rig.machine.tlbFinishMMU(&other)
        #expect(rig.machine.mm(rig.mm).tlbFlushPending == 0)
    }

    @Test("S7: 34 and 33 contiguous PTEs RW → RO (tlb_single_page_flush_ceiling 33)", arguments: FlushScheme.allCases)
    func s7(_ scheme: FlushScheme) throws {
        var rig = FlushRig(scheme)
        let big = try rig.map(pages: 34)
        let small = try rig.map(pages: 33)
        rig.touch(big, 0..<34)
        rig.touch(small, 0..<33)
        rig.begin()
        try rig.mprotect(big, pages: 34, .read)
        rig.expectFlushes([-1])
        rig.begin()
        try rig.mprotect(small, pages: 33, .read)
        rig.expectFlushes([33])
        rig.expectTLBsSafe()
    }

    @Test("S7b: pages 0 and 20 of a 64-page segment (one gathered interval of 21)", arguments: FlushScheme.allCases)
    func s7b(_ scheme: FlushScheme) throws {
        var rig = FlushRig(scheme)
        let base = try rig.map(pages: 64)
        rig.touch(base, [0, 20])
        rig.begin()
        try rig.mprotect(base, pages: 64, .read)
        rig.expectFlushes(scheme == .before ? [-1] : [21])
        rig.expectTLBsSafe()
    }

    @Test("S7c: pages 0 and 40 of a 64-page segment (interval of 41 > 33)", arguments: FlushScheme.allCases)
    func s7c(_ scheme: FlushScheme) throws {
        var rig = FlushRig(scheme)
        let base = try rig.map(pages: 64)
        rig.touch(base, [0, 40])
        rig.begin()
        try rig.mprotect(base, pages: 64, .read)
        rig.expectFlushes([-1])
        rig.expectTLBsSafe()
    }

    /// The VMA is read-only, so unprotecting cannot make PTEs writable: only SOFTW2 changes.
    @Test("S8: UFFDIO_WRITEPROTECT unprotect, only uffd-wp (SOFTW2) changes", arguments: FlushScheme.allCases)
    func s8(_ scheme: FlushScheme) throws {
        var rig = FlushRig(scheme)
        let base = try rig.map(pages: 8)
        rig.touch(base, 0..<8)
        try rig.mprotect(base, pages: 8, .read)
        try rig.machine.userfaultfdRegister(rig.main, base, 8 * pageBytes)
        try rig.machine.userfaultfdWriteProtect(rig.main, base, 8 * pageBytes, protect: true)
        #expect(rig.machine.leafEntry(rig.mm, base).entry.contains(.uffdWP))
        rig.begin()
        try rig.machine.userfaultfdWriteProtect(rig.main, base, 8 * pageBytes, protect: false)
        rig.expectFlushes(scheme == .merged ? [] : [8])
        #expect(!rig.machine.leafEntry(rig.mm, base).entry.contains(.uffdWP))
        rig.expectTLBsSafe()
    }

    @Test("S8 (6.x): unprotect upgrades exclusive pages to RW and flushes", arguments: FlushScheme.allCases)
    func s8Upgrade(_ scheme: FlushScheme) throws {
        var rig = FlushRig(scheme)
        let base = try rig.map(pages: 8)
        rig.touch(base, 0..<8)
        try rig.machine.userfaultfdRegister(rig.main, base, 8 * pageBytes)
        try rig.machine.userfaultfdWriteProtect(rig.main, base, 8 * pageBytes, protect: true)
        rig.begin()
        try rig.machine.userfaultfdWriteProtect(rig.main, base, 8 * pageBytes, protect: false)
        rig.expectFlushes([8])
        #expect(rig.machine.leafEntry(rig.mm, base).entry.isWritable == (scheme == .merged))
        rig.expectTLBsSafe()
    }

    /// Pages 0–3 become writable migration entries, pages 4–7 swap entries (installed with pokePTE, then the TLBs
    /// are flushed as migration/reclaim would have).
    @Test(
        "S9: only swap/migration entries, writable migration → readable (never recorded)",
        arguments: FlushScheme.allCases)
    func s9(_ scheme: FlushScheme) throws {
        var rig = FlushRig(scheme)
        let base = try rig.map(pages: 8)
        rig.touch(base, 0..<8)
        for page in 0..<8 {
            let address = base + UInt64(page) * pageBytes
            rig.machine.pokePTE(rig.main, address) { pte in
                let kind: SwapEntryKind = page < 4 ? .migrationWrite : .swap(type: 0)
                return SwapEntry(kind: kind, offset: page < 4 ? pte.pfn.rawValue : UInt64(page + 100)).pte
            }
        }
        rig.machine.flushTLBMM(initiator: CPUID(0), mm: rig.mm)
        rig.begin()
        try rig.mprotect(base, pages: 8, .read)
        rig.expectFlushes(scheme == .before ? [8] : [])
        for page in 0..<8 {
            let entry = try #require(
                SwapEntry(pte: rig.machine.leafEntry(rig.mm, base + UInt64(page) * pageBytes).entry))
            #expect(entry.kind == (page < 4 ? .migrationReadExclusive : .swap(type: 0)))
        }
        rig.expectTLBsSafe()
    }

    @Test(
        "S9: unchanged swap entries are not counted by change_pte_range, so before does not flush",
        arguments: FlushScheme.allCases)
    func s9PlainSwap(_ scheme: FlushScheme) throws {
        var rig = FlushRig(scheme)
        let base = try rig.map(pages: 8)
        rig.touch(base, 0..<8)
        for page in 0..<8 {
            rig.machine.pokePTE(rig.main, base + UInt64(page) * pageBytes) { _ in
                SwapEntry(kind: .swap(type: 1), offset: UInt64(page + 1)).pte
            }
        }
        rig.machine.flushTLBMM(initiator: CPUID(0), mm: rig.mm)
        rig.begin()
        try rig.mprotect(base, pages: 8, .read)
        rig.expectFlushes([])
    }
}
