/// One line of a tracefs `trace` file that the probe cares about: a `tlb:tlb_flush` event, a `trace_marker` write,
/// a `raw_syscalls` entry or exit, or a `sched:sched_switch`.
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
        /// `sys_enter: NR n (args)`: the thread entered system call `n`.
        case syscallEnter(number: Int)
        /// `sys_exit: NR n = ret`: the thread left system call `n` with `result`.
        case syscallExit(number: Int, result: Int)
        /// `sched_switch: prev_comm=… prev_pid=… ==> next_comm=… next_pid=…`: the CPU switched tasks.
        case schedSwitch(previous: Int, previousName: String, next: Int, nextName: String)
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
        case "sys_enter", "sys_exit":
            guard let parsed = parseSyscall(payload, exit: name == "sys_exit") else { return nil }
            event = parsed
        case "sched_switch":
            guard let parsed = parseSwitch(payload) else { return nil }
            event = parsed
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

    /// Parses `NR 10 (7f00, 1000, 1, 0, 0, 0)` (entry) or `NR 10 = -12` (exit).
    static func parseSyscall(_ payload: Substring, exit: Bool) -> Event? {
        guard payload.hasPrefix("NR ") else { return nil }
        let rest = payload.dropFirst(3)
        let digits = rest.prefix { $0.isNumber }
        guard let number = Int(digits) else { return nil }
        guard exit else { return .syscallEnter(number: number) }
        let after = rest.dropFirst(digits.count)
        guard after.hasPrefix(" = "), let result = Int(after.dropFirst(3).trimmingSuffix(" ")) else { return nil }
        return .syscallExit(number: number, result: result)
    }

    /// Parses `prev_comm=A prev_pid=1 prev_prio=120 prev_state=S ==> next_comm=B next_pid=0 next_prio=120`. Task
    /// names may contain spaces, so each name runs up to the ` prev_pid=`/` next_pid=` that follows it.
    static func parseSwitch(_ payload: Substring) -> Event? {
        func field(_ text: Substring, name: String, until: String) -> (Substring, Substring)? {
            guard let start = text.firstRange(of: name + "="),
                let end = text[start.upperBound...].firstRange(of: " " + until + "=")
            else { return nil }
            return (text[start.upperBound..<end.lowerBound], text[end.upperBound...])
        }
        guard let arrow = payload.firstRange(of: " ==> ") else { return nil }
        guard
            let (previousName, afterPrevious) = field(
                payload[..<arrow.lowerBound], name: "prev_comm", until: "prev_pid"),
            let previous = Int(afterPrevious.prefix { $0.isNumber }),
            let (nextName, afterNext) = field(payload[arrow.upperBound...], name: "next_comm", until: "next_pid"),
            let next = Int(afterNext.prefix { $0.isNumber })
        else { return nil }
        return .schedSwitch(
            previous: previous, previousName: String(previousName), next: next, nextName: String(nextName))
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
