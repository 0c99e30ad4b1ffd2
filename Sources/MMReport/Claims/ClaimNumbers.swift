import MMScenario

/// The figures of one claim under one scheme: the measured call's flushes, per-CPU INVLPGs and full flushes,
/// IPIs, the follow-up sweep's TLB misses, and the cycles of call plus sweep.
public struct ClaimNumbers: Hashable, Sendable {
    /// `flush_tlb_mm_range()` calls of the measured call.
    public var flushes: Int
    /// Their sizes, compacted (`2×full`, `1×12`).
    public var pages: String
    /// INVLPGs per CPU.
    public var invlpg: [Int]
    /// Full flushes per CPU.
    public var fullFlushes: [Int]
    /// IPIs received.
    public var ipis: Int
    /// TLB misses of the other thread's follow-up sweep.
    public var sweepMisses: Int
    /// Cycles of the call and the sweep.
    public var cycles: Int64

    /// Reads the figures from a claim run: the second-to-last step is the call, the last the sweep.
    public init(_ report: RunReport, costs: CostModel) {
        let call = report.steps[report.steps.count - 2]
        let sweep = report.steps[report.steps.count - 1]
        flushes = call.flushCount
        pages = CompareReport.pagesSummary(call.flushes)
        invlpg = call.cpus.map(\.invlpg)
        fullFlushes = call.cpus.map(\.fullFlushes)
        ipis = call.cpus.reduce(0) { $0 + $1.ipisReceived }
        sweepMisses = sweep.cpus.reduce(0) { $0 + $1.tlbMisses }
        cycles = CostModel.whole(costs.cycles(of: call) + costs.cycles(of: sweep))
    }
}
