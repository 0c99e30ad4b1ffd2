import MMHardware
import MMKernel
import MMTestSupport
import Testing

/// The x86 flush backend (arch/x86/mm/tlb.c): `flush_tlb_mm_range()`'s ceiling, `flush_tlb_func()`'s
/// generation rule, and lazy CPUs catching up in `switch_mm_irqs_off()`.
@Suite struct FlushTLBMMRangeTests {
    /// A process with threads running on CPU0 and CPU1, both with the mm loaded and a populated 64-page region.
    static func twoCPUs() throws -> (Machine, TaskID, TaskID, UInt64) {
        var (machine, main) = makeProcess()
        let helper = machine.createThread(name: "helper", mm: machine.mmID(of: main), cpu: CPUID(1))
        let base = try machine.mapAnon(main, pages: 64)
        for page in 0..<64 { _ = machine.access(main, base + UInt64(page) * pageBytes, .write, value: 1) }
        _ = machine.access(helper, base, .read)
        machine.clearTrace()
        return (machine, main, helper, base)
    }

    struct CeilingRow: Sendable, CustomTestStringConvertible {
        var source: String
        var pages: UInt64
        var strideShift: UInt64 = 12
        var expected: Int
        var testDescription: String { source }
    }

    static let ceilingRows: [CeilingRow] = [
        CeilingRow(source: "33 populated pages RW → RO: 33 INVLPG (at the ceiling)", pages: 33, expected: 33),
        CeilingRow(source: "34 populated pages RW → RO: full flush (past the ceiling)", pages: 34, expected: -1),
        CeilingRow(source: "16 populated pages RW → RO: 16 INVLPG", pages: 16, expected: 16),
        CeilingRow(source: "40 populated pages RW → RO: full flush", pages: 40, expected: -1),
        CeilingRow(source: "one page", pages: 1, expected: 1),
        CeilingRow(
            source: "2 MiB THP RW → RO: 512 pages at the PMD stride = 1 INVLPG", pages: 512,
            strideShift: 21, expected: 1),
        CeilingRow(
            source: "flush_pmd_tlb_range on x86 (= flush_tlb_range): 2 MiB at the 4 KiB stride = full", pages: 512,
            expected: -1),
    ]

    @Test(arguments: ceilingRows)
    func ceiling(_ row: CeilingRow) throws {
        var (machine, main, _, base) = try Self.twoCPUs()
        let start = row.strideShift == 12 ? base : 0x7e00_0000_0000
        let invlpg0 = machine.cpus[0].counters.invlpg
        let invlpg1 = machine.cpus[1].counters.invlpg
        let full0 = machine.cpus[0].counters.fullFlushes
        let request = machine.flushTLBMMRange(
            initiator: CPUID(0), mm: machine.mmID(of: main), start: start, end: start + row.pages * pageBytes,
            strideShift: row.strideShift, freedTables: false)
        #expect(request.pages == row.expected)
        #expect(request.remote == [CPUID(1)])
        let expectedInvlpg = max(row.expected, 0)
        #expect(machine.cpus[0].counters.invlpg - invlpg0 == expectedInvlpg)
        #expect(machine.cpus[1].counters.invlpg - invlpg1 == expectedInvlpg)
        #expect(machine.cpus[0].counters.fullFlushes - full0 == (row.expected == -1 ? 1 : 0))
        let events = machine.tlbFlushEvents.filter { $0.reason != .remoteSendIPI }
        #expect(events.map(\.pages) == [row.expected, row.expected])
    }

    @Test("each flush bumps the mm's tlb_gen once and brings every flushed CPU up to it")
    func generationBump() throws {
        var (machine, main, _, base) = try Self.twoCPUs()
        let mmID = machine.mmID(of: main)
        let gen = machine.mm(mmID).tlbGen
        machine.flushTLBMMRange(
            initiator: CPUID(0), mm: mmID, start: base, end: base + pageBytes, strideShift: 12, freedTables: false)
        #expect(machine.mm(mmID).tlbGen == gen + 1)
        for cpu in 0..<2 {
            let state = machine.cpuState[cpu]
            #expect(state.contexts[state.asid].tlbGen == gen + 1)
        }
    }

