import MMHardware
import MMKernel
import MMTestSupport
import Testing

/// Check orders and THP-split protection found by review against Linux 6.18.
@Suite struct ReviewFixOrderTests {
    @Test("vms_gather_munmap_vmas(): the first split is done before a later sealed VMA refuses the unmap")
    func munmapLeavesFirstSplitBeforeSealedVMA() throws {
        var (machine, main) = makeProcess()
        let mm = machine.mmID(of: main)
        let base = try machine.mapAnon(main, pages: 8)
        try machine.mseal(main, base + 4 * pageBytes, 4 * pageBytes)
        #expect(throws: KernelErrno.EPERM) { try machine.munmap(main, base + 2 * pageBytes, 4 * pageBytes) }
        #expect(machine.relativeLayout(mm, base: base, length: 8 * pageBytes) == "[0,2)rw-p [2,4)rw-p [4,8)rw-p")
    }

    @Test("vms_gather_munmap_vmas(): a sealed first VMA refuses before it is split")
    func munmapSealedFirstVMANotSplit() throws {
        var (machine, main) = makeProcess()
        let mm = machine.mmID(of: main)
        let base = try machine.mapAnon(main, pages: 8)
        try machine.mseal(main, base, 8 * pageBytes)
        #expect(throws: KernelErrno.EPERM) { try machine.munmap(main, base + 2 * pageBytes, 2 * pageBytes) }
        #expect(machine.relativeLayout(mm, base: base, length: 8 * pageBytes) == "[0,8)rw-p")
    }

    @Test("can_madvise_modify(): discard advice on a sealed read-only anonymous VMA is EPERM, first")
    func madviseSealedDiscard() throws {
        var (machine, main) = makeProcess()
        let readOnly = try machine.mapAnon(main, pages: 4, prot: .read)
        try machine.mseal(main, readOnly, 4 * pageBytes)
        #expect(throws: KernelErrno.EPERM) {
            try machine.madvise(main, readOnly, 4 * pageBytes, advice: Advice.dontFork.rawValue)
        }
        // Before madvise_dontneed_free_valid_vma()'s EINVAL for a locked VMA.
        let locked = try machine.mapAnon(main, pages: 4, prot: .read, extraFlags: .locked)
        try machine.mseal(main, locked, 4 * pageBytes)
        #expect(throws: KernelErrno.EPERM) {
            try machine.madvise(main, locked, 4 * pageBytes, advice: Advice.dontNeed.rawValue)
        }
        // Writable sealed memory may still be discarded.
        let writable = try machine.mapAnon(main, pages: 4)
        try machine.mseal(main, writable, 4 * pageBytes)
        try machine.madvise(main, writable, 4 * pageBytes, advice: Advice.dontNeed.rawValue)
    }

    /// A 2 MiB-aligned THP written by `main`, with a second thread of the mm so NUMA hinting does not skip it.
    static func thpMachine() throws -> (Machine, TaskID, UInt64) {
        var (machine, main) = makeProcess()
        _ = machine.createThread(name: "worker", mm: machine.mmID(of: main), cpu: CPUID(1))
        let base = try machine.mapAnon(main, pages: 512)
        #expect(base % (2 << 20) == 0)
        try machine.madvise(main, base, 2 << 20, advice: Advice.hugePage.rawValue)
        #expect(machine.access(main, base, .write, value: 7) == .value(7))
        #expect(machine.leafEntry(machine.mmID(of: main), base).huge)
        return (machine, main, base)
    }

    @Test("__split_huge_pmd_locked(): PTEs take vm_page_prot, a NUMA-hinting PROT_NONE PMD is not carried over")
    func splitDoesNotCarryNumaProtNone() throws {
        var (machine, main, base) = try Self.thpMachine()
        let mm = machine.mmID(of: main)
        #expect(machine.numaHintingScan(main, base, base + (2 << 20)) == 512)
        #expect(machine.leafEntry(mm, base).entry.isProtNone)
        try machine.madvise(main, base, pageBytes, advice: Advice.dontFork.rawValue)
        let (entry, huge) = machine.leafEntry(mm, base + 5 * pageBytes)
        #expect(!huge)
        #expect(entry.hardwarePresent && !entry.isProtNone)
    }

    @Test("vma_adjust_trans_huge(): a THP straddling an mprotect boundary is split with the old protection")
    func straddlingTHPKeepsOldProtectionOutsideTheRange() throws {
        var (machine, main, base) = try Self.thpMachine()
        let mm = machine.mmID(of: main)
        try machine.mprotect(main, base + 5 * pageBytes, pageBytes, prot: Protection([.read, .write, .exec]).rawValue)
        #expect(!machine.leafEntry(mm, base + 5 * pageBytes).entry.isNoExecute)
        #expect(machine.leafEntry(mm, base + 100 * pageBytes).entry.isNoExecute, "page 100 stays non-executable")
        #expect(machine.leafEntry(mm, base + 100 * pageBytes).entry.isWritable)
    }
}

/// What a forked child inherits besides memory.
@Suite struct ForkInheritanceTests {
    @Test("dup_mm(): the child keeps the parent's pkeys (arch_dup_pkeys), MDWE and personality")
    func childInheritsProcessState() throws {
        var (machine, main) = makeProcess { $0.pku = true }
        let key = try machine.pkeyAlloc(main, flags: 0, accessRights: 0)
        machine.prctlSetMDWE(main)
        machine.setReadImpliesExec(main, true)
        let child = try machine.fork(main, childName: "child", cpu: CPUID(1))
        let childMM = machine.mm(machine.mmID(of: child))
        #expect(childMM.pkeyAllocationMap & (1 << UInt16(key)) != 0)
        #expect(childMM.denyWriteExecute)
        #expect(machine.readImpliesExec(child))
        // MDWE still refuses to make memory executable in the child.
        let base = try machine.mapAnon(child, pages: 1, prot: .read)
        #expect(throws: KernelErrno.EACCES) {
            try machine.mprotect(child, base, pageBytes, prot: Protection([.read, .write, .exec]).rawValue)
        }
    }
}
