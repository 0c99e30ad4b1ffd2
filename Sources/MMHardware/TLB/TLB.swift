/// A set-associative TLB hierarchy: separate L1 arrays for 4 KiB and 2 MiB translations and a shared second level,
/// with LRU replacement within each set and PCID tags. A hit is used without consulting the page table, which is
/// what lets a stale entry grant what it cached.
public struct TLB: Sendable {
    public let geometry: TLBGeometry
    @usableFromInline var l1Small: [TLBEntry]
    @usableFromInline var l1Huge: [TLBEntry]
    @usableFromInline var second: [TLBEntry]
    @usableFromInline var clock: UInt32 = 0
    /// Set once a fragment of a 1 GiB page is cached, so that INVLPG only scans for fragments when there may be any.
    var mayHoldGiantFragments = false

    /// Which level satisfied a lookup.
    public enum HitLevel: Sendable { case l1, stlb }

    public init(geometry: TLBGeometry = .intelDefault) {
        self.geometry = geometry
        l1Small = Array(repeating: .invalid, count: geometry.l1Sets4K * geometry.l1Ways4K)
        l1Huge = Array(repeating: .invalid, count: geometry.l1Sets2M * geometry.l1Ways2M)
        second = Array(repeating: .invalid, count: geometry.stlbSets * geometry.stlbWays)
    }

    /// Looks `vpn` up for `pcid`; on a second-level hit the entry is also filled into L1.
    @inlinable public mutating func lookup(vpn: UInt64, pcid: UInt16) -> (entry: TLBEntry, level: HitLevel)? {
        clock &+= 1
        let now = clock
        let geometry = self.geometry
        if let way = TLB.find(&l1Small, geometry.l1Sets4K, geometry.l1Ways4K, key: vpn, vpn, pcid, now) {
            return (l1Small[way], .l1)
        }
        if let way = TLB.find(&l1Huge, geometry.l1Sets2M, geometry.l1Ways2M, key: vpn >> 9, vpn, pcid, now) {
            return (l1Huge[way], .l1)
        }
        let sets = geometry.stlbSets
        let ways = geometry.stlbWays
        if let way = TLB.find(&second, sets, ways, key: vpn, vpn, pcid, now)
            ?? TLB.find(&second, sets, ways, key: vpn >> 9, vpn, pcid, now)
        {
            let entry = second[way]
            fillL1(entry)
            return (entry, .stlb)
        }
        return nil
    }

    @inlinable static func find(
        _ array: inout [TLBEntry], _ sets: Int, _ ways: Int, key: UInt64, _ vpn: UInt64, _ pcid: UInt16, _ now: UInt32
    ) -> Int? {
        let base = Int(key % UInt64(sets)) &* ways
        for way in base..<(base &+ ways) where array[way].covers(vpn: vpn, pcid: pcid) {
            array[way].lastUse = now
            return way
        }
        return nil
    }

    /// Inserts a translation produced by a page walk into L1 and the second level.
    public mutating func fill(_ entry: TLBEntry) {
        clock &+= 1
        if entry.bits.contains(.giant) { mayHoldGiantFragments = true }
        // A new translation replaces any older one for the same page and PCID (a re-walk after a D-bit update).
        // Only the sets of the entry's own size can hold an older copy of it.
        let key = entry.isHuge ? entry.vpn >> 9 : entry.vpn
        let same = { (old: TLBEntry) in old.pcid == entry.pcid && old.vpn == entry.vpn && old.isHuge == entry.isHuge }
        if entry.isHuge {
            TLB.sweep(&l1Huge, sets: geometry.l1Sets2M, ways: geometry.l1Ways2M, key: key, same)
        } else {
            TLB.sweep(&l1Small, sets: geometry.l1Sets4K, ways: geometry.l1Ways4K, key: key, same)
        }
        TLB.sweep(&second, sets: geometry.stlbSets, ways: geometry.stlbWays, key: key, same)
        fillL1(entry)
        TLB.insert(entry, into: &second, sets: geometry.stlbSets, ways: geometry.stlbWays, key: key, clock: clock)
    }

