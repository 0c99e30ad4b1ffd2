import MMHardware
import MMKernel
import MMTestSupport
import Testing

/// Regression tests for the reviewer's comparison with Linux 6.18: each case names the kernel function whose rule
/// it pins down.
@Suite struct ReviewFixTests {
    static let window: UInt64 = 0x7e00_0000_0000

    /// "NAME CODE ADDRESS" of a signalled access, nil for a completed one.
    static func signal(_ result: AccessResult) -> String? {
        guard case .signal(let signal) = result else { return nil }
        return "\(signal.name) \(signal.code) \(signal.address)"
    }

    /// A 2 MiB MADV_HUGEPAGE region at a fixed, aligned address, written once so that a THP maps it.
    static func thpProcess() throws -> (Machine, TaskID, UInt64, Int) {
        var (machine, main) = makeProcess()
        let baseline = machine.pages.allocatedFrames
        let base = try machine.mapAnon(main, pages: 512, fixed: window)
        try machine.madvise(main, base, hugeBytes, advice: Advice.hugePage.rawValue)
        #expect(machine.access(main, base, .write, value: 0x11) == .value(0x11))
        #expect(machine.leaf(main, base).huge)
        return (machine, main, base, baseline)
    }

    @Test(
        "do_huge_pmd_wp_page: a folio split by the other process's PMD split is not reused by the PMD still mapping it")
    func splitFolioNotReusedAcrossFork() throws {
        var (machine, main, base, baseline) = try Self.thpProcess()
        let kid = try machine.fork(main, childName: "kid", cpu: CPUID(1))
        #expect(machine.access(main, base, .write, value: 0x22) == .value(0x22))
        #expect(!machine.leaf(main, base).huge, "the parent's write split its PMD")
        #expect(machine.leaf(kid, base).huge, "the child still maps the folio with a PMD")
        #expect(machine.access(kid, base, .write, value: 0x33) == .value(0x33))
        #expect(machine.access(kid, base + pageBytes, .write, value: 0x44) == .value(0x44))
        #expect(
            machine.access(main, base + pageBytes, .read) == .value(0), "the child's write must not reach the parent")
        #expect(machine.access(main, base, .read) == .value(0x22))
        #expect(machine.access(kid, base, .read) == .value(0x33))
        try machine.munmap(kid, base, hugeBytes)
        try machine.munmap(main, base, hugeBytes)
        #expect(machine.pages.allocatedFrames == baseline, "no frame leaks once both sides unmapped")
    }

    @Test("zap_huge_pmd: unmapping a PMD over an already-split folio releases each of its 512 frames")
    func zapHugePMDOfSplitFolio() throws {
        var (machine, main, base, baseline) = try Self.thpProcess()
        let kid = try machine.fork(main, childName: "kid", cpu: CPUID(1))
        #expect(machine.access(main, base, .write, value: 0x22) == .value(0x22))
        try machine.munmap(kid, base, hugeBytes)
        let frame = machine.leaf(main, base + pageBytes).entry.pfn
        #expect(machine.pages[frame].mapcount == 1)
        #expect(machine.pages[frame].refcount == 1)
        try machine.munmap(main, base, hugeBytes)
        #expect(machine.pages.allocatedFrames == baseline)
    }

    @Test("copy_huge_pmd: the child's PMD is write-protected and old; the frames of a split folio gain a mapping each")
    func copyHugePMDOfSplitFolio() throws {
        var (machine, main, base, _) = try Self.thpProcess()
        let kid = try machine.fork(main, childName: "kid", cpu: CPUID(1))
        let childPMD = machine.leaf(kid, base).entry
        #expect(!childPMD.isWritable && !childPMD.contains(.accessed))
        #expect(machine.access(main, base, .write, value: 0x22) == .value(0x22))
        let grandchild = try machine.fork(kid, childName: "grandchild", cpu: CPUID(1))
        #expect(machine.leaf(grandchild, base).huge)
        let frame = machine.leaf(main, base + 5 * pageBytes).entry.pfn
        #expect(machine.pages[frame].mapcount == 3)
        #expect(machine.pages[frame].refcount == 3)
    }

    @Test("do_huge_zero_wp_pmd: writing the huge zero page maps a THP (resolution thp), not a split")
    func hugeZeroWriteMapsTHP() throws {
        var (machine, main) = makeProcess()
        let base = try machine.mapAnon(main, pages: 512, fixed: Self.window)
        try machine.madvise(main, base, hugeBytes, advice: Advice.hugePage.rawValue)
        #expect(machine.access(main, base, .read) == .value(0))
        machine.clearTrace()
        #expect(machine.access(main, base, .write, value: 0x42) == .value(0x42))
        #expect(machine.faultResolutions == [.hugeNew])
        #expect(machine.leaf(main, base).huge)
        #expect(machine.flushRequests.count == 1 && machine.flushRequests.first?.isFull == true)
    }

    @Test("do_anonymous_page: a MISSING-registered VMA raises a userfault on read and write instead of mapping")
    func uffdMissingAnonymous() throws {
        var (machine, main) = makeProcess()
        let base = try machine.mapAnon(main, pages: 4)
        try machine.userfaultfdRegister(main, base, 4 * pageBytes, missing: true)
        #expect(Self.signal(machine.access(main, base, .write, value: 7)) == "SIGBUS UFFD_MISSING \(base)")
        let read = base + pageBytes
        #expect(Self.signal(machine.access(main, read, .read)) == "SIGBUS UFFD_MISSING \(read)")
        #expect(machine.faultResolutions == [.userfaultMissing, .userfaultMissing])
        #expect(machine.leaf(main, base).entry.isNone)
    }

    @Test("do_huge_pmd_anonymous_page: a MISSING-registered THP range raises a userfault")
    func uffdMissingHuge() throws {
        var (machine, main) = makeProcess()
        let base = try machine.mapAnon(main, pages: 512, fixed: Self.window)
        try machine.madvise(main, base, hugeBytes, advice: Advice.hugePage.rawValue)
        try machine.userfaultfdRegister(main, base, hugeBytes, missing: true)
        machine.clearTrace()
        #expect(Self.signal(machine.access(main, base, .read)) == "SIGBUS UFFD_MISSING \(base)")
        #expect(machine.faultResolutions == [.userfaultMissing])
    }

    @Test("do_fault → shmem_get_folio_gfp: a shmem page missing from the cache raises a MISSING userfault")
    func uffdMissingShmem() throws {
        var (machine, main) = makeProcess()
        let file = machine.createFile(name: "shm", sizePages: 4, isShmem: true)
        let base = try machine.mapFile(main, file, pages: 4, prot: [.read, .write], shared: true)
        try machine.userfaultfdRegister(main, base, 4 * pageBytes, missing: true)
        #expect(Self.signal(machine.access(main, base, .read)) == "SIGBUS UFFD_MISSING \(base)")
    }

    @Test("pte_marker_handle_uffd_wp: a uffd-wp marker on a registered shmem VMA faults the page in write-protected")
    func uffdWPMarkerOnShmem() throws {
        var (machine, main) = makeProcess()
        let file = machine.createFile(name: "shm", sizePages: 4, isShmem: true)
        let base = try machine.mapFile(main, file, pages: 4, prot: [.read, .write], shared: true)
        _ = machine.access(main, base, .read)
        try machine.userfaultfdRegister(main, base, 4 * pageBytes)
        machine.pokePTE(main, base) { _ in SwapEntry(kind: .marker, offset: PTEMarker.uffdWP.rawValue).pte }
        machine.flushTLBMM(initiator: CPUID(0), mm: machine.mmID(of: main))
        machine.clearTrace()
        #expect(machine.access(main, base, .read) == .value(machine.files[file.rawValue].initialToken(page: 0)))
        let pte = machine.leaf(main, base).entry
        #expect(pte.isPresent && pte.contains(.uffdWP) && !pte.isWritable)
        #expect(Self.signal(machine.access(main, base, .write, value: 5)) == "SIGBUS UFFD_WP \(base)")
    }

    @Test("do_anonymous_page: an allocation failure is VM_FAULT_OOM, the OOM killer's SIGKILL")
    func anonymousAllocationFailureIsOOM() throws {
        var (machine, main) = makeProcess { $0.ramFrames = 520 }
        let base = try machine.mapAnon(main, pages: 16)
        var result: AccessResult = .value(0)
        var page: UInt64 = 0
        while case .value = result, page < 16 {
            result = machine.access(main, base + page * pageBytes, .write, value: 1)
            page += 1
        }
        let address = base + (page - 1) * pageBytes
        #expect(Self.signal(result) == "SIGKILL OOM \(address)")
        #expect(machine.faultResolutions.last == .outOfMemory)
    }

    @Test("wp_page_copy: a COW that cannot allocate is VM_FAULT_OOM, not SIGBUS")
    func cowAllocationFailureIsOOM() throws {
        var (machine, main) = makeProcess { $0.ramFrames = 520 }
        let base = try machine.mapAnon(main, pages: 16)
        #expect(machine.access(main, base, .read) == .value(0))
        for page: UInt64 in 1..<8 { _ = machine.access(main, base + page * pageBytes, .write, value: 1) }
        #expect(machine.pages.allocatedFrames == machine.pages.capacityFrames)
        #expect(Self.signal(machine.access(main, base, .write, value: 2)) == "SIGKILL OOM \(base)")
    }

    @Test("populate_vma_page_range: MAP_POPULATE of a shared file mapping uses read faults (no FOLL_WRITE)")
    func populateSharedReads() throws {
        var (machine, main) = makeProcess()
        let file = machine.createFile(name: "data", sizePages: 4)
        let base = try machine.mmap(
            main, address: 0, length: 4 * pageBytes, prot: [.read, .write], flags: [.shared, .populate], file: file,
            offset: 0)
        let pte = machine.leaf(main, base).entry
        #expect(pte.isPresent && !pte.isWritable && !pte.isDirty)
        #expect(!machine.pages[pte.pfn].flags.contains(.dirty))
        machine.clearTrace()
        #expect(machine.access(main, base, .write, value: 5) == .value(5))
        #expect(machine.faultResolutions == [.writeNotify])
    }

    @Test("populate_vma_page_range: MAP_POPULATE of a private writable mapping still uses write faults")
    func populatePrivateWrites() throws {
        var (machine, main) = makeProcess()
        let base = try machine.mapAnon(main, pages: 4, extraFlags: .populate)
        let pte = machine.leaf(main, base).entry
        #expect(pte.isPresent && pte.isWritable && pte.pfn != machine.pages.zeroPage)
    }

    @Test("__thp_get_unmapped_area: 2 MiB anonymous mappings are PMD-aligned even with THP mode never")
    func thpPlacementIgnoresRuntimeMode() throws {
        var (machine, main) = makeProcess { $0.thpMode = .never }
        _ = try machine.mapAnon(main, pages: 1)
        let huge = try machine.mapAnon(main, pages: 512)
        #expect(huge == 0x7eff_ffc0_0000)
    }

    @Test("__thp_get_unmapped_area: the search is for len + 2 MiB, so a gap holding only an aligned len is skipped")
    func thpPlacementPadsTheSearch() throws {
        var (machine, main) = makeProcess()
        _ = try machine.mapAnon(main, pages: 1, fixed: 0x7eff_ffe0_0000)
        _ = try machine.mapAnon(main, pages: 1, fixed: 0x7eff_ffbf_f000)
        let huge = try machine.mapAnon(main, pages: 512)
        #expect(huge == 0x7eff_ff80_0000)
    }

    @Test("__mmap_region: MAP_FIXED over a sealed VMA is EPERM even when the commit charge would fail first")
    func fixedOverSealedIsEPERMBeforeOvercommit() throws {
        var (machine, main) = makeProcess {
            $0.overcommitMode = 2
            $0.ramFrames = 64 << 8
        }
        let base = try machine.mapAnon(main, pages: 4)
        try machine.mseal(main, base, 4 * pageBytes)
        #expect(throws: KernelErrno.EPERM) { _ = try machine.mapAnon(main, pages: 64 << 8, fixed: base) }
    }
}
