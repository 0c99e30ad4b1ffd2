import MMHardware
import Testing

@Suite struct CPUTranslateTests {
    static let address: UInt64 = 0x0000_7f12_3456_7abc
    static let pfn: UInt64 = 0x1234
    static let protectionWrite = CPU.Translation.fault([.protection, .write, .user])

    /// A CPU running `space` under PCID 1, with the page at `address` mapped read-write.
    static func machine(
        flags: PTEFlags = TestAddressSpace.userRW, geometry: TLBGeometry = .intelDefault
    ) -> (CPU, TestAddressSpace) {
        var space = TestAddressSpace()
        space.map4K(address, pfn: pfn, flags: flags)
        var cpu = CPU(id: CPUID(0), geometry: geometry)
        cpu.loadCR3(root: space.root, pcid: 1, noFlush: false)
        cpu.counters = CPUCounters()
        return (cpu, space)
    }

    static func counters(
        accesses: Int = 0, l1Hits: Int = 0, stlbHits: Int = 0, misses: Int = 0, walks: Int = 0, pageFaults: Int = 0,
        invlpg: Int = 0, fullFlushes: Int = 0, cr3Loads: Int = 0
    ) -> CPUCounters {
        var counters = CPUCounters()
        counters.accesses = accesses
        counters.l1Hits = l1Hits
        counters.stlbHits = stlbHits
        counters.misses = misses
        counters.walks = walks
        counters.pageFaults = pageFaults
        counters.invlpg = invlpg
        counters.fullFlushes = fullFlushes
        counters.cr3Loads = cr3Loads
        return counters
    }

    @Test func newCPUHasNoAddressSpace() {
        let cpu = CPU(id: CPUID(3))
        #expect(cpu.id == CPUID(3))
        #expect(cpu.root == nil)
        #expect(cpu.pcid == 0)
        #expect(cpu.counters == CPUCounters())
        #expect(cpu.tlb.geometry == .intelDefault)
    }

    @Test(arguments: AccessKind.allCases)
    func noRootFaultsNotPresent(_ kind: AccessKind) {
        var cpu = CPU(id: CPUID(0))
        var tables = PageTableArena()
        #expect(cpu.translate(Self.address, kind, tables: &tables) == .fault(PageFaultError.user(kind)))
        #expect(cpu.counters == Self.counters(accesses: 1, misses: 1, pageFaults: 1))
    }

    // MARK: Miss, walk, fill, hit

    @Test func missWalksFillsThenHits() {
        var (cpu, space) = Self.machine()
        #expect(cpu.translate(Self.address, .read, tables: &space.tables) == .frame(PFN(Self.pfn)))
        #expect(cpu.counters == Self.counters(accesses: 1, misses: 1, walks: 1))
        #expect(cpu.tlb.entries.map(\.vpn) == [Self.address >> 12])
        #expect(cpu.tlb.entries.first?.pcid == 1)

        #expect(cpu.translate(Self.address + 8, .read, tables: &space.tables) == .frame(PFN(Self.pfn)))
        #expect(cpu.translate(Self.address & ~0xFFF, .execute, tables: &space.tables) == .frame(PFN(Self.pfn)))
        #expect(cpu.counters == Self.counters(accesses: 3, l1Hits: 2, misses: 1, walks: 1))
    }

    @Test func stlbHitsAreCountedSeparately() {
        let geometry = TLBGeometry(l1Sets4K: 1, l1Ways4K: 1, l1Sets2M: 1, l1Ways2M: 1, stlbSets: 4, stlbWays: 4)
        var (cpu, space) = Self.machine(geometry: geometry)
        let other = Self.address + PageGeometry.pageSize
        space.map4K(other, pfn: 0x5678)
        #expect(cpu.translate(Self.address, .read, tables: &space.tables) == .frame(PFN(Self.pfn)))
        #expect(cpu.translate(other, .read, tables: &space.tables) == .frame(PFN(0x5678)))
        #expect(cpu.translate(Self.address, .read, tables: &space.tables) == .frame(PFN(Self.pfn)))
        #expect(cpu.translate(Self.address, .read, tables: &space.tables) == .frame(PFN(Self.pfn)))
        #expect(cpu.counters == Self.counters(accesses: 4, l1Hits: 1, stlbHits: 1, misses: 2, walks: 2))
    }