    @Test("a CPU two generations behind does a full flush instead of the partial one (flush_tlb_func)")
    func twoBehindUpgradesToFull() throws {
        var (machine, main, _, base) = try Self.twoCPUs()
        let mmID = machine.mmID(of: main)
        // Another flush request (say a full one from a third CPU) has bumped tlb_gen, its IPI not yet delivered.
        machine.mms[mmID.rawValue]!.tlbGen += 1
        let full1 = machine.cpus[1].counters.fullFlushes
        let invlpg1 = machine.cpus[1].counters.invlpg
        let request = machine.flushTLBMMRange(
            initiator: CPUID(0), mm: mmID, start: base, end: base + 2 * pageBytes, strideShift: 12, freedTables: false)
        #expect(request.pages == 2, "the request itself stays partial")
        let shootdowns = machine.tlbFlushEvents.filter { $0.reason == .remoteShootdown }
        #expect(shootdowns.count == 1)
        #expect(shootdowns.first?.pages == -1)
        #expect(machine.cpus[1].counters.fullFlushes == full1 + 1)
        #expect(machine.cpus[1].counters.invlpg == invlpg1)
        let state = machine.cpuState[1]
        #expect(state.contexts[state.asid].tlbGen == machine.mm(mmID).tlbGen)
    }

    @Test("a CPU exactly one generation behind applies the partial flush")
    func oneBehindPartial() throws {
        var (machine, main, _, base) = try Self.twoCPUs()
        let invlpg1 = machine.cpus[1].counters.invlpg
        machine.flushTLBMMRange(
            initiator: CPUID(0), mm: machine.mmID(of: main), start: base, end: base + 3 * pageBytes, strideShift: 12,
            freedTables: false)
        #expect(machine.cpus[1].counters.invlpg == invlpg1 + 3)
        #expect(
            machine.tlbFlushEvents.contains { $0.cpu == CPUID(1) && $0.reason == .remoteShootdown && $0.pages == 3 })
    }

    @Test("a lazy CPU gets no IPI; switching back to the mm catches up with a full flush (switch_mm_irqs_off)")
    func lazyCatchUpAtSwitch() throws {
        var (machine, main, helper, base) = try Self.twoCPUs()
        let mmID = machine.mmID(of: main)
        #expect(machine.access(helper, base + pageBytes, .read) == .value(1))
        machine.idle(cpu: CPUID(1))
        #expect(machine.cpuState[1].isLazy)
        machine.pokePTE(main, base + pageBytes) { $0.clearing(.writable) }
        let request = machine.flushTLBMMRange(
            initiator: CPUID(0), mm: mmID, start: base + pageBytes, end: base + 2 * pageBytes, strideShift: 12,
            freedTables: false)
        #expect(request.remote.isEmpty)
        #expect(machine.cpus[1].tlb.entries.contains { $0.address == base + pageBytes }, "lazy: not flushed yet")
        machine.clearTrace()
        machine.schedule(helper)
        #expect(!machine.cpuState[1].isLazy)
        #expect(machine.tlbFlushEvents.map(\.reason) == [.taskSwitch])
        #expect(machine.tlbFlushEvents.first?.pages == -1)
        #expect(!machine.cpus[1].tlb.entries.contains { $0.address == base + pageBytes })
        let state = machine.cpuState[1]
        #expect(state.contexts[state.asid].tlbGen == machine.mm(mmID).tlbGen)
    }

    @Test("a lazy CPU that missed nothing switches back without a flush")
    func lazyUpToDateNoFlush() throws {
        var (machine, _, helper, _) = try Self.twoCPUs()
        machine.idle(cpu: CPUID(1))
        machine.schedule(helper)
        #expect(machine.tlbFlushEvents.isEmpty)
    }

    @Test("switching to another mm and back with PCIDs reuses the ASID slot and flushes only if behind")
    func asidReuse() throws {
        var (machine, main, helper, base) = try Self.twoCPUs()
        let other = machine.createProcess(name: "other", cpu: CPUID(1))
        machine.schedule(other)
        machine.clearTrace()
        machine.schedule(helper)
        #expect(machine.tlbFlushEvents.isEmpty, "slot still current: CR3 loaded with NOFLUSH")
        machine.schedule(other)
        machine.flushTLBMMRange(
            initiator: CPUID(0), mm: machine.mmID(of: main), start: base, end: base + pageBytes, strideShift: 12,
            freedTables: false)
        machine.clearTrace()
        machine.schedule(helper)
        #expect(machine.tlbFlushEvents.map(\.reason) == [.taskSwitch])
    }
}

