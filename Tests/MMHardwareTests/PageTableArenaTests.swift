import MMHardware
import Testing

@Suite struct PageTableArenaTests {
    @Test func allocateHandsOutZeroedDistinctFrames() {
        var arena = PageTableArena()
        #expect(arena.capacity == 0)
        let first = arena.allocate()
        let second = arena.allocate()
        #expect(first != second)
        #expect(arena.liveTables == 2)
        #expect(arena.capacity == 2)
        #expect(arena.bytes == 2 * 4096)
        #expect(arena.isEmpty(first))
        #expect((0..<512).allSatisfy { arena[second, $0] == .none })
    }

    @Test func framesDoNotOverlap() {
        var arena = PageTableArena()
        let first = arena.allocate()
        let second = arena.allocate()
        arena[first, 511] = PTE(pfn: PFN(1), flags: .present)
        #expect(arena[second, 0] == .none)
        #expect(arena.isEmpty(second))
        #expect(!arena.isEmpty(first))
    }

    @Test func freeClearsAndReusesTheFrame() {
        var arena = PageTableArena()
        let table = arena.allocate()
        arena[table, 17] = PTE(pfn: PFN(0x42), flags: [.present, .user])
        arena.free(table)
        #expect(arena.liveTables == 0)
        #expect(arena.capacity == 1)
        let reused = arena.allocate()
        #expect(reused == table)
        #expect(arena.isEmpty(reused))
        #expect(arena.liveTables == 1)
        #expect(arena.capacity == 1)
    }

    @Test func nonLeafEntryPointsAtItsChild() {
        var arena = PageTableArena()
        _ = arena.allocate()
        let child = arena.allocate()
        let entry = PageTableArena.entry(pointingTo: child)
        #expect(PageTableArena.tableEntryFlags == [.present, .writable, .user, .accessed])
        #expect(entry.flags == PageTableArena.tableEntryFlags)
        #expect(entry.pfn == PFN(UInt64(child.rawValue)))
        #expect(entry.rawValue == 0x1027)
        #expect(!entry.isHuge && !entry.isNoExecute)
        #expect(PageTableArena.child(of: entry) == child)
        #expect(
            PageTableArena.child(of: PageTableArena.entry(pointingTo: TableID(rawValue: 0xFFFF_FFFF))).rawValue
                == 0xFFFF_FFFF)
    }

    @Test func locateFindsTheLeafOrTheFirstHole() {
        var space = TestAddressSpace()
        let address: UInt64 = 0x0000_7f12_3456_7abc
        #expect(space.tables.locate(root: space.root, address: address).slot.level == 4)

        space.map4K(address, pfn: 0x1234)
        let leaf = space.tables.locate(root: space.root, address: address)
        #expect(leaf.slot.level == 1)
        #expect(leaf.slot.index == 359)
        #expect(leaf.slot.table == space.table(for: address, level: 1))
        #expect(leaf.entry == PTE(pfn: PFN(0x1234), flags: TestAddressSpace.userRW))

        let neighbour = address ^ (1 << 21)
        let hole = space.tables.locate(root: space.root, address: neighbour)
        #expect(hole.slot.level == 2)
        #expect(hole.entry == .none)
    }

    @Test func locateStopsAtHugeAndNonPresentEntries() {
        var space = TestAddressSpace()
        let address: UInt64 = 0x0000_7f00_0060_0000
        space.map2M(address, pfn: 0x3400)
        let huge = space.tables.locate(root: space.root, address: address + 0x1000)
        #expect(huge.slot.level == 2)
        #expect(huge.entry.isHuge)

        space.update(address, level: 3) { $0.clearing(.present) }
        let stopped = space.tables.locate(root: space.root, address: address)
        #expect(stopped.slot.level == 3)
        #expect(!stopped.entry.hardwarePresent)
    }

    @Test func updateRewritesARange() {
        var arena = PageTableArena()
        _ = arena.allocate()
        let table = arena.allocate()
        for index in 0..<512 { arena[table, index] = PTE(pfn: PFN(UInt64(index)), flags: [.present, .writable]) }
        var visited: [Int] = []
        arena.update(table, 10..<20) { index, pte in
            visited.append(index)
            pte = pte.clearing(.writable)
        }
        #expect(visited == Array(10..<20))
        #expect((10..<20).allSatisfy { !arena[table, $0].isWritable && arena[table, $0].pfn == PFN(UInt64($0)) })
        #expect(arena[table, 9].isWritable)
        #expect(arena[table, 20].isWritable)
    }

    @Test func updatePropagatesErrors() {
        struct Stop: Error {}
        var arena = PageTableArena()
        let table = arena.allocate()
        #expect(throws: Stop.self) {
            try arena.update(table, 0..<512) { index, pte in
                if index == 3 { throw Stop() }
                pte = PTE(pfn: PFN(1), flags: .present)
            }
        }
        #expect((0..<3).allSatisfy { arena[table, $0].hardwarePresent })
        #expect(arena[table, 3] == .none)
    }

    @Test func arenaIsAValue() {
        var original = PageTableArena()
        let table = original.allocate()
        original[table, 1] = PTE(pfn: PFN(1), flags: .present)
        var copy = original
        copy[table, 1] = .none
        _ = copy.allocate()
        #expect(original[table, 1] == PTE(pfn: PFN(1), flags: .present))
        #expect(original.liveTables == 1)
        #expect(copy.liveTables == 2)
    }
}
