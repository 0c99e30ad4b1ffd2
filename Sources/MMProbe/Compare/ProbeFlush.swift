/// One flush as the probe compares it, from either side: the kernel's `tlb:tlb_flush` events of one
/// `flush_tlb_mm_range()`, or the model's flush request.
public struct ProbeFlush: Hashable, Sendable, CustomStringConvertible {
    /// The initiating CPU.
    public var cpu: Int
    /// INVLPGs (at the flush stride), or -1 for a full flush.
    public var pages: Int
    /// log2 of the stride (12, 21, 30); nil where the kernel's events do not tell.
    public var strideShift: Int?
    /// Whether the flush was sent to other CPUs of `mm_cpumask` (kernel: reason 4 "remote IPI send").
    public var sendIPI: Bool
    /// The pages the send side reports, in 4 KiB units whatever the stride (-1 = full): `native_flush_tlb_multi()`
    /// traces `(end - start) >> PAGE_SHIFT`, so a 2 MiB THP flush of 1 PMD-stride entry sends 512. Nil when the
    /// flush was not sent.
    public var sentPages: Int?
    /// The CPUs it was sent to: the model's IPI targets; for the kernel, the probe's other thread's CPU when
    /// reason 4 fired (the event does not name CPUs).
    public var remote: [Int]
    /// CPUs that ran the flush remotely (kernel: reason 1 "remote shootdown"), reported, never required.
    public var received: [Int]

    /// Creates a flush.
    public init(
        cpu: Int, pages: Int, strideShift: Int? = nil, sendIPI: Bool, sentPages: Int? = nil, remote: [Int] = [],
        received: [Int] = []
    ) {
        self.cpu = cpu
        self.pages = pages
        self.strideShift = strideShift
        self.sendIPI = sendIPI
        self.sentPages = sentPages
        self.remote = remote
        self.received = received
    }

    /// `16`, `-1`, or `16+ipi` when it went remote; `1+ipi(512)` when the send side reported other pages.
    public var description: String {
        guard sendIPI else { return "\(pages)" }
        guard let sentPages, sentPages != pages else { return "\(pages)+ipi" }
        return "\(pages)+ipi(\(sentPages))"
    }

    /// A list of flushes in the table's notation: `—` for none, else `1×16+ipi`, `-1+ipi, 1+ipi`.
    public static func summary(_ flushes: [ProbeFlush]) -> String {
        guard !flushes.isEmpty else { return "—" }
        if flushes.count == 1 { return "1×" + flushes[0].description }
        return flushes.map(\.description).joined(separator: ", ")
    }
}