    @Test func walkSetsAccessedAndDirtyInTheArena() {
        var (cpu, space) = Self.machine()
        space.clearAccessedAndDirty(Self.address)
        _ = cpu.translate(Self.address, .read, tables: &space.tables)
        #expect(space.entry(Self.address, level: 1).isAccessed)
        #expect(!space.entry(Self.address, level: 1).isDirty)
        _ = cpu.translate(Self.address, .write, tables: &space.tables)
        #expect(space.entry(Self.address, level: 1).isDirty)
    }

    @Test func hugePageIsOneTLBEntry() {
        var (cpu, space) = Self.machine()
        let base: UInt64 = 0x0000_7f00_0060_0000
        space.map2M(base, pfn: 0x3400)
        #expect(cpu.translate(base + 0x5000, .write, tables: &space.tables) == .frame(PFN(0x3405)))
        #expect(cpu.translate(base + 0x1F_F000, .write, tables: &space.tables) == .frame(PFN(0x35FF)))
        #expect(cpu.counters == Self.counters(accesses: 2, l1Hits: 1, misses: 1, walks: 1))

        cpu.invlpg(base + 0x10_0000)
        #expect(cpu.translate(base, .read, tables: &space.tables) == .frame(PFN(0x3400)))
        #expect(cpu.counters.misses == 2)
    }

    static let gigabyte: UInt64 = 0x0000_7f00_4000_0000

    /// A CPU with a writable 1 GiB page at `gigabyte` whose first 2 MiB fragment and the one at +512 MiB are cached
    /// dirty, after which the kernel write-protected the PUD in memory.
    static func writeProtectedGigabytePage() -> (CPU, TestAddressSpace) {
        var (cpu, space) = machine()
        space.map1G(gigabyte, pfn: 0xC_0000)
        #expect(cpu.translate(gigabyte, .write, tables: &space.tables) == .frame(PFN(0xC_0000)))
        #expect(cpu.translate(gigabyte + (512 << 20), .write, tables: &space.tables) == .frame(PFN(0xE_0000)))
        #expect(cpu.tlb.entries.count == 2)
        space.update(gigabyte, level: 3) { $0.clearing(.writable) }
        return (cpu, space)
    }

    @Test func oneGiBPageIsCachedPerTwoMiBFragment() {
        var (cpu, space) = Self.writeProtectedGigabytePage()
        #expect(cpu.counters == Self.counters(accesses: 2, misses: 2, walks: 2))
        #expect(cpu.translate(Self.gigabyte + 0x1000, .write, tables: &space.tables) == .frame(PFN(0xC_0001)))
        #expect(cpu.counters.l1Hits == 1)
        // An INVLPG at the address of the fragment drops that fragment.
        cpu.invlpg(Self.gigabyte)
        #expect(cpu.translate(Self.gigabyte, .write, tables: &space.tables) == Self.protectionWrite)
    }

    @Test()
    func invlpgOfAOneGiBPageDropsEveryFragment() {
        var (cpu, space) = Self.writeProtectedGigabytePage()
        // The kernel flushes a 1 GiB hugetlb page with one INVLPG (stride PUD_SHIFT).
        cpu.invlpg(Self.gigabyte)
        #expect(cpu.translate(Self.gigabyte + (512 << 20), .write, tables: &space.tables) == Self.protectionWrite)
    }

    @Test()
    func faultOnAOneGiBPageDropsEveryFragment() {
        var (cpu, space) = Self.writeProtectedGigabytePage()
        #expect(cpu.translate(Self.gigabyte + (4 << 20), .write, tables: &space.tables) == Self.protectionWrite)
        #expect(cpu.translate(Self.gigabyte + (512 << 20), .write, tables: &space.tables) == Self.protectionWrite)
    }

