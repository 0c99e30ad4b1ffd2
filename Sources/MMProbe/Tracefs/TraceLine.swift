/// One line of a tracefs `trace` file that the probe cares about: a `tlb:tlb_flush` event or a `trace_marker` write.
///
/// The text format is `  comm-pid  [cpu] flags  seconds.micros: event: payload`, e.g.
/// `  probe-1234  [000] d..1.  123.456789: tlb_flush: pages:1 reason:local mm shootdown (3)`.
public struct TraceLine: Hashable, Sendable {
    /// The thread id (`pid` in tracefs terms) the event was recorded for.
    public var pid: Int
    /// The CPU whose buffer holds the event.
    public var cpu: Int
    /// The timestamp in seconds, as printed.
    public var timestamp: String
    /// What the line records.
    public var event: Event

    /// The recorded event.
    public enum Event: Hashable, Sendable {
        /// `tlb_flush: pages:N reason:NAME (R)`: `pages` is INVLPGs or -1 for `TLB_FLUSH_ALL`.
        case tlbFlush(reason: Int, pages: Int)
        /// `tracing_mark_write: TEXT`: a string written to `trace_marker`.
        case marker(String)
    }

    /// Creates a line.
    public init(pid: Int, cpu: Int, timestamp: String, event: Event) {
        self.pid = pid
        self.cpu = cpu
        self.timestamp = timestamp
        self.event = event
    }

    /// Parses one line; nil for headers (`#`), blank lines and events other than `tlb_flush` and markers.
    public static func parse(_ line: Substring) -> TraceLine? {
        let text = line.drop { $0 == " " || $0 == "\t" }
        guard !text.isEmpty, text.first != "#" else { return nil }
        // The CPU field `[NNN]` separates `comm-pid` (comm may contain spaces and dashes) from the rest.
        guard let (open, close, cpu) = cpuField(text) else { return nil }
        let task = text[..<open].trimmingSuffix(" ")
        guard let dash = task.lastIndex(of: "-"), let pid = Int(task[task.index(after: dash)...]) else { return nil }
        // After the CPU: flags, `timestamp:`, `event:`, payload.
        var rest = text[text.index(after: close)...]
        var timestamp: Substring?
        while timestamp == nil {
            rest = rest.drop { $0 == " " }
            guard let space = rest.firstIndex(of: " ") else { return nil }
            let word = rest[..<space]
            rest = rest[space...]
            if word.last == ":", Double(word.dropLast()) != nil { timestamp = word.dropLast() }
        }
        rest = rest.drop { $0 == " " }
        guard let colon = rest.firstIndex(of: ":") else { return nil }
        let name = rest[..<colon]
        let payload = rest[rest.index(after: colon)...].drop { $0 == " " }.trimmingSuffix("\n")
        let event: Event
        switch name {
        case "tlb_flush":
            guard let parsed = parseFlush(payload) else { return nil }
            event = .tlbFlush(reason: parsed.reason, pages: parsed.pages)
        case "tracing_mark_write":
            event = .marker(String(payload.trimmingSuffix(" ")))
        default:
            return nil
        }
        return TraceLine(pid: pid, cpu: cpu, timestamp: String(timestamp ?? ""), event: event)
    }

    /// The first ` [NNN]` field (digits only): its start, its closing bracket and the CPU number.
    static func cpuField(_ text: Substring) -> (Substring.Index, Substring.Index, Int)? {
        var search = text[...]
        while let open = search.firstRange(of: " [") {
            let after = search[open.upperBound...]
            if let close = after.firstIndex(of: "]"), let cpu = Int(after[..<close]) {
                return (open.lowerBound, close, cpu)
            }
            search = after
        }
        return nil
    }

    /// Parses `pages:N reason:NAME (R)`. Pages print as a signed long, so `TLB_FLUSH_ALL` reads -1.
    static func parseFlush(_ payload: Substring) -> (reason: Int, pages: Int)? {
        guard payload.hasPrefix("pages:"), let space = payload.firstIndex(of: " ") else { return nil }
        let pagesText = payload[payload.index(payload.startIndex, offsetBy: 6)..<space]
        let pages: Int
        if let value = Int(pagesText) {
            pages = value
        } else if let value = UInt64(pagesText) {
            pages = value == UInt64.max ? -1 : Int(truncatingIfNeeded: value)
        } else {
            return nil
        }
        guard let open = payload.lastIndex(of: "("), let close = payload.lastIndex(of: ")"), open < close,
            let reason = Int(payload[payload.index(after: open)..<close])
        else { return nil }
        return (reason, pages)
    }

    /// Parses every relevant line of a `trace` file, in file order (tracefs merges the CPUs by timestamp).
    public static func parseAll(_ text: String) -> [TraceLine] {
        text.split(separator: "\n").compactMap { parse($0) }
    }
}

extension Substring {
    /// The substring without trailing `character`s.
    func trimmingSuffix(_ character: Character) -> Substring {
        var result = self
        while result.last == character { result = result.dropLast() }
        return result
    }
}
