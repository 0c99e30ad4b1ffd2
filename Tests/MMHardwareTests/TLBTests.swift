import MMHardware
import Testing

@Suite struct TLBTests {
    /// A tiny hierarchy whose sets are easy to fill: even 4 KiB VPNs share L1 set 0 and STLB set 0.
    static let tiny = TLBGeometry(l1Sets4K: 2, l1Ways4K: 2, l1Sets2M: 1, l1Ways2M: 1, stlbSets: 2, stlbWays: 3)

    static func small(
        _ vpn: UInt64, pfn: UInt64? = nil, pcid: UInt16 = 1, bits: TLBEntry.Bits = [.writable, .user]
    )
        -> TLBEntry
    {
        TLBEntry(vpn: vpn, pfn: pfn ?? vpn + 0x1000, pcid: pcid, bits: bits)
    }

    static func huge(_ vpn: UInt64, pfn: UInt64, pcid: UInt16 = 1) -> TLBEntry {
        TLBEntry(vpn: vpn, pfn: pfn, pcid: pcid, bits: [.writable, .user, .huge])
    }

    /// The level that satisfies a lookup, or nil on a miss.
    static func level(_ tlb: inout TLB, _ vpn: UInt64, pcid: UInt16 = 1) -> TLB.HitLevel? {
        tlb.lookup(vpn: vpn, pcid: pcid)?.level
    }

    @Test func defaultGeometry() {
        let geometry = TLBGeometry.intelDefault
        #expect(geometry.l1Sets4K * geometry.l1Ways4K == 64)
        #expect(geometry.l1Sets2M * geometry.l1Ways2M == 32)
        #expect(geometry.stlbSets * geometry.stlbWays == 1536)
        #expect(geometry.entryCount == 1632)
        #expect(Self.tiny.entryCount == 4 + 1 + 6)
    }

    @Test func emptyTLBMisses() {
        var tlb = TLB()
        #expect(tlb.lookup(vpn: 0, pcid: 0) == nil)
        #expect(tlb.lookup(vpn: 0x7f12_3456_7, pcid: 1) == nil)
        #expect(tlb.entries.isEmpty)
    }

    @Test func fillThenL1Hit() {
        var tlb = TLB()
        tlb.fill(Self.small(0x42, pfn: 0x99))
        let hit = tlb.lookup(vpn: 0x42, pcid: 1)
        #expect(hit?.level == .l1)
        #expect(hit?.entry.vpn == 0x42)
        #expect(hit?.entry.pfn == 0x99)
        #expect(hit?.entry.bits == [.valid, .writable, .user])
        #expect(hit?.entry.frame(for: 0x42) == PFN(0x99))
        #expect(hit?.entry.size == PageGeometry.pageSize)
        #expect(hit?.entry.address == 0x42_000)
        #expect(tlb.lookup(vpn: 0x43, pcid: 1) == nil)
        #expect(tlb.lookup(vpn: 0x41, pcid: 1) == nil)
    }

    @Test func entriesListsEachTranslationOnce() {
        var tlb = TLB()
        tlb.fill(Self.small(1))
        tlb.fill(Self.huge(512, pfn: 0x400))
        _ = tlb.lookup(vpn: 1, pcid: 1)
        let expected: Set<TLBEntry> = [
            TLBEntry(vpn: 1, pfn: 0x1001, pcid: 1, bits: [.valid, .writable, .user]),
            TLBEntry(vpn: 512, pfn: 0x400, pcid: 1, bits: [.valid, .writable, .user, .huge]),
        ]
        #expect(tlb.entries.count == 2)
        #expect(Set(tlb.entries) == expected)
    }

    @Test func refillReplacesTheOlderTranslation() {
        var tlb = TLB()
        tlb.fill(Self.small(5, pfn: 1, bits: [.writable, .user]))
        tlb.fill(Self.small(5, pfn: 2, bits: [.user, .dirty]))
        #expect(tlb.entries == [TLBEntry(vpn: 5, pfn: 2, pcid: 1, bits: [.valid, .user, .dirty])])
        #expect(tlb.lookup(vpn: 5, pcid: 1)?.entry.pfn == 2)
    }

    // MARK: Levels and replacement

    @Test func l1EvictionLeavesAnSTLBHitThatRefillsL1() {
        var tlb = TLB(geometry: Self.tiny)
        for vpn: UInt64 in [0, 2, 4] { tlb.fill(Self.small(vpn)) }
        // L1 set 0 holds 2 ways: vpn 0, the oldest, went; the STLB set (3 ways) still has all three.
        #expect(Self.level(&tlb, 0) == .stlb)
        #expect(Self.level(&tlb, 0) == .l1)
        #expect(tlb.lookup(vpn: 0, pcid: 1)?.entry.pfn == 0x1000)
    }

