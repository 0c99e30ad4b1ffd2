/// An ordered sequence of values kept as runs of equal values, plus the number of values past the kept runs: what
/// a `resolutions`, `flush_pages` or `flush_strides` check compares, exact however long the step was.
struct RunSequence<Value: Equatable & CustomStringConvertible> {
    /// The kept values as (value, repetitions), adjacent runs of the same value merged.
    private(set) var runs: [(value: Value, count: Int)] = []
    /// Values after the kept runs (counted, not kept).
    private(set) var omitted = 0

    /// The longest sequence shown element by element; longer ones are shown as runs.
    static var listedLimit: Int { 64 }

    init() {}

    /// The fault resolutions of `step`, in order.
    init(faults step: StepReport) where Value == String {
        for fault in step.faults { append(fault.resolution, count: fault.count) }
        omitted = step.omittedFaults
    }

    /// One property of each flush of `step`, in order.
    init(flushes step: StepReport, _ property: KeyPath<FlushRecord, Value>) {
        for flush in step.flushes { append(flush[keyPath: property], count: flush.count) }
        omitted = step.omittedFlushes
    }

    /// Adds `count` copies of `value`.
    mutating func append(_ value: Value, count: Int) {
        guard count > 0 else { return }
        if let last = runs.last, last.value == value {
            runs[runs.count - 1].count += count
        } else {
            runs.append((value, count))
        }
    }

    /// Every value, kept or not.
    var total: Int { runs.reduce(omitted) { $0 + $1.count } }

    /// Whether the sequence is exactly `expected`.
    func matches(_ expected: [Value]) -> Bool {
        guard omitted == 0, total == expected.count else { return false }
        var index = 0
        for run in runs {
            for offset in 0..<run.count where expected[index + offset] != run.value { return false }
            index += run.count
        }
        return true
    }

    /// `[anon, anon, cow]` for a short sequence; `[anon ×1048576, cow ×2]` for a long one (with `… N more` for
    /// values not kept).
    var text: String {
        if omitted == 0 && total <= Self.listedLimit {
            return "["
                + runs.flatMap { Array(repeating: $0.value.description, count: $0.count) }
                .joined(separator: ", ") + "]"
        }
        var parts = runs.prefix(Self.listedLimit).map { $0.count == 1 ? "\($0.value)" : "\($0.value) ×\($0.count)" }
        let hidden = runs.dropFirst(Self.listedLimit).reduce(omitted) { $0 + $1.count }
        if hidden > 0 { parts.append("… \(hidden) more") }
        return "[" + parts.joined(separator: ", ") + "] (\(total) in all)"
    }
}
