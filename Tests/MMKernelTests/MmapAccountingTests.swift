import MMHardware
import MMKernel
import MMTestSupport
import Testing

/// Whether every counter is back to zero.
private func isEmpty(_ accounting: VMAccounting) -> Bool {
    accounting.totalVM == 0 && accounting.dataVM == 0 && accounting.execVM == 0 && accounting.stackVM == 0
        && accounting.lockedVM == 0
}

/// The per-mm counters of /proc/PID/status (`vm_stat_account()`) and the overcommit charge (`vm_committed_as`,
/// `__vm_enough_memory()`, `accountable_mapping()`) after mmap and munmap.
@Suite struct MmapAccountingTests {
    @Test("private writable anon counts in total_vm and data_vm and is charged; munmap gives both back")
    func privateWritable() throws {
        var (machine, main) = makeProcess()
        let mmID = machine.mmID(of: main)
        let committed = machine.committedPages
        let base = try machine.mapAnon(main, pages: 10)
        #expect(machine.mm(mmID).accounting.totalVM == 10)
        #expect(machine.mm(mmID).accounting.dataVM == 10)
        #expect(machine.mm(mmID).accounting.execVM == 0)
        #expect(machine.committedPages == committed + 10)
        #expect(machine.vma(main, containing: base)?.flags.contains(.account) == true)
        try machine.munmap(main, base + 2 * pageBytes, 3 * pageBytes)
        #expect(machine.mm(mmID).accounting.totalVM == 7)
        #expect(machine.mm(mmID).accounting.dataVM == 7)
        #expect(machine.committedPages == committed + 7)
        try machine.munmap(main, base, 10 * pageBytes)
        #expect(isEmpty(machine.mm(mmID).accounting))
        #expect(machine.committedPages == committed)
    }

    struct Row: Sendable, CustomTestStringConvertible {
        var source: String
        var prot: Protection
        var flags: MapFlags
        var total: Int64
        var data: Int64
        var exec: Int64
        var stack: Int64
        var charged: Int64
        var testDescription: String { source }
    }

    static let rows: [Row] = [
        Row(
            source: "read-only private: total_vm only, not charged (accountable_mapping needs VM_WRITE)",
            prot: .read, flags: [.private, .anonymous], total: 4, data: 0, exec: 0, stack: 0, charged: 0),
        Row(
            source: "read+exec private: exec_vm (is_exec_mapping)", prot: [.read, .exec],
            flags: [.private, .anonymous], total: 4, data: 0, exec: 4, stack: 0, charged: 0),
        Row(
            source: "writable+exec private: data_vm, not exec_vm (is_exec_mapping excludes VM_WRITE)",
            prot: [.read, .write, .exec], flags: [.private, .anonymous], total: 4, data: 4, exec: 0, stack: 0,
            charged: 4),
        Row(
            source: "MAP_GROWSDOWN: stack_vm (is_stack_mapping)", prot: [.read, .write],
            flags: [.private, .anonymous, .growsDown], total: 4, data: 0, exec: 0, stack: 4, charged: 4),
        Row(
            source: "MAP_NORESERVE private writable: data_vm, not charged (VM_NORESERVE)", prot: [.read, .write],
            flags: [.private, .anonymous, .noReserve], total: 4, data: 4, exec: 0, stack: 0, charged: 0),
    ]

    @Test(arguments: rows)
    func counters(_ row: Row) throws {
        var (machine, main) = makeProcess()
        let mmID = machine.mmID(of: main)
        let committed = machine.committedPages
        let base = try machine.mmap(
            main, address: 0, length: 4 * pageBytes, prot: row.prot, flags: row.flags, file: nil, offset: 0)
        let accounting = machine.mm(mmID).accounting
        #expect(accounting.totalVM == row.total)
        #expect(accounting.dataVM == row.data)
        #expect(accounting.execVM == row.exec)
        #expect(accounting.stackVM == row.stack)
        #expect(machine.committedPages - committed == row.charged)
        try machine.munmap(main, base, 4 * pageBytes)
        #expect(isEmpty(machine.mm(mmID).accounting))
        #expect(machine.committedPages == committed)
    }

    @Test("MAP_FIXED over an accounted mapping keeps the charge balanced")
    func fixedReplacementBalance() throws {
        var (machine, main) = makeProcess()
        let mmID = machine.mmID(of: main)
        let committed = machine.committedPages
        let base = try machine.mapAnon(main, pages: 8)
        _ = try machine.mapAnon(main, pages: 4, fixed: base + 2 * pageBytes)
        #expect(machine.committedPages == committed + 8)
        #expect(machine.mm(mmID).accounting.totalVM == 8)
        _ = try machine.mapAnon(main, pages: 4, prot: .read, fixed: base + 2 * pageBytes)
        #expect(machine.committedPages == committed + 4)
        #expect(machine.mm(mmID).accounting.totalVM == 8)
        #expect(machine.mm(mmID).accounting.dataVM == 4)
    }
}

