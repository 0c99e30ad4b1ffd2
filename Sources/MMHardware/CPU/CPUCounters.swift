/// What one CPU's memory-management hardware did. All counters only grow.
public struct CPUCounters: Hashable, Sendable, Codable {
    /// User memory accesses executed.
    public var accesses = 0
    /// Accesses satisfied by the L1 TLB.
    public var l1Hits = 0
    /// Accesses satisfied by the second-level TLB.
    public var stlbHits = 0
    /// Accesses that missed every TLB level.
    public var misses = 0
    /// Hardware page walks (misses plus re-walks to set the D bit).
    public var walks = 0
    /// Page faults raised.
    public var pageFaults = 0
    /// INVLPG instructions executed.
    public var invlpg = 0
    /// Full flushes of the current PCID (CR3 rewrite without NOFLUSH, INVPCID single-context).
    public var fullFlushes = 0
    /// TLB-flush IPIs received.
    public var ipisReceived = 0
    /// CR3 loads (context switches to another address space).
    public var cr3Loads = 0

    public init() {}

    /// Component-wise difference, for per-step reports.
    public static func - (lhs: CPUCounters, rhs: CPUCounters) -> CPUCounters {
        var result = CPUCounters()
        result.accesses = lhs.accesses - rhs.accesses
        result.l1Hits = lhs.l1Hits - rhs.l1Hits
        result.stlbHits = lhs.stlbHits - rhs.stlbHits
        result.misses = lhs.misses - rhs.misses
        result.walks = lhs.walks - rhs.walks
        result.pageFaults = lhs.pageFaults - rhs.pageFaults
        result.invlpg = lhs.invlpg - rhs.invlpg
        result.fullFlushes = lhs.fullFlushes - rhs.fullFlushes
        result.ipisReceived = lhs.ipisReceived - rhs.ipisReceived
        result.cr3Loads = lhs.cr3Loads - rhs.cr3Loads
        return result
    }

    /// Component-wise sum.
    public static func + (lhs: CPUCounters, rhs: CPUCounters) -> CPUCounters {
        var result = lhs
        result.accesses += rhs.accesses
        result.l1Hits += rhs.l1Hits
        result.stlbHits += rhs.stlbHits
        result.misses += rhs.misses
        result.walks += rhs.walks
        result.pageFaults += rhs.pageFaults
        result.invlpg += rhs.invlpg
        result.fullFlushes += rhs.fullFlushes
        result.ipisReceived += rhs.ipisReceived
        result.cr3Loads += rhs.cr3Loads
        return result
    }
}
