import MMHardware
import MMKernel
import MMTestSupport
import Testing

/// `struct mmu_gather` (include/asm-generic/tlb.h, mm/mmu_gather.c): range accumulation, `tlb_get_unmap_shift()`, and
/// nested-gather detection in `tlb_finish_mmu()`.
@Suite struct MMUGatherTests {
    static func process() throws -> (Machine, TaskID, TaskID) {
        var (machine, main) = makeProcess()
        let helper = machine.createThread(name: "helper", mm: machine.mmID(of: main), cpu: CPUID(1))
        let base = try machine.mapAnon(main, pages: 1)
        _ = machine.access(helper, base, .read)
        machine.clearTrace()
        return (machine, main, helper)
    }

    struct ShiftRow: Sendable, CustomTestStringConvertible {
        var source: String
        var ptes = false
        var pmds = false
        var puds = false
        var p4ds = false
        var expected: UInt64
        var testDescription: String { source }
    }

    static let shiftRows: [ShiftRow] = [
        ShiftRow(source: "nothing cleared → PAGE_SHIFT", expected: 12),
        ShiftRow(source: "PTEs → PAGE_SHIFT", ptes: true, expected: 12),
        ShiftRow(source: "PMDs only → PMD_SHIFT", pmds: true, expected: 21),
        ShiftRow(source: "PTEs and PMDs → PAGE_SHIFT (lowest level wins)", ptes: true, pmds: true, expected: 12),
        ShiftRow(source: "PUDs only → PUD_SHIFT", puds: true, expected: 30),
        ShiftRow(source: "PMDs and PUDs → PMD_SHIFT", pmds: true, puds: true, expected: 21),
        ShiftRow(source: "P4Ds only → P4D_SHIFT (= PGDIR_SHIFT with 4 levels)", p4ds: true, expected: 39),
    ]

    @Test("tlb_get_unmap_shift picks the stride from the lowest cleared level", arguments: shiftRows)
    func unmapShift(_ row: ShiftRow) throws {
        var (machine, main, _) = try Self.process()
        var gather = machine.tlbGatherMMU(mm: machine.mmID(of: main), cpu: CPUID(0))
        if row.ptes { gather.flushPTERange(0x7e00_0000_0000, pageBytes) }
        if row.pmds { gather.flushPMDRange(0x7e00_0000_0000, hugeBytes) }
        if row.puds { gather.flushPUDRange(0x7e00_0000_0000, 1 << 30) }
        if row.p4ds { gather.flushP4DRange(0x7e00_0000_0000, 1 << 39) }
        #expect(gather.unmapShift == row.expected)
        let flushes = machine.tlbFinishMMU(&gather)
        #expect(flushes.first?.strideShift ?? 12 == row.expected)
    }

    @Test("recorded entries form one interval: pages 0 and 10 flush 11 pages (__tlb_adjust_range)")
    func singleInterval() throws {
        var (machine, main, _) = try Self.process()
        var gather = machine.tlbGatherMMU(mm: machine.mmID(of: main), cpu: CPUID(0))
        let base: UInt64 = 0x7e00_0000_0000
        gather.flushPTERange(base, pageBytes)
        gather.flushPTERange(base + 10 * pageBytes, pageBytes)
        let flushes = machine.tlbFinishMMU(&gather)
        #expect(flushes.count == 1)
        #expect(flushes.first?.pages == 11)
    }

    @Test("pages 0 and 100 span more than the ceiling: full flush (__tlb_adjust_range, flush_tlb_mm_range)")
    func intervalBeyondCeiling() throws {
        var (machine, main, _) = try Self.process()
        var gather = machine.tlbGatherMMU(mm: machine.mmID(of: main), cpu: CPUID(0))
        gather.flushPTERange(0x7e00_0000_0000, pageBytes)
        gather.flushPTERange(0x7e00_0000_0000 + 100 * pageBytes, pageBytes)
        #expect(machine.tlbFinishMMU(&gather).first?.isFull == true)
    }

    @Test("a gather that recorded nothing issues no flush")
    func emptyGather() throws {
        var (machine, main, _) = try Self.process()
        var gather = machine.tlbGatherMMU(mm: machine.mmID(of: main), cpu: CPUID(0))
        #expect(machine.tlbFinishMMU(&gather).isEmpty)
        #expect(machine.flushRequests.isEmpty)
        #expect(machine.mm(machine.mmID(of: main)).tlbFlushPending == 0)
    }

    @Test(
        "nested gathers: the one finishing while another is live forces a full flush with freed_tables (mm_tlb_flush_nested)"
    )
    func nestedForcesFullFlush() throws {
        var (machine, main, _) = try Self.process()
        let mmID = machine.mmID(of: main)
        var outer = machine.tlbGatherMMU(mm: mmID, cpu: CPUID(0))
        var inner = machine.tlbGatherMMU(mm: mmID, cpu: CPUID(1))
        #expect(machine.mm(mmID).tlbFlushPending == 2)
        let innerFlushes = machine.tlbFinishMMU(&inner)
        #expect(innerFlushes.count == 1)
        #expect(innerFlushes.first?.isFull == true)
        #expect(innerFlushes.first?.freedTables == true)
        #expect(innerFlushes.first?.remote == [CPUID(0)])
        #expect(machine.mm(mmID).tlbFlushPending == 1)
        #expect(machine.tlbFinishMMU(&outer).isEmpty, "alone again: nothing recorded, nothing flushed")
        #expect(machine.mm(mmID).tlbFlushPending == 0)
    }

    @Test("the nested forced flush reaches a lazy CPU (freed_tables)")
    func nestedReachesLazyCPU() throws {
        var (machine, main, _) = try Self.process()
        let mmID = machine.mmID(of: main)
        machine.idle(cpu: CPUID(1))
        var outer = machine.tlbGatherMMU(mm: mmID, cpu: CPUID(0))
        var inner = machine.tlbGatherMMU(mm: mmID, cpu: CPUID(0))
        let flushes = machine.tlbFinishMMU(&inner)
        #expect(flushes.first?.remote == [CPUID(1)])
        machine.tlbFinishMMU(&outer)
    }

    @Test(
        "a gather on CPU0 during a concurrent munmap-style gather: finishing the first after the second still flushes what it recorded"
    )
    func outerStillFlushesItsOwn() throws {
        var (machine, main, _) = try Self.process()
        let mmID = machine.mmID(of: main)
        var outer = machine.tlbGatherMMU(mm: mmID, cpu: CPUID(0))
        outer.flushPTERange(0x7e00_0000_0000, pageBytes)
        var inner = machine.tlbGatherMMU(mm: mmID, cpu: CPUID(0))
        machine.tlbFinishMMU(&inner)
        let flushes = machine.tlbFinishMMU(&outer)
        #expect(flushes.count == 1)
        #expect(flushes.first?.pages == 1)
        #expect(flushes.first?.freedTables == false)
    }
}