    @Test func stlbEvictsTheOldestOfAFullSet() {
        var tlb = TLB(geometry: Self.tiny)
        for vpn: UInt64 in [0, 2, 4, 6] { tlb.fill(Self.small(vpn)) }
        #expect(Self.level(&tlb, 0) == nil)
        #expect(Self.level(&tlb, 2) == .stlb)
        #expect(Self.level(&tlb, 6) == .l1)
        #expect(tlb.entries.count == 3)
    }

    @Test func otherSetsAreUnaffected() {
        var tlb = TLB(geometry: Self.tiny)
        tlb.fill(Self.small(1))
        for vpn: UInt64 in [0, 2, 4, 6, 8] { tlb.fill(Self.small(vpn)) }
        #expect(Self.level(&tlb, 1) == .l1)
    }

    @Test func l1HitRefreshesLRU() {
        var tlb = TLB(geometry: Self.tiny)
        tlb.fill(Self.small(0))
        tlb.fill(Self.small(2))
        #expect(Self.level(&tlb, 0) == .l1)
        tlb.fill(Self.small(4))
        // vpn 2 was the least recently used in L1.
        #expect(Self.level(&tlb, 0) == .l1)
        #expect(Self.level(&tlb, 2) == .stlb)
    }

    @Test func stlbHitRefreshesLRU() {
        var tlb = TLB(geometry: Self.tiny)
        for vpn: UInt64 in [0, 2, 4] { tlb.fill(Self.small(vpn)) }
        #expect(Self.level(&tlb, 0) == .stlb)  // L1 now {4, 0}
        tlb.fill(Self.small(6))  // STLB evicts vpn 2, L1 evicts vpn 4
        #expect(Self.level(&tlb, 2) == nil)
        #expect(Self.level(&tlb, 0) == .l1)
        #expect(Self.level(&tlb, 4) == .stlb)
    }

    @Test func hugeEntryCoversItsWhole2MiB() {
        var tlb = TLB()
        tlb.fill(Self.huge(512, pfn: 0x3400))
        let hit = tlb.lookup(vpn: 512 + 37, pcid: 1)
        #expect(hit?.level == .l1)
        #expect(hit?.entry.frame(for: 512 + 37) == PFN(0x3400 + 37))
        #expect(hit?.entry.size == PageGeometry.pmdSize)
        #expect(Self.level(&tlb, 512) == .l1)
        #expect(Self.level(&tlb, 1023) == .l1)
        #expect(Self.level(&tlb, 511) == nil)
        #expect(Self.level(&tlb, 1024) == nil)
    }

    @Test func hugeEntryEvictedFromL1HitsInSTLB() {
        var tlb = TLB(geometry: Self.tiny)
        tlb.fill(Self.huge(512, pfn: 0x3400))
        tlb.fill(Self.huge(1024, pfn: 0x5000))  // the only L1 2 MiB way
        let hit = tlb.lookup(vpn: 512 + 100, pcid: 1)
        #expect(hit?.level == .stlb)
        #expect(hit?.entry.frame(for: 512 + 100) == PFN(0x3400 + 100))
        #expect(Self.level(&tlb, 512 + 1) == .l1)
    }

    // MARK: PCIDs

    @Test func entriesArePerPCID() {
        var tlb = TLB()
        tlb.fill(Self.small(7, pfn: 0xA, pcid: 1))
        #expect(Self.level(&tlb, 7, pcid: 2) == nil)
        #expect(Self.level(&tlb, 7, pcid: 0) == nil)
        #expect(tlb.lookup(vpn: 7, pcid: 1)?.entry.pfn == 0xA)

        tlb.fill(Self.small(7, pfn: 0xB, pcid: 2))
        #expect(tlb.lookup(vpn: 7, pcid: 1)?.entry.pfn == 0xA)
        #expect(tlb.lookup(vpn: 7, pcid: 2)?.entry.pfn == 0xB)
        #expect(tlb.entries.count == 2)
    }

    @Test func globalEntryMatchesEveryPCID() {
        var tlb = TLB()
        tlb.fill(Self.small(9, pcid: 1, bits: [.writable, .global]))
        #expect(Self.level(&tlb, 9, pcid: 1) == .l1)
        #expect(Self.level(&tlb, 9, pcid: 3) == .l1)
    }

    // MARK: Invalidation

    @Test func invalidatePageDropsOnlyThatPageInThatPCID() {
        var tlb = TLB()
        for vpn: UInt64 in [5, 6] {
            tlb.fill(Self.small(vpn, pcid: 1))
            tlb.fill(Self.small(vpn, pcid: 2))
        }
        tlb.invalidatePage(vpn: 5, pcid: 1)
        #expect(Self.level(&tlb, 5, pcid: 1) == nil)
        #expect(Self.level(&tlb, 5, pcid: 2) == .l1)
        #expect(Self.level(&tlb, 6, pcid: 1) == .l1)
        #expect(tlb.entries.count == 3)
    }