/// `vm.overcommit_memory` policies (mm/util.c `__vm_enough_memory()`), and MAP_NORESERVE, which mode 2 ignores
/// (`do_mmap`: VM_NORESERVE only when the mode is not OVERCOMMIT_NEVER).
@Suite struct OvercommitTests {
    static func machine(mode: Int) -> (Machine, TaskID) {
        makeProcess { config in
            config.ramFrames = 1 << 16
            config.overcommitMode = mode
            config.overcommitRatio = 50
        }
    }

    @Test("mode 2 refuses a private writable mapping beyond ratio% of RAM, with or without MAP_NORESERVE")
    func neverModeRefuses() throws {
        var (machine, main) = Self.machine(mode: 2)
        let limit = UInt64(1 << 15)
        #expect(throws: KernelErrno.ENOMEM) { _ = try machine.mapAnon(main, pages: limit + 1) }
        #expect(throws: KernelErrno.ENOMEM) {
            _ = try machine.mapAnon(main, pages: limit + 1, extraFlags: .noReserve)
        }
        #expect(machine.committedPages == 0)
        #expect(machine.mm(machine.mmID(of: main)).vmas.isEmpty)
        // The commitments after the charge must stay strictly below the limit.
        let base = try machine.mapAnon(main, pages: limit - 1)
        #expect(machine.committedPages == Int64(limit - 1))
        #expect(throws: KernelErrno.ENOMEM) { _ = try machine.mapAnon(main, pages: 1) }
        try machine.munmap(main, base, (limit - 1) * pageBytes)
        #expect(machine.committedPages == 0)
        // Read-only private memory is not charged; it only grows total_vm, and so the user reserve.
        _ = try machine.mapAnon(main, pages: limit * 4, prot: .read)
        _ = try machine.mapAnon(main, pages: 1)
        #expect(machine.committedPages == 1)
    }

    @Test("mode 2 keeps a user reserve of min(total_vm/32, user_reserve_kbytes) (__vm_enough_memory)")
    func neverModeUserReserve() throws {
        var (machine, main) = Self.machine(mode: 2)
        // 128 Ki pages of read-only memory: total_vm/32 = 4096, capped by the reserve min(RAM/32, 128 MiB) = 2048.
        _ = try machine.mapAnon(main, pages: 1 << 17, prot: .read)
        let allowed: UInt64 = (1 << 15) - 2048
        #expect(throws: KernelErrno.ENOMEM) { _ = try machine.mapAnon(main, pages: allowed) }
        _ = try machine.mapAnon(main, pages: allowed - 1)
        #expect(machine.committedPages == Int64(allowed - 1))
    }

    @Test("mode 0 refuses one request larger than RAM + swap unless MAP_NORESERVE")
    func heuristicMode() throws {
        var (machine, main) = Self.machine(mode: 0)
        let ram = UInt64(1 << 16)
        #expect(throws: KernelErrno.ENOMEM) { _ = try machine.mapAnon(main, pages: ram + 1) }
        let base = try machine.mapAnon(main, pages: ram + 1, extraFlags: .noReserve)
        #expect(machine.committedPages == 0)
        #expect(machine.vma(main, containing: base)?.flags.contains(.noReserve) == true)
        #expect(machine.vma(main, containing: base)?.flags.contains(.account) == false)
        _ = try machine.mapAnon(main, pages: ram)
        _ = try machine.mapAnon(main, pages: ram)
        #expect(machine.committedPages == Int64(2 * ram), "mode 0 judges each request alone")
    }

    @Test("mode 1 always grants")
    func alwaysMode() throws {
        var (machine, main) = Self.machine(mode: 1)
        _ = try machine.mapAnon(main, pages: 1 << 20)
        #expect(machine.committedPages == 1 << 20)
    }

    @Test(
        "a MAP_FIXED replacement that fails the commit charge leaves the old mapping in place (mmap_region abort_munmap)"
    )
    func failedReplacementKeepsOldMapping() throws {
        var (machine, main) = Self.machine(mode: 2)
        let limit = UInt64(1 << 15)
        let base = try machine.mapAnon(main, pages: 16)
        _ = machine.access(main, base, .write, value: 42)
        #expect(throws: KernelErrno.ENOMEM) { _ = try machine.mapAnon(main, pages: limit + 1, fixed: base) }
        #expect(machine.access(main, base, .read) == .value(42))
        #expect(machine.committedPages == 16)
    }
}
