import MMHardware
import MMKernel
import MMTestSupport
import Testing

/// `RLIMIT_MEMLOCK` for a process without `CAP_IPC_LOCK`: `do_mlock()`, `sys_mlockall()` and `mlock_future_ok()`
/// (mmap, mremap). The limit here is 16 pages.
@Suite struct MlockLimitTests {
    static let window: UInt64 = 0x7e00_0000_0000

    static func limitedProcess(limitPages: UInt64 = 16) -> (Machine, TaskID) {
        makeProcess {
            $0.capIPCLock = false
            $0.memlockLimit = limitPages * pageBytes
        }
    }

    @Test("up to the limit mlock succeeds; one page more is ENOMEM; locked pages relocked do not count twice")
    func mlockAgainstLimit() throws {
        var (machine, main) = Self.limitedProcess()
        let base = try machine.mapAnon(main, pages: 32, fixed: Self.window)
        try machine.mlock(main, base, 16 * pageBytes, flags: 0)
        #expect(throws: KernelErrno.ENOMEM) { try machine.mlock(main, base + 16 * pageBytes, pageBytes, flags: 0) }
        try machine.mlock(main, base, 16 * pageBytes, flags: 0)
        #expect(throws: KernelErrno.ENOMEM) {
            try machine.mlock(main, base + 8 * pageBytes, 16 * pageBytes, flags: 0)
        }
        #expect(machine.lockedVM(main) == 16)
        #expect(machine.lockLayout(main, base, pages: 32) == ["0-16 lo", "16-32"])
        try machine.munlock(main, base, 16 * pageBytes)
        #expect(
            machine.perform(.mlock2(address: base + 16 * pageBytes, length: 16 * pageBytes, flags: 1), by: main)
                == .returned(0))
        #expect(
            machine.perform(.mlock2(address: base + 15 * pageBytes, length: 17 * pageBytes, flags: 1), by: main)
                == .failed(.ENOMEM))
    }

    @Test("with CAP_IPC_LOCK the limit does not apply")
    func capabilityOverridesLimit() throws {
        var (machine, main) = makeProcess { $0.memlockLimit = 16 * pageBytes }
        let base = try machine.mapAnon(main, pages: 32, fixed: Self.window)
        try machine.mlock(main, base, 32 * pageBytes, flags: 0)
        #expect(machine.lockedVM(main) == 32)
        let more = try machine.mapAnon(main, pages: 4, extraFlags: .locked)
        #expect(machine.lockLayout(main, more, pages: 4) == ["0-4 lo"])
    }

    @Test("MAP_LOCKED past the limit is EAGAIN (mlock_future_ok); with RLIMIT_MEMLOCK 0 it is EPERM (can_do_mlock)")
    func mapLocked() throws {
        var (machine, main) = Self.limitedProcess()
        let locked = MapFlags([.private, .anonymous, .locked])
        #expect(
            machine.perform(
                .mmap(address: 0, length: 17 * pageBytes, prot: 3, flags: locked.rawValue, fd: -1, offset: 0), by: main)
                == .failed(.EAGAIN))
        _ = try machine.mapAnon(main, pages: 16, extraFlags: .locked)
        #expect(throws: KernelErrno.EAGAIN) { try machine.mapAnon(main, pages: 1, extraFlags: .locked) }
        _ = try machine.mapAnon(main, pages: 1)

        var (zero, task) = Self.limitedProcess(limitPages: 0)
        #expect(throws: KernelErrno.EPERM) { try zero.mapAnon(task, pages: 1, extraFlags: .locked) }
        #expect(
            zero.perform(
                .mmap(address: 0, length: 0, prot: 3, flags: locked.rawValue, fd: -1, offset: 0), by: task)
                == .failed(.EINVAL), "a zero length is refused before the lock checks")
    }

    @Test("mremap growth of a locked VMA past the limit is EAGAIN (check_prep_vma)")
    func mremapGrowth() throws {
        var (machine, main) = Self.limitedProcess()
        let base = try machine.mapAnon(main, pages: 1, fixed: Self.window, extraFlags: .locked)
        #expect(throws: KernelErrno.EAGAIN) {
            _ = try machine.mremap(main, base, pageBytes, 17 * pageBytes, flags: 1, newAddress: 0)
        }
        let grown = try machine.mremap(main, base, pageBytes, 16 * pageBytes, flags: 1, newAddress: 0)
        #expect(machine.lockedVM(main) == 16)
        #expect(machine.writablePages(main, grown, pages: 16) == 16)
    }

    @Test("mlockall(MCL_CURRENT) with total_vm over the limit is ENOMEM; MCL_FUTURE alone is not checked")
    func mlockallAgainstLimit() throws {
        var (machine, main) = Self.limitedProcess()
        _ = try machine.mapAnon(main, pages: 17, fixed: Self.window)
        #expect(machine.perform(.mlockall(flags: 1), by: main) == .failed(.ENOMEM))
        #expect(machine.perform(.mlockall(flags: 2), by: main) == .returned(0))
        #expect(machine.mm(machine.mmID(of: main)).defaultFlags.contains(.locked))
        let locked = try machine.mapAnon(main, pages: 16)
        #expect(machine.lockLayout(main, locked, pages: 16) == ["0-16 lo"])
        #expect(throws: KernelErrno.EAGAIN) { try machine.mapAnon(main, pages: 1) }
    }

    @Test("RLIMIT_MEMLOCK 0: mlockall is EPERM after its EINVAL checks; munlockall succeeds")
    func mlockallWithoutPermission() throws {
        var (machine, main) = Self.limitedProcess(limitPages: 0)
        #expect(machine.perform(.mlockall(flags: 0), by: main) == .failed(.EINVAL))
        #expect(machine.perform(.mlockall(flags: 1), by: main) == .failed(.EPERM))
        #expect(machine.perform(.mlockall(flags: 2), by: main) == .failed(.EPERM))
        #expect(machine.perform(.munlockall, by: main) == .returned(0))
    }

    @Test("a locked stack grows only within the limit (acct_stack_growth)")
    func stackGrowth() throws {
        var (machine, main) = Self.limitedProcess(limitPages: 4)
        let top = Self.window + 64 * pageBytes
        let stack = try machine.mapAnon(
            main, pages: 2, fixed: top - 2 * pageBytes, extraFlags: [.growsDown, .locked])
        #expect(machine.access(main, stack - pageBytes, .write, value: 1) == .value(1))
        #expect(machine.lockedVM(main) == 3)
        guard case .signal(let signal) = machine.access(main, stack - 4 * pageBytes, .write, value: 2) else {
            Issue.record("the locked stack grew past RLIMIT_MEMLOCK")
            return
        }
        #expect(signal.code == "SEGV_MAPERR")
    }
}
