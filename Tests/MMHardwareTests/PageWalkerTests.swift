import MMHardware
import Testing

@Suite struct PageWalkerTests {
    /// A user address whose four table indices all differ (PGD 254, PUD 72, PMD 418, PTE 359).
    static let address: UInt64 = 0x0000_7f12_3456_7abc
    static let vpn: UInt64 = address >> 12

    static func walk(_ space: inout TestAddressSpace, _ address: UInt64, _ kind: AccessKind) -> PageWalker.Outcome {
        PageWalker.walk(root: space.root, address: address, kind: kind, tables: &space.tables)
    }

    static func translated(_ outcome: PageWalker.Outcome) -> TLBEntry? {
        if case .translated(let entry) = outcome { return entry }
        return nil
    }

    @Test func addressIndicesAreDistinct() {
        let indices = (1...4).map { PageGeometry.index(Self.address, level: $0) }
        #expect(indices == [359, 418, 72, 254])
    }

    // MARK: Accessed and dirty

    @Test func readSetsAccessedOnEveryLevelAndNoDirty() {
        var space = TestAddressSpace()
        space.map4K(Self.address, pfn: 0x1234)
        space.clearAccessedAndDirty(Self.address)
        #expect(space.path(Self.address).allSatisfy { !$0.isAccessed })

        let outcome = Self.walk(&space, Self.address, .read)
        #expect(
            outcome == .translated(TLBEntry(vpn: Self.vpn, pfn: 0x1234, pcid: 0, bits: [.valid, .writable, .user])))
        #expect(space.path(Self.address).map(\.isAccessed) == [true, true, true, true])
        #expect(space.path(Self.address).map(\.isDirty) == [false, false, false, false])
        #expect(
            space.entry(Self.address, level: 1)
                == PTE(pfn: PFN(0x1234), flags: [.present, .writable, .user, .accessed]))
    }

    @Test func writeSetsDirtyInTheLeafOnly() {
        var space = TestAddressSpace()
        space.map4K(Self.address, pfn: 0x1234)
        space.clearAccessedAndDirty(Self.address)

        let outcome = Self.walk(&space, Self.address, .write)
        #expect(
            outcome
                == .translated(
                    TLBEntry(vpn: Self.vpn, pfn: 0x1234, pcid: 0, bits: [.valid, .writable, .user, .dirty])))
        #expect(space.path(Self.address).map(\.isAccessed) == [true, true, true, true])
        #expect(space.path(Self.address).map(\.isDirty) == [false, false, false, true])
    }

    @Test func executeSetsAccessedButNotDirty() {
        var space = TestAddressSpace()
        space.map4K(Self.address, pfn: 0x1234, flags: TestAddressSpace.userRO)
        space.clearAccessedAndDirty(Self.address)

        let entry = Self.translated(Self.walk(&space, Self.address, .execute))
        #expect(entry?.bits == [.valid, .user])
        #expect(space.path(Self.address).map(\.isAccessed) == [true, true, true, true])
        #expect(!space.entry(Self.address, level: 1).isDirty)
    }

    @Test func alreadyDirtyLeafIsReportedDirtyOnARead() {
        var space = TestAddressSpace()
        space.map4K(Self.address, pfn: 0x1234, flags: [.present, .writable, .user, .accessed, .dirty])
        let entry = Self.translated(Self.walk(&space, Self.address, .read))
        #expect(entry?.bits.contains(.dirty) == true)
    }

    @Test(arguments: AccessKind.allCases)
    func faultChangesNoAccessedOrDirtyBit(_ kind: AccessKind) {
        var space = TestAddressSpace()
        // Read-only, NX and supervisor-only: every kind of access faults at the leaf.
        space.map4K(Self.address, pfn: 0x1234, flags: [.present, .noExecute])
        space.clearAccessedAndDirty(Self.address)
        let before = space.path(Self.address)

        let outcome = Self.walk(&space, Self.address, kind)
        #expect(Self.translated(outcome) == nil)
        #expect(space.path(Self.address) == before)
    }

    @Test func protectionFaultOnWriteLeavesAccessedClear() {
        var space = TestAddressSpace()
        space.map4K(Self.address, pfn: 0x1234, flags: TestAddressSpace.userRO)
        space.clearAccessedAndDirty(Self.address)
        #expect(Self.walk(&space, Self.address, .write) == .fault([.protection, .write, .user]))
        #expect(space.path(Self.address).map(\.isAccessed) == [false, false, false, false])
        #expect(!space.entry(Self.address, level: 1).isDirty)
    }

    // MARK: Error codes

    @Test(arguments: [
        (AccessKind.read, UInt32(0x4)), (AccessKind.write, UInt32(0x6)), (AccessKind.execute, UInt32(0x14)),
    ])
    func notPresentErrorCodesHaveNoProtectionBit(_ kind: AccessKind, _ code: UInt32) {
        // Empty at each level in turn: PGD, PUD, PMD, PTE.
        for missingLevel in 1...4 {
            var space = TestAddressSpace()
            space.map4K(Self.address, pfn: 0x1234)
            space.set(Self.address, level: missingLevel, .none)
            let outcome = Self.walk(&space, Self.address, kind)
            #expect(outcome == .fault(PageFaultError(rawValue: code)), "level \(missingLevel)")
            #expect(outcome == .fault(PageFaultError.user(kind)), "level \(missingLevel)")
        }
    }

    @Test func emptyRootFaultsNotPresent() {
        var space = TestAddressSpace()
        #expect(Self.walk(&space, Self.address, .read) == .fault(.user))
        #expect(Self.walk(&space, Self.address, .write) == .fault([.user, .write]))
        #expect(Self.walk(&space, Self.address, .execute) == .fault([.user, .instruction]))
    }

    @Test(arguments: AccessKind.allCases)
    func protNoneAndSwapLeavesFaultNotPresent(_ kind: AccessKind) {
        let leaves = [
            PTE(pfn: PFN(0x1234), flags: [.protNone, .accessed]),
            SwapEntry(kind: .swap(type: 1), offset: 77).pte,
            SwapEntry(kind: .migrationWrite, offset: 0x1234).pte,
        ]
        for leaf in leaves {
            var space = TestAddressSpace()
            space.set(Self.address, level: 1, leaf)
            #expect(Self.walk(&space, Self.address, kind) == .fault(PageFaultError.user(kind)), "\(leaf)")
            #expect(space.entry(Self.address, level: 1) == leaf)
        }
    }

    @Test func nonPresentUpperLevelWithStaleBitsFaultsNotPresent() {
        var space = TestAddressSpace()
        space.map4K(Self.address, pfn: 0x1234)
        // PMD made PROT_NONE-like: P clear, the rest (child frame, RW, U, A) left behind.
        space.update(Self.address, level: 2) { $0.clearing(.present) }
        #expect(Self.walk(&space, Self.address, .read) == .fault(.user))
    }

    @Test func writeToReadOnlyLeafIsAProtectionFault() {
        var space = TestAddressSpace()
        space.map4K(Self.address, pfn: 0x1234, flags: TestAddressSpace.userRO)
        let outcome = Self.walk(&space, Self.address, .write)
        #expect(outcome == .fault([.protection, .write, .user]))
        #expect(outcome == .fault(PageFaultError(rawValue: 0x7)))
        #expect(Self.translated(Self.walk(&space, Self.address, .read))?.bits == [.valid, .user])
    }

    @Test func executeOnNXLeafIsAProtectionFault() {
        var space = TestAddressSpace()
        space.map4K(Self.address, pfn: 0x1234, flags: [.present, .writable, .user, .noExecute])
        let outcome = Self.walk(&space, Self.address, .execute)
        #expect(outcome == .fault([.protection, .instruction, .user]))
        #expect(outcome == .fault(PageFaultError(rawValue: 0x15)))
        let read = Self.translated(Self.walk(&space, Self.address, .read))
        #expect(read?.bits == [.valid, .writable, .user, .noExecute])
        #expect(Self.translated(Self.walk(&space, Self.address, .write)) != nil)
    }

    @Test(arguments: [
        (AccessKind.read, UInt32(0x5)), (AccessKind.write, UInt32(0x7)), (AccessKind.execute, UInt32(0x15)),
    ])
    func supervisorOnlyLeafFaultsEveryUserAccess(_ kind: AccessKind, _ code: UInt32) {
        var space = TestAddressSpace()
        space.map4K(Self.address, pfn: 0x1234, flags: [.present, .writable])
        #expect(Self.walk(&space, Self.address, kind) == .fault(PageFaultError(rawValue: code)))
    }

    @Test(arguments: [4, 3, 2])
    func supervisorOnlyUpperLevelFaultsUserAccess(_ level: Int) {
        var space = TestAddressSpace()
        space.map4K(Self.address, pfn: 0x1234)
        space.update(Self.address, level: level) { $0.clearing(.user) }
        #expect(Self.walk(&space, Self.address, .read) == .fault([.protection, .user]))
        #expect(Self.walk(&space, Self.address, .write) == .fault([.protection, .write, .user]))
    }

    @Test func faultErrorDescription() {
        #expect(PageFaultError([.protection, .write, .user]).description == "#PF(0x7 PROT|WRITE|USER)")
        #expect(PageFaultError([]).description == "#PF(0x0 -)")
        #expect(PageFaultError.user(.execute).description == "#PF(0x14 USER|INSTR)")
    }

    // MARK: Permissions combine across levels

    @Test(arguments: [4, 3, 2])
    func readOnlyUpperLevelMakesTheLeafReadOnly(_ level: Int) {
        var space = TestAddressSpace()
        space.map4K(Self.address, pfn: 0x1234)
        space.update(Self.address, level: level) { $0.clearing(.writable) }

        let read = Self.translated(Self.walk(&space, Self.address, .read))
        #expect(read?.bits == [.valid, .user])
        #expect(Self.walk(&space, Self.address, .write) == .fault([.protection, .write, .user]))
        #expect(!space.entry(Self.address, level: 1).isDirty)
    }

    @Test(arguments: [4, 3, 2])
    func noExecuteInAnUpperLevelForbidsExecute(_ level: Int) {
        var space = TestAddressSpace()
        space.map4K(Self.address, pfn: 0x1234)
        space.update(Self.address, level: level) { $0.setting(.noExecute) }

        #expect(Self.walk(&space, Self.address, .execute) == .fault([.protection, .instruction, .user]))
        let read = Self.translated(Self.walk(&space, Self.address, .read))
        #expect(read?.bits == [.valid, .writable, .user, .noExecute])
    }

    @Test func permissionsOfANeighbourSubtreeAreUnaffected() {
        var space = TestAddressSpace()
        let neighbour = Self.address ^ (1 << 21)  // same PUD, other PMD entry
        space.map4K(Self.address, pfn: 0x1234)
        space.map4K(neighbour, pfn: 0x5678)
        space.update(Self.address, level: 2) { $0.clearing(.writable) }
        #expect(Self.walk(&space, Self.address, .write) == .fault([.protection, .write, .user]))
        #expect(Self.translated(Self.walk(&space, neighbour, .write))?.pfn == 0x5678)
    }

    // MARK: Huge leaves

    @Test func twoMiBLeafAtThePMD() {
        var space = TestAddressSpace()
        let base: UInt64 = 0x0000_7f00_0060_0000
        let address = base + 0x12_345
        space.map2M(address, pfn: 0x3400)
        space.clearAccessedAndDirty(address, leafLevel: 2)

        let entry = Self.translated(Self.walk(&space, address, .write))
        #expect(
            entry == TLBEntry(vpn: base >> 12, pfn: 0x3400, pcid: 0, bits: [.valid, .writable, .user, .dirty, .huge]))
        #expect(entry?.frame(for: address >> 12) == PFN(0x3412))
        #expect(entry?.size == PageGeometry.pmdSize)
        #expect(entry?.address == base)
        #expect(space.path(address, leafLevel: 2).map(\.isAccessed) == [true, true, true])
        #expect(space.path(address, leafLevel: 2).map(\.isDirty) == [false, false, true])
        #expect(space.tables.liveTables == 3, "no PTE table was allocated")
    }

    @Test func twoMiBLeafWithPATLargeTranslatesToTheAlignedFrame() {
        var space = TestAddressSpace()
        let address: UInt64 = 0x0000_7f00_0060_0000 + 0x1F_F000
        space.map2M(address, pfn: 0x3400)
        space.update(address, level: 2) { $0.setting(.patLarge) }
        let entry = Self.translated(Self.walk(&space, address, .read))
        #expect(entry?.pfn == 0x3400)
        #expect(entry?.frame(for: address >> 12) == PFN(0x35FF))
    }

    @Test func twoMiBLeafHonoursLeafPermissions() {
        var space = TestAddressSpace()
        let address: UInt64 = 0x0000_7f00_0060_0000
        space.map2M(address, pfn: 0x3400, flags: [.present, .user, .noExecute])
        #expect(Self.walk(&space, address, .write) == .fault([.protection, .write, .user]))
        #expect(Self.walk(&space, address, .execute) == .fault([.protection, .instruction, .user]))
        #expect(Self.translated(Self.walk(&space, address, .read))?.bits == [.valid, .user, .noExecute, .huge])
    }

    @Test func oneGiBLeafAtThePUD() {
        var space = TestAddressSpace()
        let base: UInt64 = 0x0000_7f00_4000_0000
        let address = base + 0x1234_5678
        space.map1G(address, pfn: 0xC_0000)
        space.clearAccessedAndDirty(address, leafLevel: 3)

        let entry = Self.translated(Self.walk(&space, address, .read))
        // Cached as the 2 MiB fragment holding the address.
        #expect(
            entry
                == TLBEntry(
                    vpn: (address >> 12) & ~511, pfn: 0xC_0000 + 0x1_2200, pcid: 0,
                    bits: [.valid, .writable, .user, .huge, .giant]
                ))
        #expect(entry?.frame(for: address >> 12) == PFN(0xC_0000 + 0x1_2345))
        #expect(space.path(address, leafLevel: 3).map(\.isAccessed) == [true, true])
        #expect(space.path(address, leafLevel: 3).map(\.isDirty) == [false, false])
        #expect(space.tables.liveTables == 2)

        let last = Self.translated(Self.walk(&space, base + PageGeometry.pudSize - 1, .write))
        #expect(last?.frame(for: (base + PageGeometry.pudSize - 1) >> 12) == PFN(0xC_0000 + 0x3_FFFF))
        #expect(space.entry(address, level: 3).isDirty)
    }
}
