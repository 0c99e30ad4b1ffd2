import MMHardware
import MMKernel
import MMTestSupport
import Testing

/// Regression tests for the protection-change half of the review against Linux 6.18 (change_protection,
/// userfaultfd, exec, ASIDs, lazy TLB, pkeys, NUMA hinting, the mmu_gather): each case names the kernel function
/// whose rule it pins down.
@Suite struct ReviewFixProtectionTests {
    static let window: UInt64 = 0x7e00_0000_0000

    /// Whether `entry` is a uffd-wp PTE marker.
    static func isUffdWPMarker(_ entry: PTE) -> Bool {
        guard let swap = SwapEntry(pte: entry), swap.kind == .marker else { return false }
        return swap.offset == PTEMarker.uffdWP.rawValue
    }

    /// A process that maps `pages` pages of a fresh shmem file MAP_SHARED, read-write.
    static func shmemProcess(pages: UInt64) throws -> (Machine, TaskID, UInt64) {
        var (machine, main) = makeProcess()
        let file = machine.createFile(name: "shm", sizePages: pages, isShmem: true)
        let base = try machine.mapFile(main, file, pages: pages, prot: [.read, .write], shared: true)
        return (machine, main, base)
    }

    // MARK: 1. change_pmd_prepare()

    @Test(
        "change_pmd_prepare/pgtable_populate_needed: UFFDIO_WRITEPROTECT on unpopulated shmem allocates the tables and marks every PTE",
        arguments: FlushScheme.allCases)
    func uffdWPMarkersOnUnpopulatedShmem(_ scheme: FlushScheme) throws {
        var (machine, main, base) = try Self.shmemProcess(pages: 8)
        _ = scheme
        try machine.userfaultfdRegister(main, base, 8 * pageBytes)
        try machine.userfaultfdWriteProtect(main, base, 8 * pageBytes, protect: true)
        for page in 0..<8 {
            let entry = machine.leaf(main, base + UInt64(page) * pageBytes).entry
            #expect(Self.isUffdWPMarker(entry), "page \(page)")
        }
        // Resolving drops the markers again.
        try machine.userfaultfdWriteProtect(main, base, 8 * pageBytes, protect: false)
        #expect(machine.leaf(main, base).entry.isNone)
    }

    @Test("change_pmd_prepare: a partly populated PTE table gets markers in its empty slots, not in others' PMDs")
    func uffdWPMarkersBesidePopulatedPage() throws {
        var (machine, main, base) = try Self.shmemProcess(pages: 8)
        _ = machine.access(main, base, .read)
        try machine.userfaultfdRegister(main, base, 8 * pageBytes)
        try machine.userfaultfdWriteProtect(main, base, 8 * pageBytes, protect: true)
        let first = machine.leaf(main, base).entry
        #expect(first.isPresent && first.contains(.uffdWP) && !first.isWritable)
        for page in 1..<8 { #expect(Self.isUffdWPMarker(machine.leaf(main, base + UInt64(page) * pageBytes).entry)) }
    }

    @Test("pgtable_populate_needed: anonymous memory (no WP_UNPOPULATED) allocates no tables and installs no markers")
    func noMarkersOnAnonymous() throws {
        var (machine, main) = makeProcess()
        let base = try machine.mapAnon(main, pages: 8, fixed: Self.window)
        try machine.userfaultfdRegister(main, base, 8 * pageBytes)
        try machine.userfaultfdWriteProtect(main, base, 8 * pageBytes, protect: true)
        // The walk stops above the PTE level: no table was allocated for the range.
        let root = machine.mm(machine.mmID(of: main)).pgd
        #expect(machine.pageTables.locate(root: root, address: base).slot.level > 1)
        #expect(machine.leaf(main, base).entry.isNone)
    }

    // MARK: 2. mwriteprotect_range() / validate_range()

    @Test("validate_range: empty, below mmap_min_addr, at or past TASK_SIZE, or too long is EINVAL")
    func writeProtectValidateRange() throws {
        var (machine, main) = makeProcess()
        let base = try machine.mapAnon(main, pages: 4, fixed: Self.window)
        try machine.userfaultfdRegister(main, base, 4 * pageBytes)
        let minAddress = machine.config.mmapMinAddress
        try #require(minAddress >= pageBytes)
        let top = PageGeometry.taskSize
        for (start, length) in [
            (base, UInt64(0)), (minAddress - pageBytes, pageBytes), (top, pageBytes), (top - pageBytes, 2 * pageBytes),
        ] {
            #expect(throws: KernelErrno.EINVAL) {
                try machine.userfaultfdWriteProtect(main, start, length, protect: true)
            }
            #expect(throws: KernelErrno.EINVAL) { try machine.userfaultfdRegister(main, start, length) }
        }
    }

