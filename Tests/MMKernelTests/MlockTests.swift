import MMHardware
import MMKernel
import MMTestSupport
import Testing

/// mlock(2), mlock2(2), munlock(2): `do_mlock()` and `apply_vma_lock_flags()` in mm/mlock.c — the errno of every
/// check in the kernel's order, and how the VMAs split and merge again.
@Suite struct MlockTests {
    /// 1 GiB-aligned, so that the rows' VMAs have no neighbour but each other.
    static let window: UInt64 = 0x7e00_0000_0000

    /// The window of the errno rows: pages 0-4 read-write, a hole at 4, 5-7 read-only, 7-8 PROT_NONE, then nothing.
    static func rowProcess(_ configure: (inout KernelConfig) -> Void = { _ in }) throws -> (Machine, TaskID) {
        var (machine, main) = makeProcess(configure)
        _ = try machine.mapAnon(main, pages: 4, fixed: window)
        _ = try machine.mapAnon(main, pages: 2, prot: .read, fixed: window + 5 * pageBytes)
        _ = try machine.mapAnon(main, pages: 1, prot: [], fixed: window + 7 * pageBytes)
        return (machine, main)
    }

    struct Row: Sendable, CustomTestStringConvertible {
        var check: String
        var start: UInt64
        var length: UInt64
        var flags: UInt64 = 0
        var memlockLimit: UInt64 = 8 << 20
        var capIPCLock = true
        var expected: KernelErrno?
        var testDescription: String { check }
    }

    static let rows: [Row] = [
        Row(
            check: "sys_mlock2: a flag other than MLOCK_ONFAULT is EINVAL, before the EPERM of can_do_mlock()",
            start: 0, length: pageBytes, flags: 2, memlockLimit: 0, capIPCLock: false, expected: .EINVAL),
        Row(
            check: "sys_mlock2: the flags are an int, so bit 32 is dropped and 1<<32|1 is MLOCK_ONFAULT",
            start: 0, length: pageBytes, flags: 1 << 32 | 1, expected: nil),
        Row(
            check: "can_do_mlock(): RLIMIT_MEMLOCK 0 without CAP_IPC_LOCK is EPERM, even for length 0",
            start: 0, length: 0, memlockLimit: 0, capIPCLock: false, expected: .EPERM),
        Row(
            check: "can_do_mlock(): RLIMIT_MEMLOCK 0 with CAP_IPC_LOCK may lock",
            start: 0, length: pageBytes, memlockLimit: 0, capIPCLock: true, expected: nil),
        Row(check: "apply_vma_lock_flags(): length 0 does nothing", start: 0, length: 0, expected: nil),
        Row(
            check: "apply_vma_lock_flags(): an end that wraps below the start is EINVAL",
            start: 0, length: UInt64.max - 4095, expected: .EINVAL),
        Row(
            check: "do_mlock(): PAGE_ALIGN(len + offset) wraps a huge length from an unaligned start to one page",
            start: 5, length: UInt64.max, expected: nil),
        Row(
            check: "apply_vma_lock_flags(): a start in a hole is ENOMEM", start: 4 * pageBytes, length: pageBytes,
            expected: .ENOMEM),
        Row(
            check: "apply_vma_lock_flags(): a start above every VMA is ENOMEM", start: 9 * pageBytes,
            length: pageBytes, expected: .ENOMEM),
        Row(
            check: "apply_vma_lock_flags(): a hole inside the range is ENOMEM", start: 0, length: 7 * pageBytes,
            expected: .ENOMEM),
        Row(
            check: "apply_vma_lock_flags(): a range running past the last VMA is ENOMEM", start: 5 * pageBytes,
            length: 5 * pageBytes, expected: .ENOMEM),
        Row(
            check: "populate_vma_page_range(): a PROT_NONE VMA is EFAULT, which mlock reports as ENOMEM",
            start: 5 * pageBytes, length: 3 * pageBytes, expected: .ENOMEM),
        Row(check: "two adjacent VMAs of different protection", start: 5 * pageBytes, length: 2 * pageBytes),
    ]

