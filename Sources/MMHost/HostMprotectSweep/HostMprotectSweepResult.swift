/// Timings from one ``HostMprotectSweep`` run, raw per run so callers can take medians or minima.
public struct HostMprotectSweepResult: Hashable, Sendable {
    /// Size of the region actually mapped, in bytes (a whole number of pages).
    public var regionBytes: Int
    /// The base page size used.
    public var pageSize: Int
    /// Number of 4 KiB PTEs in the region (region / page size): the work unit of `change_pte_range()`.
    public var ptes: Int
    /// Time to fault in the whole region, in nanoseconds (including the mmap and madvise calls).
    public var populateNanoseconds: UInt64
    /// Growth of the process's resident set across the populate step, in bytes; close to `regionBytes` when
    /// every page was really populated.
    public var residentBytesGrowth: Int
    /// Duration of each `mprotect(RW→RO)` over the whole region, in nanoseconds.
    public var readOnlyNanoseconds: [UInt64]
    /// Duration of each `mprotect(RO→RW)` over the whole region, in nanoseconds.
    public var readWriteNanoseconds: [UInt64]

    /// Bundles the measurements of one sweep.
    public init(
        regionBytes: Int,
        pageSize: Int,
        ptes: Int,
        populateNanoseconds: UInt64,
        residentBytesGrowth: Int,
        readOnlyNanoseconds: [UInt64],
        readWriteNanoseconds: [UInt64]
    ) {
        self.regionBytes = regionBytes
        self.pageSize = pageSize
        self.ptes = ptes
        self.populateNanoseconds = populateNanoseconds
        self.residentBytesGrowth = residentBytesGrowth
        self.readOnlyNanoseconds = readOnlyNanoseconds
        self.readWriteNanoseconds = readWriteNanoseconds
    }

    /// Populate cost per page in nanoseconds.
    public var populateNanosecondsPerPage: Double {
        Double(populateNanoseconds) / Double(max(ptes, 1))
    }

    /// RW→RO cost per PTE in nanoseconds, one value per run.
    public var readOnlyNanosecondsPerPTE: [Double] {
        readOnlyNanoseconds.map { Double($0) / Double(max(ptes, 1)) }
    }

    /// RO→RW cost per PTE in nanoseconds, one value per run.
    public var readWriteNanosecondsPerPTE: [Double] {
        readWriteNanoseconds.map { Double($0) / Double(max(ptes, 1)) }
    }
}
