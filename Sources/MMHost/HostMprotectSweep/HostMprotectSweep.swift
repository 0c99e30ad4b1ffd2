import Glibc

/// The real-kernel side of the project's mprotect benchmark.
///
/// Maps a populated private anonymous region of 4 KiB pages, then times `mprotect(RW→RO)` and `mprotect(RO→RW)`
/// over the whole region. The per-PTE cost on this machine is the yardstick the simulator's
/// `change_protection` model is compared against. Both directions change every PTE's write bit (RO→RW on
/// exclusive dirty anon pages is upgraded in place), so both walk and rewrite all PTEs and end in a full flush.
public struct HostMprotectSweep: Hashable, Sendable {
    /// How the region's pages are faulted in before timing.
    public enum Populate: Hashable, Sendable {
        /// Write one byte to every page from user space: one write fault per page, like a real program.
        case touch
        /// `MADV_POPULATE_WRITE`: prefault writable in the kernel, without user-space fault round trips.
        case madvisePopulateWrite
        /// `MAP_POPULATE` at mmap time. `MADV_NOHUGEPAGE` can only be applied afterwards, so with THP
        /// `enabled=always` the region may end up PMD-mapped; prefer the other two there.
        case mapPopulate
    }

    /// Size of the region in bytes; rounded up to a whole number of pages.
    public var regionBytes: Int
    /// How many RW→RO→RW rounds to time.
    public var repetitions: Int
    /// How the pages are populated.
    public var populate: Populate

    /// Describes a sweep; the default is the project benchmark's 1 GiB region touched page by page.
    public init(regionBytes: Int = 1 << 30, repetitions: Int = 5, populate: Populate = .touch) {
        self.regionBytes = regionBytes
        self.repetitions = repetitions
        self.populate = populate
    }

    /// Runs the sweep on the real kernel and unmaps the region afterwards.
    ///
    /// Throws ``HostError`` (e.g. `ENOMEM` from mmap, `EINVAL` for a non-positive size or repetition count)
    /// instead of crashing; the region is unmapped on every path once it was mapped.
    public func run() throws(HostError) -> HostMprotectSweepResult {
        let pageSize = HostMemory.pageSize
        guard regionBytes > 0, regionBytes <= Int.max - pageSize, repetitions > 0 else {
            throw HostError(operation: "HostMprotectSweep", code: EINVAL)
        }
        let length = (regionBytes + pageSize - 1) / pageSize * pageSize
        let pages = length / pageSize

        let residentBefore = try HostProcessStats.residentBytes()
        var flags: HostMapFlags = [.private, .anonymous]
        if populate == .mapPopulate { flags.insert(.populate) }

        let populateStart = HostClock.monotonicNanoseconds()
        let base = try HostMemory.mmap(length: length, prot: .readWrite, flags: flags)
        defer { try? HostMemory.munmap(base, length: length) }
        try HostMemory.madvise(base, length: length, advice: .noHugePage)
        switch populate {
        case .touch:
            guard let pointer = base.pointer else { throw HostError(operation: "mmap", code: EFAULT) }
            var offset = 0
            while offset < length {
                pointer.storeBytes(of: 1, toByteOffset: offset, as: UInt8.self)
                offset += pageSize
            }
        case .madvisePopulateWrite:
            try HostMemory.madvise(base, length: length, advice: .populateWrite)
        case .mapPopulate:
            break
        }
        let populateNanoseconds = HostClock.monotonicNanoseconds() - populateStart
        let residentAfter = try HostProcessStats.residentBytes()

        var readOnly: [UInt64] = []
        var readWrite: [UInt64] = []
        readOnly.reserveCapacity(repetitions)
        readWrite.reserveCapacity(repetitions)
        for _ in 0..<repetitions {
            let t0 = HostClock.monotonicNanoseconds()
            try HostMemory.mprotect(base, length: length, prot: .read)
            let t1 = HostClock.monotonicNanoseconds()
            try HostMemory.mprotect(base, length: length, prot: .readWrite)
            let t2 = HostClock.monotonicNanoseconds()
            readOnly.append(t1 - t0)
            readWrite.append(t2 - t1)
        }
        return HostMprotectSweepResult(
            regionBytes: length,
            pageSize: pageSize,
            ptes: pages,
            populateNanoseconds: populateNanoseconds,
            residentBytesGrowth: residentAfter - residentBefore,
            readOnlyNanoseconds: readOnly,
            readWriteNanoseconds: readWrite
        )
    }
}