    @Test("mlock2 errno in the kernel's order", arguments: rows)
    func errnoRow(_ row: Row) throws {
        var (machine, main) = try Self.rowProcess {
            $0.memlockLimit = row.memlockLimit
            $0.capIPCLock = row.capIPCLock
        }
        let outcome = machine.perform(
            .mlock2(address: Self.window + row.start, length: row.length, flags: row.flags), by: main)
        #expect(outcome == (row.expected.map { .failed($0) } ?? .returned(0)))
    }

    @Test("munlock does no limit or capability check: it succeeds with RLIMIT_MEMLOCK 0 and no CAP_IPC_LOCK")
    func munlockNeedsNoPermission() throws {
        var (machine, main) = try Self.rowProcess {
            $0.memlockLimit = 0
            $0.capIPCLock = false
        }
        #expect(machine.perform(.munlock(address: Self.window, length: 4 * pageBytes), by: main) == .returned(0))
        #expect(throws: KernelErrno.ENOMEM) { try machine.munlock(main, Self.window, 7 * pageBytes) }
        #expect(throws: KernelErrno.EINVAL) { try machine.munlock(main, Self.window, UInt64.max - 4095) }
    }

    @Test("a hole leaves the VMAs before it locked (and charged); a hole at the start changes nothing")
    func holesKeepWhatWasDone() throws {
        var (machine, main) = try Self.rowProcess()
        #expect(throws: KernelErrno.ENOMEM) { try machine.mlock(main, Self.window, 7 * pageBytes, flags: 0) }
        #expect(machine.lockLayout(main, Self.window, pages: 8) == ["0-4 lo", "5-7", "7-8"])
        #expect(machine.lockedVM(main) == 4)
        #expect(throws: KernelErrno.ENOMEM) {
            try machine.mlock(main, Self.window + 4 * pageBytes, 3 * pageBytes, flags: 0)
        }
        #expect(machine.lockLayout(main, Self.window, pages: 8) == ["0-4 lo", "5-7", "7-8"])
        #expect(throws: KernelErrno.ENOMEM) {
            try machine.mlock(main, Self.window + 5 * pageBytes, 5 * pageBytes, flags: 0)
        }
        #expect(machine.lockLayout(main, Self.window, pages: 8) == ["0-4 lo", "5-7 lo", "7-8 lo"])
        #expect(machine.lockedVM(main) == 7)
    }

    @Test("a PROT_NONE VMA ends up locked and charged although mlock reports ENOMEM")
    func protNoneIsLockedAnyway() throws {
        var (machine, main) = makeProcess()
        let base = try machine.mapAnon(main, pages: 4, prot: [], fixed: Self.window)
        _ = try machine.mapAnon(main, pages: 12, prot: [], fixed: Self.window + 4 * pageBytes)
        #expect(throws: KernelErrno.ENOMEM) { try machine.mlock(main, base, 4 * pageBytes, flags: 0) }
        #expect(machine.lockLayout(main, base, pages: 16) == ["0-4 lo", "4-16"])
        #expect(machine.lockedVM(main) == 4)
        #expect(machine.presentPages(main, base, pages: 4) == 0)
    }

    @Test("an unaligned start locks from its page, and the length covers the last byte")
    func unalignedRange() throws {
        var (machine, main) = makeProcess()
        let base = try machine.mapAnon(main, pages: 8, fixed: Self.window)
        try machine.mlock(main, base + pageBytes + 1, pageBytes, flags: 0)
        #expect(machine.lockLayout(main, base, pages: 8) == ["0-1", "1-3 lo", "3-8"])
        #expect(machine.lockedVM(main) == 2)
        try machine.munlock(main, base + pageBytes + 1, pageBytes)
        #expect(machine.lockLayout(main, base, pages: 8) == ["0-8"])
        #expect(machine.lockedVM(main) == 0)
    }

    @Test("mlock of the middle splits the VMA in three; munlock merges it back into one")
    func splitAndMergeBack() throws {
        var (machine, main) = makeProcess()
        let base = try machine.mapAnon(main, pages: 8, fixed: Self.window)
        #expect(machine.perform(.mlock(address: base + 2 * pageBytes, length: 4 * pageBytes), by: main) == .returned(0))
        #expect(machine.lockLayout(main, base, pages: 8) == ["0-2", "2-6 lo", "6-8"])
        #expect(machine.perform(.munlock(address: base, length: 8 * pageBytes), by: main) == .returned(0))
        #expect(machine.lockLayout(main, base, pages: 8) == ["0-8"])
    }

    @Test("mlock next to a locked VMA merges with it (vma_modify_flags)")
    func mergesWithLockedNeighbour() throws {
        var (machine, main) = makeProcess()
        let base = try machine.mapAnon(main, pages: 8, fixed: Self.window)
        try machine.mlock(main, base + 4 * pageBytes, 4 * pageBytes, flags: 0)
        try machine.mlock(main, base, 4 * pageBytes, flags: 0)
        #expect(machine.lockLayout(main, base, pages: 8) == ["0-8 lo"])
        #expect(machine.lockedVM(main) == 8)
    }

    @Test("mlock across two VMAs of different protection locks a part of each and merges nothing")
    func acrossTwoVMAs() throws {
        var (machine, main) = makeProcess()
        let base = try machine.mapAnon(main, pages: 4, fixed: Self.window)
        _ = try machine.mapAnon(main, pages: 4, prot: .read, fixed: Self.window + 4 * pageBytes)
        try machine.mlock(main, base + 2 * pageBytes, 4 * pageBytes, flags: 0)
        #expect(machine.lockLayout(main, base, pages: 8) == ["0-2", "2-4 lo", "4-6 lo", "6-8"])
        #expect(machine.lockedVM(main) == 4)
        try machine.munlock(main, base, 8 * pageBytes)
        #expect(machine.lockLayout(main, base, pages: 8) == ["0-4", "4-8"])
    }

    @Test("mlock over part of an MLOCK_ONFAULT range drops VM_LOCKONFAULT there without charging again")
    func lockOverOnFault() throws {
        var (machine, main) = makeProcess()
        let base = try machine.mapAnon(main, pages: 8, fixed: Self.window)
        try machine.mlock(main, base, 8 * pageBytes, flags: 1)
        #expect(machine.lockLayout(main, base, pages: 8) == ["0-8 lo lf"])
        try machine.mlock(main, base, 4 * pageBytes, flags: 0)
        #expect(machine.lockLayout(main, base, pages: 8) == ["0-4 lo", "4-8 lo lf"])
        #expect(machine.lockedVM(main) == 8)
    }

    @Test("a split beyond max_map_count is ENOMEM and leaves the range unlocked")
    func splitLimit() throws {
        var (machine, main) = makeProcess { $0.maxMapCount = 2 }
        let base = try machine.mapAnon(main, pages: 8, fixed: Self.window)
        _ = try machine.mapAnon(main, pages: 1, prot: .read, fixed: Self.window + 9 * pageBytes)
        #expect(throws: KernelErrno.ENOMEM) { try machine.mlock(main, base + pageBytes, pageBytes, flags: 0) }
        #expect(machine.lockLayout(main, base, pages: 8) == ["0-8"])
        #expect(machine.lockedVM(main) == 0)
    }

    @Test("MADV_DONTNEED of a locked VMA is EINVAL")
    func dontNeedOfLocked() throws {
        var (machine, main) = makeProcess()
        let base = try machine.mapAnon(main, pages: 4, fixed: Self.window)
        try machine.mlock(main, base, 4 * pageBytes, flags: 0)
        #expect(machine.perform(.madvise(address: base, length: pageBytes, advice: 4), by: main) == .failed(.EINVAL))
    }
}