    // MARK: Stale entries

    @Test func staleWritableEntryLetsAWriteThroughAfterTheArenaWentReadOnly() {
        var (cpu, space) = Self.machine()
        #expect(cpu.translate(Self.address, .write, tables: &space.tables) == .frame(PFN(Self.pfn)))
        // The kernel write-protects the PTE in memory and sends no INVLPG.
        space.update(Self.address) { $0.clearing(.writable) }

        #expect(cpu.translate(Self.address, .write, tables: &space.tables) == .frame(PFN(Self.pfn)))
        #expect(cpu.counters == Self.counters(accesses: 2, l1Hits: 1, misses: 1, walks: 1))

        cpu.invlpg(Self.address)
        #expect(cpu.translate(Self.address, .write, tables: &space.tables) == Self.protectionWrite)
        #expect(cpu.translate(Self.address, .read, tables: &space.tables) == .frame(PFN(Self.pfn)))
        #expect(
            cpu.counters == Self.counters(accesses: 4, l1Hits: 1, misses: 3, walks: 3, pageFaults: 1, invlpg: 1))
    }

    @Test func fullFlushOfThePCIDEndsTheStaleWrite() {
        var (cpu, space) = Self.machine()
        _ = cpu.translate(Self.address, .write, tables: &space.tables)
        space.update(Self.address) { $0.clearing(.writable) }
        #expect(cpu.translate(Self.address, .write, tables: &space.tables) == .frame(PFN(Self.pfn)))

        cpu.flushCurrentPCID()
        #expect(cpu.translate(Self.address, .write, tables: &space.tables) == Self.protectionWrite)
        #expect(cpu.counters.fullFlushes == 1)
        #expect(cpu.counters.pageFaults == 1)
    }

    @Test func staleEntryOutlivesAnUnmapAndAClearedPMD() {
        var (cpu, space) = Self.machine()
        _ = cpu.translate(Self.address, .read, tables: &space.tables)
        space.set(Self.address, level: 1, .none)
        space.set(Self.address, level: 2, .none)
        #expect(cpu.translate(Self.address, .read, tables: &space.tables) == .frame(PFN(Self.pfn)))
        cpu.invlpg(Self.address)
        #expect(cpu.translate(Self.address, .read, tables: &space.tables) == .fault(.user))
    }

    @Test func invlpgOfAnotherPageKeepsTheStaleEntry() {
        var (cpu, space) = Self.machine()
        _ = cpu.translate(Self.address, .write, tables: &space.tables)
        space.update(Self.address) { $0.clearing(.writable) }
        cpu.invlpg(Self.address + PageGeometry.pageSize)
        cpu.invlpg(Self.address - PageGeometry.pageSize)
        #expect(cpu.translate(Self.address, .write, tables: &space.tables) == .frame(PFN(Self.pfn)))
        #expect(cpu.counters.invlpg == 2)
    }

    @Test func invlpgOnlyReachesTheCurrentPCID() {
        var (cpu, space) = Self.machine()
        _ = cpu.translate(Self.address, .write, tables: &space.tables)
        space.update(Self.address) { $0.clearing(.writable) }
        cpu.loadCR3(root: space.root, pcid: 2, noFlush: true)
        cpu.invlpg(Self.address)
        cpu.loadCR3(root: space.root, pcid: 1, noFlush: true)
        #expect(cpu.translate(Self.address, .write, tables: &space.tables) == .frame(PFN(Self.pfn)))
    }

    @Test func writeThroughACleanEntryRewalksAndSetsDirty() {
        var (cpu, space) = Self.machine()
        space.clearAccessedAndDirty(Self.address)
        #expect(cpu.translate(Self.address, .read, tables: &space.tables) == .frame(PFN(Self.pfn)))
        #expect(cpu.tlb.entries.first?.bits.contains(.dirty) == false)

        #expect(cpu.translate(Self.address, .write, tables: &space.tables) == .frame(PFN(Self.pfn)))
        #expect(space.entry(Self.address, level: 1).isDirty)
        #expect(cpu.counters == Self.counters(accesses: 2, misses: 1, walks: 2))
        #expect(cpu.tlb.entries.count == 1)
        #expect(cpu.tlb.entries.first?.bits == [.valid, .writable, .user, .dirty])

        #expect(cpu.translate(Self.address, .write, tables: &space.tables) == .frame(PFN(Self.pfn)))
        #expect(cpu.counters == Self.counters(accesses: 3, l1Hits: 1, misses: 1, walks: 2))
    }

    @Test func writeThroughACleanEntrySeesTheNewReadOnlyPTE() {
        var (cpu, space) = Self.machine()
        space.clearAccessedAndDirty(Self.address)
        _ = cpu.translate(Self.address, .read, tables: &space.tables)
        space.update(Self.address) { $0.clearing(.writable) }

        #expect(cpu.translate(Self.address, .write, tables: &space.tables) == Self.protectionWrite)
        #expect(!space.entry(Self.address, level: 1).isDirty)
        #expect(cpu.tlb.entries.isEmpty, "the fault dropped the clean entry")
        #expect(cpu.counters == Self.counters(accesses: 2, misses: 1, walks: 2, pageFaults: 1))
    }

    @Test func cachedEntryThatForbidsTheAccessFaultsWithoutAWalkAndIsDropped() {
        var (cpu, space) = Self.machine(flags: TestAddressSpace.userRO)
        _ = cpu.translate(Self.address, .read, tables: &space.tables)
        // The kernel makes the PTE writable (a COW break or mprotect) without flushing: a spurious fault.
        space.update(Self.address) { $0.setting(.writable) }

        #expect(cpu.translate(Self.address, .write, tables: &space.tables) == Self.protectionWrite)
        #expect(cpu.counters == Self.counters(accesses: 2, misses: 1, walks: 1, pageFaults: 1))
        #expect(cpu.tlb.entries.isEmpty)

        // The retried write walks and now succeeds.
        #expect(cpu.translate(Self.address, .write, tables: &space.tables) == .frame(PFN(Self.pfn)))
        #expect(cpu.counters == Self.counters(accesses: 3, misses: 2, walks: 2, pageFaults: 1))
    }

    @Test func cachedNXEntryFaultsAnExecute() {
        var (cpu, space) = Self.machine(flags: [.present, .user, .noExecute])
        _ = cpu.translate(Self.address, .read, tables: &space.tables)
        space.update(Self.address) { $0.clearing(.noExecute) }
        #expect(
            cpu.translate(Self.address, .execute, tables: &space.tables) == .fault([.protection, .instruction, .user]))
        #expect(cpu.counters.walks == 1)
        #expect(cpu.translate(Self.address, .execute, tables: &space.tables) == .frame(PFN(Self.pfn)))
    }

    @Test func walkFaultIncrementsPageFaults() {
        var (cpu, space) = Self.machine(flags: TestAddressSpace.userRO)
        #expect(cpu.translate(Self.address, .write, tables: &space.tables) == Self.protectionWrite)
        #expect(cpu.translate(Self.address + (1 << 30), .read, tables: &space.tables) == .fault(.user))
        #expect(cpu.counters == Self.counters(accesses: 2, misses: 2, walks: 2, pageFaults: 2))
        #expect(cpu.tlb.entries.isEmpty)
    }

    // MARK: CR3 and PCIDs

    @Test func loadCR3WithoutNoFlushDropsTheNewPCIDsEntries() {
        var (cpu, space) = Self.machine()
        _ = cpu.translate(Self.address, .read, tables: &space.tables)
        cpu.loadCR3(root: space.root, pcid: 1, noFlush: false)
        #expect(cpu.root == space.root)
        #expect(cpu.pcid == 1)
        #expect(cpu.tlb.entries.isEmpty)
        #expect(cpu.counters.cr3Loads == 1)
        #expect(cpu.counters.fullFlushes == 1)
        _ = cpu.translate(Self.address, .read, tables: &space.tables)
        #expect(cpu.counters.misses == 2)
    }

    @Test func loadCR3WithNoFlushKeepsEntries() {
        var (cpu, space) = Self.machine()
        _ = cpu.translate(Self.address, .read, tables: &space.tables)
        cpu.loadCR3(root: space.root, pcid: 1, noFlush: true)
        #expect(cpu.tlb.entries.count == 1)
        #expect(cpu.counters.cr3Loads == 1)
        #expect(cpu.counters.fullFlushes == 0)
        _ = cpu.translate(Self.address, .read, tables: &space.tables)
        #expect(cpu.counters.l1Hits == 1)
    }

    @Test func switchingPCIDsIsolatesAddressSpaces() {
        var (cpu, space) = Self.machine()
        // A second address space in the same arena, mapping the same address elsewhere.
        let secondRoot = space.tables.allocate()
        var parent = secondRoot
        for level in [4, 3, 2] {
            let child = space.tables.allocate()
            space.tables[parent, PageGeometry.index(Self.address, level: level)] = PageTableArena.entry(
                pointingTo: child)
            parent = child
        }
        space.tables[parent, PageGeometry.index(Self.address, level: 1)] = PTE(
            pfn: PFN(0x9999), flags: TestAddressSpace.userRW)

        #expect(cpu.translate(Self.address, .read, tables: &space.tables) == .frame(PFN(Self.pfn)))
        cpu.loadCR3(root: secondRoot, pcid: 2, noFlush: true)
        #expect(cpu.translate(Self.address, .read, tables: &space.tables) == .frame(PFN(0x9999)))
        cpu.loadCR3(root: space.root, pcid: 1, noFlush: true)
        #expect(cpu.translate(Self.address, .read, tables: &space.tables) == .frame(PFN(Self.pfn)))
        #expect(cpu.counters == Self.counters(accesses: 3, l1Hits: 1, misses: 2, walks: 2, cr3Loads: 2))

        // A flushing load of PCID 2 leaves PCID 1 alone.
        cpu.loadCR3(root: secondRoot, pcid: 2, noFlush: false)
        cpu.loadCR3(root: space.root, pcid: 1, noFlush: true)
        #expect(cpu.translate(Self.address, .read, tables: &space.tables) == .frame(PFN(Self.pfn)))
        #expect(cpu.counters.l1Hits == 2)
        #expect(cpu.counters.fullFlushes == 1)
        #expect(cpu.tlb.entries.map(\.pcid) == [1])
    }

    @Test func invalidatePCIDDropsAnotherContextWithoutCountingAFlush() {
        var (cpu, space) = Self.machine()
        _ = cpu.translate(Self.address, .read, tables: &space.tables)
        cpu.loadCR3(root: space.root, pcid: 2, noFlush: true)
        _ = cpu.translate(Self.address, .read, tables: &space.tables)
        #expect(cpu.tlb.entries.count == 2)

        cpu.invalidatePCID(1)
        #expect(cpu.tlb.entries.map(\.pcid) == [2])
        #expect(cpu.counters.fullFlushes == 0)
    }

    // MARK: Counters

    @Test func countersSubtractAndAdd() {
        let a = Self.counters(
            accesses: 10, l1Hits: 5, stlbHits: 2, misses: 3, walks: 4, pageFaults: 1, invlpg: 6, fullFlushes: 7,
            cr3Loads: 8)
        var b = Self.counters(accesses: 4, l1Hits: 1, misses: 1, walks: 1, invlpg: 2, cr3Loads: 3)
        b.ipisReceived = 2
        let difference = a - b
        var expected = Self.counters(
            accesses: 6, l1Hits: 4, stlbHits: 2, misses: 2, walks: 3, pageFaults: 1, invlpg: 4, fullFlushes: 7,
            cr3Loads: 5)
        expected.ipisReceived = -2
        #expect(difference == expected)
        #expect(difference + b == a)
    }
}