/// The core safety property: a TLB entry survives a PTE change until the change is flushed.
@Suite struct StaleTLBTests {
    @Test("a stale writable TLB entry on CPU1 lets a write through a read-only PTE until a flush removes it")
    func staleEntryWritesThrough() throws {
        var (machine, main) = makeProcess()
        let mmID = machine.mmID(of: main)
        let helper = machine.createThread(name: "helper", mm: mmID, cpu: CPUID(1))
        let base = try machine.mapAnon(main, pages: 1)
        #expect(machine.access(helper, base, .write, value: 1) == .value(1))
        let frame = machine.leaf(main, base).entry.pfn
        machine.pokePTE(main, base) { $0.clearing(.writable) }
        machine.clearTrace()
        #expect(machine.cpus[1].translate(base, .write, tables: &machine.pageTables) == .frame(frame))
        #expect(machine.access(helper, base, .write, value: 2) == .value(2))
        #expect(machine.faultResolutions.isEmpty, "the write went through the stale entry without a fault")
        #expect(machine.memory.read(frame) == 2)
        machine.flushTLBMMRange(
            initiator: CPUID(0), mm: mmID, start: base, end: base + pageBytes, strideShift: 12, freedTables: false)
        #expect(
            machine.cpus[1].translate(base, .write, tables: &machine.pageTables)
                == .fault([.protection, .write, .user]))
    }

    @Test(
        "a stale entry for a frame the kernel replaced loses the write; after a flush the write lands in the new frame")
    func staleEntryLosesWrite() throws {
        var (machine, main) = makeProcess()
        let mmID = machine.mmID(of: main)
        let helper = machine.createThread(name: "helper", mm: mmID, cpu: CPUID(1))
        let base = try machine.mapAnon(main, pages: 2)
        _ = machine.access(helper, base, .write, value: 1)
        _ = machine.access(main, base + pageBytes, .write, value: 5)
        let old = machine.leaf(main, base).entry.pfn
        let replacement = machine.leaf(main, base + pageBytes).entry.pfn
        machine.pokePTE(main, base) { PTE(pfn: replacement, flags: $0.flags) }
        _ = machine.access(helper, base, .write, value: 9)
        #expect(machine.memory.read(old) == 9)
        #expect(machine.memory.read(replacement) == 5, "the write is lost to the new frame")
        machine.flushTLBMMRange(
            initiator: CPUID(0), mm: mmID, start: base, end: base + pageBytes, strideShift: 12, freedTables: false)
        _ = machine.access(helper, base, .write, value: 10)
        #expect(machine.memory.read(replacement) == 10)
    }

    @Test("a flush from CPU0 that CPU1 is not in mm_cpumask for leaves CPU1 untouched")
    func otherMMUntouched() throws {
        var (machine, main) = makeProcess()
        let other = machine.createProcess(name: "other", cpu: CPUID(1))
        let base = try machine.mapAnon(other, pages: 1)
        _ = machine.access(other, base, .write, value: 1)
        let entries = machine.cpus[1].tlb.entries.count
        let request = machine.flushTLBMMRange(
            initiator: CPUID(0), mm: machine.mmID(of: main), start: 0, end: tlbFlushAll, strideShift: 12,
            freedTables: true)
        #expect(request.remote.isEmpty)
        #expect(machine.cpus[1].tlb.entries.count == entries)
    }
}
