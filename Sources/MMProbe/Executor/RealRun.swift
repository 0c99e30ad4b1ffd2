/// What one run of a plan on the real kernel recorded.
struct RealRun: Sendable {
    /// Marker number → step index of each measured call.
    var markers: [Int: Int] = [:]
    /// Marker number → the system call number of each measured call that is one (accesses have none).
    var syscalls: [Int: Int] = [:]
    /// Return value per measured step index, in the model report's notation.
    var results: [Int: String] = [:]
    /// Kernel population per measured step index.
    var population: [Int: PopulationSnapshot] = [:]
    /// Real VMA ranges (model addresses) overlapping the regions, per measured step index.
    var vmaRanges: [Int: [VMARange]] = [:]
    /// Whether the spinner ran as `SCHED_FIFO` (nil: no spinner).
    var spinnerFIFO: Bool?
    /// The measuring thread's id.
    var measuringTID: Int32 = 0
    /// The spinner's id (0: none).
    var spinnerTID: Int32 = 0

    /// A VMA's range in model addresses.
    struct VMARange: Hashable, Sendable {
        /// First byte.
        var start: UInt64
        /// One past the last byte.
        var end: UInt64

        /// `start-end` in hex, the key of the VMA's THP figure.
        var key: String { String(start, radix: 16) + "-" + String(end, radix: 16) }
    }
}
