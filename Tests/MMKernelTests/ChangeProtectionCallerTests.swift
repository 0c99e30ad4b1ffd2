import MMHardware
import MMKernel
import MMTestSupport
import Testing

/// The other `change_protection()` callers that 4a18419f71cd gave an mmu_gather: UFFDIO_WRITEPROTECT, NUMA hinting,
/// exec's stack setup.
@Suite struct ChangeProtectionCallerTests {
    @Test(
        "uffd_wp_range: UFFDIO_WRITEPROTECT protect flushes; a write gets UFFD_WP until unprotected",
        arguments: FlushScheme.allCases)
    func uffdWriteProtect(_ scheme: FlushScheme) throws {
        var rig = FlushRig(scheme)
        let base = try rig.map(pages: 8)
        rig.touch(base, 0..<8)
        _ = rig.machine.access(rig.worker, base, .write, value: 3)
        try rig.machine.userfaultfdRegister(rig.main, base, 8 * pageBytes)
        rig.begin()
        try rig.machine.userfaultfdWriteProtect(rig.main, base, 8 * pageBytes, protect: true)
        rig.expectFlushes([8])
        #expect(rig.machine.mm(rig.mm).tlbFlushPending == 0)
        rig.expectTLBsSafe()
        let pte = rig.machine.leafEntry(rig.mm, base).entry
        #expect(pte.contains(.uffdWP) && !pte.isWritable)
        for task in [rig.main, rig.worker] {
            guard case .signal(let signal) = rig.machine.access(task, base, .write, value: 4) else {
                Issue.record("write to a uffd-wp page completed")
                continue
            }
            #expect(signal.code == "UFFD_WP")
        }
        #expect(rig.machine.access(rig.main, base, .read) == .value(3))
        rig.begin()
        try rig.machine.userfaultfdWriteProtect(rig.main, base, 8 * pageBytes, protect: false)
        // Unprotect: B flushes the rewritten segment, A1 records every entry, A upgrades these exclusive pages to RW.
        rig.expectFlushes([8])
        rig.expectTLBsSafe()
        #expect(rig.machine.access(rig.main, base, .write, value: 5) == .value(5))
        #expect(rig.machine.access(rig.worker, base + pageBytes, .write, value: 6) == .value(6))
    }

    @Test(
        "change_prot_numa: the NUMA hinting scan makes PTEs protnone with a flush; the hinting fault restores without one",
        arguments: FlushScheme.allCases)
    func numaHinting(_ scheme: FlushScheme) throws {
        var rig = FlushRig(scheme)
        let base = try rig.map(pages: 8)
        rig.touch(base, 0..<8)
        rig.begin()
        let changed = rig.machine.numaHintingScan(rig.main, base, base + 8 * pageBytes)
        #expect(changed == 8)
        rig.expectFlushes([8])
        #expect(rig.machine.leafEntry(rig.mm, base).entry.isProtNone)
        rig.expectTLBsSafe()
        rig.begin()
        #expect(rig.machine.access(rig.main, base, .read) == .value(1))
        #expect(rig.machine.faultResolutions.last == .numaHinting)
        #expect(rig.machine.leafEntry(rig.mm, base).entry.hardwarePresent)
        rig.expectFlushes([])
        rig.expectTLBsSafe()
    }

    @Test("change_pte_range: NUMA hinting skips single-threaded private memory already local")
    func numaHintingSingleThreaded() throws {
        var (machine, main) = makeProcess()
        let base = try machine.mapAnon(main, pages: 8)
        for page in 0..<8 { _ = machine.access(main, base + UInt64(page) * pageBytes, .write, value: 1) }
        let mark = machine.trace.count
        #expect(machine.numaHintingScan(main, base, base + 8 * pageBytes) == 0)
        #expect(machine.flushRequests(since: mark).isEmpty)
    }

    @Test(
        "setup_arg_pages: exec with an executable stack: one gather, one flush making the stack PTEs executable",
        arguments: FlushScheme.allCases)
    func execExecutableStack(_ scheme: FlushScheme) throws {
        var (machine, main) = makeProcess { $0.scheme = scheme }
        let mark = machine.trace.count
        let stack = try machine.exec(main, argumentPages: 3, executableStack: true)
        let mm = machine.task(main).mm
        let flushes = machine.flushRequests(since: mark).filter { $0.mm == mm }
        #expect(flushes.map(\.pages) == [3])
        #expect(flushes.first?.remote == [])
        for page in 1...3 {
            let pte = machine.leafEntry(mm, stack.end - UInt64(page) * pageBytes).entry
            #expect(pte.hardwarePresent && !pte.isNoExecute)
        }
        #expect(machine.mm(mm).tlbFlushPending == 0)
        assertTLBsNoMorePermissiveThanPTEs(machine, mm)
    }

    @Test(
        "setup_arg_pages: exec with the default stack changes nothing (no flush)", arguments: [nil, false] as [Bool?])
    func execDefaultStack(_ executable: Bool?) throws {
        var (machine, main) = makeProcess()
        let mark = machine.trace.count
        let stack = try machine.exec(main, argumentPages: 3, executableStack: executable)
        let mm = machine.task(main).mm
        #expect(machine.flushRequests(since: mark).filter { $0.mm == mm }.isEmpty)
        #expect(machine.leafEntry(mm, stack.end - pageBytes).entry.isNoExecute)
        #expect(machine.mm(mm).tlbFlushPending == 0)
    }
}