    @Test func invalidatePageDropsTheSTLBCopyToo() {
        var tlb = TLB(geometry: Self.tiny)
        for vpn: UInt64 in [0, 2, 4] { tlb.fill(Self.small(vpn)) }  // vpn 0 only in the STLB now
        tlb.invalidatePage(vpn: 0, pcid: 1)
        tlb.invalidatePage(vpn: 4, pcid: 1)  // in both levels
        #expect(Self.level(&tlb, 0) == nil)
        #expect(Self.level(&tlb, 4) == nil)
        #expect(Self.level(&tlb, 2) == .l1)
    }

    @Test(arguments: [512, 512 + 300, 1023] as [UInt64])
    func invalidatePageDropsACovering2MiBEntry(_ vpn: UInt64) {
        var tlb = TLB()
        tlb.fill(Self.huge(512, pfn: 0x3400, pcid: 1))
        tlb.fill(Self.huge(512, pfn: 0x7400, pcid: 2))
        tlb.fill(Self.huge(1024, pfn: 0x5000, pcid: 1))
        tlb.invalidatePage(vpn: vpn, pcid: 1)
        #expect(Self.level(&tlb, 512, pcid: 1) == nil)
        #expect(Self.level(&tlb, 1023, pcid: 1) == nil)
        #expect(tlb.lookup(vpn: 600, pcid: 2)?.entry.pfn == 0x7400)
        #expect(Self.level(&tlb, 1024, pcid: 1) == .l1)
    }

    @Test func invalidatePageDropsA2MiBEntryHeldOnlyInTheSTLB() {
        var tlb = TLB(geometry: Self.tiny)
        tlb.fill(Self.huge(512, pfn: 0x3400))
        tlb.fill(Self.huge(1024, pfn: 0x5000))
        tlb.invalidatePage(vpn: 512 + 9, pcid: 1)
        #expect(Self.level(&tlb, 512) == nil)
        #expect(Self.level(&tlb, 1024) == .l1)
    }

    @Test func invalidatePageOutsideA2MiBEntryKeepsIt() {
        var tlb = TLB()
        tlb.fill(Self.huge(512, pfn: 0x3400))
        tlb.invalidatePage(vpn: 511, pcid: 1)
        tlb.invalidatePage(vpn: 1024, pcid: 1)
        #expect(Self.level(&tlb, 700) == .l1)
    }

    @Test func invalidatePageAlsoDropsAGlobalEntry() {
        var tlb = TLB()
        tlb.fill(Self.small(9, pcid: 1, bits: [.writable, .global]))
        tlb.invalidatePage(vpn: 9, pcid: 4)
        #expect(Self.level(&tlb, 9, pcid: 1) == nil)
    }

    @Test func flushOfOnePCIDKeepsOtherPCIDsAndGlobalEntries() {
        var tlb = TLB()
        tlb.fill(Self.small(1, pcid: 1))
        tlb.fill(Self.huge(512, pfn: 0x400, pcid: 1))
        tlb.fill(Self.small(2, pcid: 2))
        tlb.fill(Self.small(3, pcid: 1, bits: [.writable, .global]))
        tlb.flush(pcid: 1)
        #expect(Self.level(&tlb, 1, pcid: 1) == nil)
        #expect(Self.level(&tlb, 512, pcid: 1) == nil)
        #expect(Self.level(&tlb, 2, pcid: 2) == .l1)
        #expect(Self.level(&tlb, 3, pcid: 1) == .l1)
        #expect(Self.level(&tlb, 3, pcid: 2) == .l1)
        #expect(tlb.entries.count == 2)
    }

    @Test func flushReachesEntriesHeldOnlyInTheSTLB() {
        var tlb = TLB(geometry: Self.tiny)
        for vpn: UInt64 in [0, 2, 4] { tlb.fill(Self.small(vpn)) }
        tlb.flush(pcid: 1)
        #expect(tlb.entries.isEmpty)
        #expect(Self.level(&tlb, 0) == nil)
    }

    @Test func flushEverythingDropsGlobalEntriesToo() {
        var tlb = TLB()
        tlb.fill(Self.small(1, pcid: 1))
        tlb.fill(Self.small(2, pcid: 2))
        tlb.fill(Self.huge(512, pfn: 0x400, pcid: 3))
        tlb.fill(Self.small(3, pcid: 1, bits: [.writable, .global]))
        tlb.flushEverything()
        #expect(tlb.entries.isEmpty)
        #expect(Self.level(&tlb, 3, pcid: 1) == nil)
        #expect(Self.level(&tlb, 2, pcid: 2) == nil)
    }
}
