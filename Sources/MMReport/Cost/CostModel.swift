/// Cycles charged per hardware or kernel event, to turn a run's event counts into one comparable figure.
/// Defaults and their sources are listed in docs/cost-model.md; `--costs FILE` overrides any of them.
public struct CostModel: Hashable, Sendable, Codable {
    /// One INVLPG on the flushing CPU (Hansen: ~100–250 cycles; host: 0.15–0.2 µs in a KVM guest).
    public var invlpg: Double = 200
    /// A full flush of the current PCID (CR3 write without NOFLUSH), not counting the refills it causes.
    public var fullFlush: Double = 300
    /// A TLB-shootdown IPI: send, remote handler entry and exit, and the initiator's wait (Amit's v3 numbers:
    /// 2 threads cost ~5,100 cycles more than 1 per flushing mprotect).
    public var ipi: Double = 5100
    /// A TLB miss: a page walk that hits the caches (Hansen's refill estimate).
    public var tlbMiss: Double = 35
    /// A second-level TLB hit after an L1 miss.
    public var stlbHit: Double = 7
    /// A minor page fault: exception entry and exit and the handler's work (host: ~1–3 µs per populated page).
    public var pageFault: Double = 1500
    /// A syscall's fixed part: entry, exit, mmap_lock and VMA lookup (Amit's single-page mprotect without a flush
    /// ≈ 1,500 cycles).
    public var syscall: Double = 1500
    /// Rewriting one page-table entry in `change_protection()`.
    public var pteUpdate: Double = 5

    public init() {}

    /// The names accepted in a costs file, with their key paths.
    public static var fields: [(String, WritableKeyPath<CostModel, Double>)] {
        [
            ("invlpg", \.invlpg), ("full_flush", \.fullFlush), ("ipi", \.ipi), ("tlb_miss", \.tlbMiss),
            ("stlb_hit", \.stlbHit), ("page_fault", \.pageFault), ("syscall", \.syscall), ("pte_update", \.pteUpdate),
        ]
    }

    /// A malformed costs file: where and why.
    public struct ParseError: Error, Hashable, Sendable, CustomStringConvertible {
        public var file: String
        public var line: Int
        public var column: Int
        public var message: String
        public var description: String { "\(file):\(line):\(column): \(message)" }
    }

    /// Reads a costs file: one `name: cycles` per line, `#` comments, blank lines ignored; names not given keep
    /// their defaults. Unknown names, non-numeric, negative or non-finite values are errors naming line and column.
    public init(parsing text: String, file: String) throws(ParseError) {
        self.init()
        for (number, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            if line.allSatisfy(\.isWhitespace) { continue }
            guard let colon = line.firstIndex(of: ":") else {
                throw ParseError(file: file, line: number + 1, column: 1, message: "expected 'name: cycles'")
            }
            let name = line[..<colon].trimmingCharacters(in: " \t")
            let valueText = line[line.index(after: colon)...].trimmingCharacters(in: " \t\r")
            let valueColumn = line.distance(from: line.startIndex, to: colon) + 2
            guard let field = CostModel.fields.first(where: { $0.0 == name }) else {
                let known = CostModel.fields.map(\.0).joined(separator: ", ")
                throw ParseError(
                    file: file, line: number + 1, column: 1, message: "unknown cost '\(name)' (known: \(known))")
            }
            guard let value = Double(valueText), value.isFinite, value >= 0, value <= 1e12 else {
                throw ParseError(
                    file: file, line: number + 1, column: valueColumn,
                    message: "'\(valueText)' is not a number of cycles between 0 and 1e12")
            }
            self[keyPath: field.1] = value
        }
    }
}

extension Substring {
    /// The substring without leading and trailing characters from `set`.
    fileprivate func trimmingCharacters(in set: String) -> String {
        var slice = self[...]
        while let first = slice.first, set.contains(first) { slice = slice.dropFirst() }
        while let last = slice.last, set.contains(last) { slice = slice.dropLast() }
        return String(slice)
    }
}