    @Test("mwriteprotect_range: VMAs before the first unregistered one stay protected and flushed, then ENOENT")
    func writeProtectPartialENOENT() throws {
        var rig = FlushRig(.merged)
        let a = try rig.machine.mapAnon(rig.main, pages: 4, fixed: Self.window)
        _ = try rig.machine.mapAnon(rig.main, pages: 4, prot: .read, fixed: Self.window + 4 * pageBytes)
        rig.touch(a, 0..<4)
        _ = rig.machine.access(rig.worker, a, .read)
        try rig.machine.userfaultfdRegister(rig.main, a, 4 * pageBytes)
        rig.begin()
        #expect(throws: KernelErrno.ENOENT) {
            try rig.machine.userfaultfdWriteProtect(rig.main, a, 8 * pageBytes, protect: true)
        }
        let pte = rig.machine.leafEntry(rig.mm, a).entry
        #expect(pte.contains(.uffdWP) && !pte.isWritable)
        rig.expectFlushes([4])
        rig.expectTLBsSafe()
    }

    @Test("mwriteprotect_range: holes are skipped; a range without any VMA is ENOENT")
    func writeProtectSkipsHoles() throws {
        var (machine, main) = makeProcess()
        let c = try machine.mapAnon(main, pages: 4, fixed: Self.window + 8 * pageBytes)
        for page in 0..<4 { _ = machine.access(main, c + UInt64(page) * pageBytes, .write, value: 1) }
        try machine.userfaultfdRegister(main, c, 4 * pageBytes)
        try machine.userfaultfdWriteProtect(main, c - 2 * pageBytes, 6 * pageBytes, protect: true)
        #expect(machine.leaf(main, c + 3 * pageBytes).entry.contains(.uffdWP))
        #expect(throws: KernelErrno.ENOENT) {
            try machine.userfaultfdWriteProtect(main, Self.window, 4 * pageBytes, protect: true)
        }
    }

    // MARK: 3. userfaultfd_register() / vma_can_userfault()

    @Test("vma_can_userfault: a regular file mapping is EINVAL (even without VM_MAYWRITE, checked first)")
    func registerRegularFileEINVAL() throws {
        var (machine, main) = makeProcess()
        let file = machine.createFile(name: "f", sizePages: 4)
        let readOnly = machine.createFile(name: "ro", sizePages: 4, writable: false)
        let rw = try machine.mapFile(main, file, pages: 4, prot: [.read, .write], shared: true)
        let ro = try machine.mapFile(main, readOnly, pages: 4, prot: .read, shared: true)
        #expect(throws: KernelErrno.EINVAL) { try machine.userfaultfdRegister(main, rw, 4 * pageBytes) }
        #expect(throws: KernelErrno.EINVAL) { try machine.userfaultfdRegister(main, ro, 4 * pageBytes) }
        #expect(machine.vma(main, containing: rw)?.flags.contains(.uffdWP) == false)
    }

    @Test("userfaultfd_register: shmem without VM_MAYWRITE is EPERM; shmem and shared anonymous memory register")
    func registerShmem() throws {
        var (machine, main) = makeProcess()
        let readOnly = machine.createFile(name: "shm-ro", sizePages: 4, writable: false, isShmem: true)
        let ro = try machine.mapFile(main, readOnly, pages: 4, prot: .read, shared: true)
        #expect(throws: KernelErrno.EPERM) { try machine.userfaultfdRegister(main, ro, 4 * pageBytes) }
        let sharedAnon = try machine.mapAnon(main, pages: 4, shared: true)
        try machine.userfaultfdRegister(main, sharedAnon, 4 * pageBytes)
        #expect(machine.vma(main, containing: sharedAnon)?.flags.contains(.uffdWP) == true)
    }

    @Test("userfaultfd_register: VMAs around a hole are registered; no VMA at all is EINVAL")
    func registerAcrossHole() throws {
        var (machine, main) = makeProcess()
        let a = try machine.mapAnon(main, pages: 4, fixed: Self.window)
        let c = try machine.mapAnon(main, pages: 4, fixed: Self.window + 8 * pageBytes)
        try machine.userfaultfdRegister(main, a, 12 * pageBytes)
        #expect(machine.vma(main, containing: a)?.flags.contains(.uffdWP) == true)
        #expect(machine.vma(main, containing: c)?.flags.contains(.uffdWP) == true)
        #expect(throws: KernelErrno.EINVAL) {
            try machine.userfaultfdRegister(main, a + 4 * pageBytes, 4 * pageBytes)
        }
    }

    // MARK: 4. exec

    @Test("mmf_init_flags: MMF_HAS_MDWE survives execve")
    func execInheritsMDWE() throws {
        var (machine, main) = makeProcess()
        machine.prctlSetMDWE(main)
        try machine.exec(main, argumentPages: 1)
        #expect(machine.mm(machine.mmID(of: main)).denyWriteExecute)
        let buf = try machine.mapAnon(main, pages: 1, prot: .read)
        #expect(throws: KernelErrno.EACCES) {
            try machine.mprotect(main, buf, pageBytes, prot: Protection([.read, .exec]).rawValue)
        }
    }

    @Test(
        "set_personality_64bit + setup_arg_pages: READ_IMPLIES_EXEC is dropped, the stack loses EXEC with one flush",
        arguments: FlushScheme.allCases)
    func execClearsReadImpliesExec(_ scheme: FlushScheme) throws {
        var (machine, main) = makeProcess { $0.scheme = scheme }
        machine.setReadImpliesExec(main, true)
        let mark = machine.trace.count
        let stack = try machine.exec(main, argumentPages: 4)
        let mm = machine.mmID(of: main)
        #expect(machine.flushRequests(since: mark).filter { $0.mm == mm }.count == 1)
        #expect(!machine.readImpliesExec(main))
        #expect(machine.vma(main, containing: stack.end - pageBytes)?.flags.contains(.exec) == false)
        #expect(machine.leaf(main, stack.end - pageBytes).entry.contains(.noExecute))
        let buf = try machine.mapAnon(main, pages: 1, prot: .read)
        #expect(machine.vma(main, containing: buf)?.flags.contains(.exec) == false)
    }

    // MARK: 5. choose_new_asid()

    @Test("choose_new_asid: six mms alternating on one CPU use all six ASID slots, so no flush after warm-up")
    func asidRotationUsesSlotZero() throws {
        var machine = makeMachine(cpus: 1)
        let processes = (0..<6).map { machine.createProcess(name: "p\($0)", cpu: CPUID(0)) }
        var slots = Set<Int>()
        for process in processes {
            machine.schedule(process)
            slots.insert(machine.cpuState[0].asid)
        }
        #expect(slots == Set(0..<6))
        let mark = machine.trace.count
        for process in processes { machine.schedule(process) }
        let switchFlushes = machine.trace[mark...].filter { event in
            if case .tlbFlush(_, .taskSwitch, _) = event { return true }
            return false
        }
        #expect(switchFlushes.isEmpty)
    }

    // MARK: 6. lazy mm_cpumask (≤6.11)

    @Test(
        "switch_mm_irqs_off (≤6.11): a lazy CPU leaving for init_mm clears its mm_cpumask bit; ≥6.12 keeps it",
        arguments: [false, true])
    func lazyCPULeavesMask(_ trim: Bool) throws {
        var (machine, main) = makeProcess { $0.lazyCpumaskTrim = trim }
        let mm = machine.mmID(of: main)
        let other = machine.createThread(name: "b", mm: mm, cpu: CPUID(1))
        let a = try machine.mapAnon(main, pages: 1, fixed: 0x7e00_0000_0000)
        let c = try machine.mapAnon(main, pages: 1, fixed: 0x7d00_0000_0000)
        _ = try machine.mapAnon(main, pages: 1, fixed: 0x7c00_0000_0000)
        _ = machine.access(main, a, .write, value: 1)
        _ = machine.access(main, c, .write, value: 1)
        _ = machine.access(other, a, .read)
        machine.idle(cpu: CPUID(1))
        var ipis = machine.cpus[1].counters.ipisReceived
        try machine.munmap(main, a, pageBytes)
        #expect(machine.cpus[1].counters.ipisReceived == ipis + 1)
        #expect(machine.cpuState[1].loadedMM == nil)
        #expect(machine.mm(mm).cpumask.contains(CPUID(1)) == trim)
        ipis = machine.cpus[1].counters.ipisReceived
        try machine.munmap(main, c, pageBytes)
        // ≥6.12: the stale bit still draws the IPI, whose flush then trims it.
        #expect(machine.cpus[1].counters.ipisReceived == ipis + (trim ? 1 : 0))
        #expect(!machine.mm(mm).cpumask.contains(CPUID(1)))
    }

    // MARK: 7. protection keys

    @Test("init_new_context: with PKU pkey 0 is allocated, so pkey_mprotect(0) works and pkey_free(0) is allowed")
    func pkeyZeroAllocated() throws {
        var (machine, main) = makeProcess { $0.pku = true }
        #expect(machine.mm(machine.mmID(of: main)).pkeyAllocationMap == 0x1)
        let buf = try machine.mapAnon(main, pages: 4)
        try machine.pkeyMprotect(main, buf, 4 * pageBytes, prot: Protection.read.rawValue, pkey: 0)
        #expect(try machine.pkeyAlloc(main, flags: 0, accessRights: 0) == 1)
        try machine.pkeyFree(main, 0)
        #expect(try machine.pkeyAlloc(main, flags: 0, accessRights: 0) == 0)
    }

    @Test(
        "arch_override_mprotect_pkey/execute_only_pkey: PROT_EXEC allocates the exec-only key; leaving it returns to 0")
    func executeOnlyPKey() throws {
        var (machine, main) = makeProcess { $0.pku = true }
        let mm = machine.mmID(of: main)
        let buf = try machine.mapAnon(main, pages: 4)
        try machine.mprotect(main, buf, 4 * pageBytes, prot: Protection.exec.rawValue)
        #expect(machine.mm(mm).executeOnlyPKey == 1)
        #expect(machine.vma(main, containing: buf)?.flags.pkey == 1)
        // The exec-only key is the kernel's: not usable with pkey_mprotect, and pkey_alloc skips it.
        #expect(throws: KernelErrno.EINVAL) {
            try machine.pkeyMprotect(main, buf, pageBytes, prot: Protection.read.rawValue, pkey: 1)
        }
        #expect(try machine.pkeyAlloc(main, flags: 0, accessRights: 0) == 2)
        try machine.mprotect(main, buf, 4 * pageBytes, prot: Protection([.read, .exec]).rawValue)
        #expect(machine.vma(main, containing: buf)?.flags.pkey == 0)
        // A VMA on another key is not exec-only on the exec-only key: it keeps its key.
        try machine.pkeyMprotect(main, buf, 4 * pageBytes, prot: Protection.exec.rawValue, pkey: 2)
        try machine.mprotect(main, buf, 4 * pageBytes, prot: Protection.read.rawValue)
        #expect(machine.vma(main, containing: buf)?.flags.pkey == 2)
    }

    // MARK: 8. NUMA hinting

    @Test("change_pte_range prot_numa: dirty shmem pages are not file-LRU (folio_is_file_lru), so they are hinted")
    func numaHintsDirtyShmem() throws {
        var (machine, main) = makeProcess()
        let buf = try machine.mapAnon(main, pages: 4, shared: true)
        for page in 0..<4 { _ = machine.access(main, buf + UInt64(page) * pageBytes, .write, value: 3) }
        let mark = machine.trace.count
        #expect(machine.numaHintingScan(main, buf, buf + 4 * pageBytes) == 4)
        #expect(machine.flushRequests(since: mark).count == 1)
        #expect(machine.leaf(main, buf).entry.isProtNone)
    }

    @Test("change_pte_range prot_numa: dirty pages of a regular file are skipped")
    func numaSkipsDirtyFilePages() throws {
        var (machine, main) = makeProcess()
        let file = machine.createFile(name: "f", sizePages: 4)
        let buf = try machine.mapFile(main, file, pages: 4, prot: [.read, .write], shared: true)
        for page in 0..<4 { _ = machine.access(main, buf + UInt64(page) * pageBytes, .write, value: 3) }
        #expect(machine.numaHintingScan(main, buf, buf + 4 * pageBytes) == 0)
    }

    // MARK: 9. PMD migration entries

    /// A THP whose PMD is turned into a writable migration entry (as `set_pmd_migration_entry()` would).
    static func migratingTHP(_ scheme: FlushScheme) throws -> (FlushRig, UInt64, PFN) {
        var rig = FlushRig(scheme)
        let base = try rig.mapTHP()
        let (pmd, huge) = rig.machine.leafEntry(rig.mm, base)
        try #require(huge && pmd.isPresent)
        let head = pmd.hugePFN
        rig.machine.pokePTE(rig.main, base) { _ in SwapEntry(kind: .migrationWrite, offset: head.rawValue).pte }
        rig.machine.flushTLBMM(initiator: CPUID(0), mm: rig.mm)
        return (rig, base, head)
    }

    @Test(
        "change_huge_pmd: a PMD migration entry is downgraded but counts no pages (returns 1, not HPAGE_PMD_NR)",
        arguments: FlushScheme.allCases)
    func pmdMigrationCountsNoPages(_ scheme: FlushScheme) throws {
        var (rig, base, head) = try Self.migratingTHP(scheme)
        let index = try #require(rig.machine.mm(rig.mm).vmas.index(containing: base))
        var gather = rig.machine.tlbGatherMMU(mm: rig.mm, cpu: CPUID(0))
        rig.begin()
        let pages = rig.machine.changeProtection(&gather, index, base, base + hugeBytes, [])
        rig.machine.tlbFinishMMU(&gather)
        #expect(pages == 0)
        rig.expectFlushes([])
        let entry = try #require(SwapEntry(pte: rig.machine.leafEntry(rig.mm, base).entry))
        #expect(entry.kind == .migrationReadExclusive && entry.offset == head.rawValue)
    }

    @Test(
        "change_pmd_range → __split_huge_pmd: a partly covered PMD migration entry becomes PTE migration entries",
        arguments: FlushScheme.allCases)
    func pmdMigrationPartlyCoveredIsSplit(_ scheme: FlushScheme) throws {
        var (rig, base, head) = try Self.migratingTHP(scheme)
        rig.begin()
        try rig.mprotect(base, pages: 256, .read)
        // Only non-present entries changed: nothing recorded; ≤5.18 still flushes the segment because pages changed.
        rig.expectFlushes(scheme == .before ? [-1] : [])
        #expect(!rig.machine.leafEntry(rig.mm, base).huge)
        for page in [0, 255, 256, 511] {
            let address = base + UInt64(page) * pageBytes
            let entry = try #require(SwapEntry(pte: rig.machine.leafEntry(rig.mm, address).entry))
            #expect(entry.offset == head.rawValue + UInt64(page))
            #expect(entry.kind == (page < 256 ? .migrationReadExclusive : .migrationWrite), "page \(page)")
        }
    }

    // MARK: 10. tlb_update_vma_flags() / tlb_end_vma()

    @Test(
        "tlb_update_vma_flags (6.0–6.17): vma_pfn is assigned per VMA; tlb_end_vma flushes PFNMAP VMAs only in 6.x",
        arguments: FlushScheme.allCases)
    func vmaPFNIsNotSticky(_ scheme: FlushScheme) throws {
        var rig = FlushRig(scheme)
        let base = try SchemeTableTests.threeVMAs(&rig, pages: 4)
        rig.machine.addVMAFlags(rig.main, containing: base, .pfnMap)
        rig.begin()
        try rig.mprotect(base, pages: 12, .read)
        // merged: the PFNMAP VMA is flushed at its end; the next VMA resets vma_pfn, so VMA2+3 wait for the finish.
        // seed (5.19 x86): no per-VMA flush at all. before: one flush per segment.
        let expected: [Int] =
            switch scheme {
            case .before: [4, 4, 4]
            case .seed: [12]
            case .merged: [4, 8]
            }
        rig.expectFlushes(expected)
        rig.expectTLBsSafe()
    }
}