    @usableFromInline mutating func fillL1(_ entry: TLBEntry) {
        if entry.isHuge {
            TLB.insert(
                entry, into: &l1Huge, sets: geometry.l1Sets2M, ways: geometry.l1Ways2M, key: entry.vpn >> 9,
                clock: clock)
        } else {
            TLB.insert(
                entry, into: &l1Small, sets: geometry.l1Sets4K, ways: geometry.l1Ways4K, key: entry.vpn, clock: clock)
        }
    }

    static func insert(
        _ entry: TLBEntry, into array: inout [TLBEntry], sets: Int, ways: Int, key: UInt64, clock: UInt32
    ) {
        let base = Int(key % UInt64(sets)) * ways
        var victim = base
        for way in base..<(base + ways) {
            if !array[way].isValid {
                victim = way
                break
            }
            if array[way].lastUse < array[victim].lastUse { victim = way }
        }
        var placed = entry
        placed.bits.insert(.valid)
        placed.lastUse = clock
        array[victim] = placed
    }

    /// Models INVLPG: drops every entry of `pcid` (and global ones) covering the page at `vpn`, of any size.
    public mutating func invalidatePage(vpn: UInt64, pcid: UInt16) {
        removeInSets(vpn: vpn) { $0.covers(vpn: vpn, pcid: pcid) }
        if mayHoldGiantFragments {
            // The SDM: invalidation drops every entry the processor made for a larger page, so all the 2 MiB
            // fragments cached for the 1 GiB page holding `vpn` go too.
            remove { entry in
                entry.bits.contains(.giant) && entry.vpn >> 18 == vpn >> 18
                    && (entry.pcid == pcid || entry.bits.contains(.global))
            }
        }
    }

    /// Drops the entries `predicate` selects among the sets that can hold a translation of `vpn` (either size).
    mutating func removeInSets(vpn: UInt64, where predicate: (TLBEntry) -> Bool) {
        TLB.sweep(&l1Small, sets: geometry.l1Sets4K, ways: geometry.l1Ways4K, key: vpn, predicate)
        TLB.sweep(&l1Huge, sets: geometry.l1Sets2M, ways: geometry.l1Ways2M, key: vpn >> 9, predicate)
        TLB.sweep(&second, sets: geometry.stlbSets, ways: geometry.stlbWays, key: vpn, predicate)
        TLB.sweep(&second, sets: geometry.stlbSets, ways: geometry.stlbWays, key: vpn >> 9, predicate)
    }

    /// Invalidates the entries of one set (the set `key` selects) that `predicate` picks.
    static func sweep(
        _ array: inout [TLBEntry], sets: Int, ways: Int, key: UInt64, _ predicate: (TLBEntry) -> Bool
    ) {
        let base = Int(key % UInt64(sets)) * ways
        for way in base..<(base + ways) where array[way].isValid && predicate(array[way]) {
            array[way] = .invalid
        }
    }

    /// Drops all non-global entries tagged `pcid` (a CR3 write without NOFLUSH, or INVPCID single-context).
    public mutating func flush(pcid: UInt16) {
        remove { $0.pcid == pcid && !$0.bits.contains(.global) }
    }

    /// Drops everything, global entries included.
    public mutating func flushEverything() {
        remove { _ in true }
        mayHoldGiantFragments = false
    }

    /// Drops the entries `predicate` selects, in every level.
    @usableFromInline mutating func remove(where predicate: (TLBEntry) -> Bool) {
        for index in l1Small.indices where l1Small[index].isValid && predicate(l1Small[index]) {
            l1Small[index] = .invalid
        }
        for index in l1Huge.indices where l1Huge[index].isValid && predicate(l1Huge[index]) {
            l1Huge[index] = .invalid
        }
        for index in second.indices where second[index].isValid && predicate(second[index]) {
            second[index] = .invalid
        }
    }

    /// Every valid entry, each translation once (an entry present in both levels is reported once).
    public var entries: [TLBEntry] {
        var seen = Set<TLBEntry>()
        var result: [TLBEntry] = []
        for entry in l1Small + l1Huge + second where entry.isValid {
            var key = entry
            key.lastUse = 0
            if seen.insert(key).inserted { result.append(key) }
        }
        return result
    }
}
