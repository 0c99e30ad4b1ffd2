import MMHardware
import MMKernel
import MMTestSupport
import Testing

/// mlockall(2) and munlockall(2): `sys_mlockall()` and `apply_mlockall_flags()` in mm/mlock.c, and what
/// `mm->def_flags` then does to later mappings, fork and exec.
@Suite struct MlockallTests {
    static let window: UInt64 = 0x7e00_0000_0000

    @Test(
        "mlockall flags: none, an unknown bit, or MCL_ONFAULT alone is EINVAL; the flags are an int",
        arguments: [
            (UInt64(0), KernelErrno?.some(.EINVAL)), (4, .EINVAL), (8, .EINVAL), (9, .EINVAL), (1 << 32 | 2, nil),
            (1, nil), (2, nil), (3, nil), (5, nil), (6, nil), (7, nil),
        ])
    func flagRows(_ flags: UInt64, _ expected: KernelErrno?) throws {
        var (machine, main) = makeProcess()
        _ = try machine.mapAnon(main, pages: 2)
        #expect(machine.perform(.mlockall(flags: flags), by: main) == (expected.map { .failed($0) } ?? .returned(0)))
    }

    @Test("MCL_CURRENT locks and populates every VMA; a PROT_NONE one is locked without error")
    func current() throws {
        var (machine, main) = makeProcess()
        let data = try machine.mapAnon(main, pages: 4, fixed: Self.window)
        let none = try machine.mapAnon(main, pages: 2, prot: [], fixed: Self.window + 8 * pageBytes)
        try machine.mlockall(main, flags: 1)
        #expect(machine.lockLayout(main, data, pages: 10) == ["0-4 lo", "8-10 lo"])
        #expect(machine.writablePages(main, data, pages: 4) == 4)
        #expect(machine.presentPages(main, none, pages: 2) == 0)
        #expect(machine.lockedVM(main) == 6)
        #expect(machine.mm(machine.mmID(of: main)).defaultFlags.isDisjoint(with: .lockedMask))
    }

    @Test(
        "MCL_FUTURE leaves current VMAs alone; later mmaps are locked, charged and populated, and so is mremap growth")
    func future() throws {
        var (machine, main) = makeProcess()
        let old = try machine.mapAnon(main, pages: 2, fixed: Self.window)
        #expect(machine.perform(.mlockall(flags: 2), by: main) == .returned(0))
        #expect(machine.lockLayout(main, old, pages: 2) == ["0-2"])
        let new = try machine.mapAnon(main, pages: 8, fixed: Self.window + 16 * pageBytes)
        #expect(machine.lockLayout(main, new, pages: 8) == ["0-8 lo"])
        #expect(machine.writablePages(main, new, pages: 8) == 8)
        #expect(machine.lockedVM(main) == 8)
        let grown = try machine.mremap(main, new, 8 * pageBytes, 12 * pageBytes, flags: 1, newAddress: 0)
        #expect(machine.writablePages(main, grown, pages: 12) == 12)
        #expect(machine.lockedVM(main) == 12)
    }

    @Test("MCL_FUTURE|MCL_ONFAULT: later mappings are lo lf and stay unpopulated, even with MAP_POPULATE")
    func futureOnFault() throws {
        var (machine, main) = makeProcess()
        try machine.mlockall(main, flags: 2 | 4)
        let new = try machine.mapAnon(main, pages: 8, extraFlags: .populate)
        #expect(machine.lockLayout(main, new, pages: 8) == ["0-8 lo lf"])
        #expect(machine.presentPages(main, new, pages: 8) == 0)
        #expect(machine.lockedVM(main) == 8)
    }

    @Test("mlockall(MCL_CURRENT) after MCL_FUTURE cancels the future locking")
    func currentCancelsFuture() throws {
        var (machine, main) = makeProcess()
        try machine.mlockall(main, flags: 2)
        try machine.mlockall(main, flags: 1)
        let new = try machine.mapAnon(main, pages: 4)
        #expect(machine.lockLayout(main, new, pages: 4) == ["0-4"])
        #expect(machine.presentPages(main, new, pages: 4) == 0)
    }

    @Test("MCL_CURRENT|MCL_ONFAULT turns locked VMAs into lock-on-fault ones; munlockall unlocks and merges")
    func onFaultThenMunlockall() throws {
        var (machine, main) = makeProcess()
        let base = try machine.mapAnon(main, pages: 8, fixed: Self.window)
        try machine.mlock(main, base + 2 * pageBytes, 2 * pageBytes, flags: 0)
        try machine.mlockall(main, flags: 1 | 2 | 4)
        #expect(machine.lockLayout(main, base, pages: 8) == ["0-8 lo lf"])
        #expect(machine.presentPages(main, base, pages: 8) == 2)
        #expect(machine.perform(.munlockall, by: main) == .returned(0))
        #expect(machine.lockLayout(main, base, pages: 8) == ["0-8"])
        #expect(machine.lockedVM(main) == 0)
        #expect(machine.mm(machine.mmID(of: main)).defaultFlags.isDisjoint(with: .lockedMask))
        let later = try machine.mapAnon(main, pages: 2)
        #expect(machine.lockLayout(main, later, pages: 2) == ["0-2"])
    }

    @Test("fork: the child's VMAs are unlocked, its locked_vm is 0 and it does not inherit MCL_FUTURE")
    func forkDropsLocks() throws {
        var (machine, main) = makeProcess()
        let base = try machine.mapAnon(main, pages: 8, fixed: Self.window)
        try machine.mlockall(main, flags: 1 | 2)
        let child = try machine.fork(main, childName: "child", cpu: CPUID(1))
        #expect(machine.lockLayout(child, base, pages: 8) == ["0-8"])
        #expect(machine.lockedVM(child) == 0)
        let mapped = try machine.mapAnon(child, pages: 4)
        #expect(machine.lockLayout(child, mapped, pages: 4) == ["0-4"])
        #expect(machine.lockLayout(main, base, pages: 8) == ["0-8 lo"])
    }

    @Test("exec: the new mm does not inherit MCL_FUTURE (only VM_INIT_DEF_MASK of def_flags)")
    func execDropsFuture() throws {
        var (machine, main) = makeProcess()
        try machine.mlockall(main, flags: 2)
        let stack = try machine.exec(main, argumentPages: 1)
        #expect(machine.vma(main, containing: stack.end - pageBytes)?.flags.contains(.locked) == false)
        let mapped = try machine.mapAnon(main, pages: 4)
        #expect(machine.lockLayout(main, mapped, pages: 4) == ["0-4"])
        #expect(machine.lockedVM(main) == 0)
    }
}
