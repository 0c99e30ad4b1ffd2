/// Cuts a parsed trace into the measured calls' windows (`B n` … `E n` markers written by the measuring thread)
/// and turns each window's `tlb:tlb_flush` events into flushes, following how `flush_tlb_mm_range()` reports them:
/// reason 4 (remote IPI send) first, when other CPUs are in `mm_cpumask`, with the range in 4 KiB pages, then
/// reason 3 (local mm shootdown) with the local INVLPG count when the mm is loaded here; reason 1 (remote shootdown)
/// on the CPU that received it, or reason 0 (task switch) from the idle task when that CPU was lazy and dropped the
/// mm instead.
///
/// A window whose call is a system call counts only the flushes between that call's `raw_syscalls` entry and exit
/// events; flushes of the measuring thread elsewhere in the window (before the entry, after the exit) are kept
/// apart as ``KernelWindow/outside``. The measured path is built so that there are none (``MeasuredPath``), except
/// after a fork, whose parent breaks copy-on-write on its own stack as soon as it returns.
public enum KernelWindows {
    /// The flushes of each window, keyed by marker number, with the whole window counted.
    public static func flushes(
        _ lines: [TraceLine], measuring: Int, receivers: Set<Int>, remoteCPUs: [Int]
    ) -> [Int: [ProbeFlush]] {
        windows(lines, measuring: measuring, receivers: receivers, remoteCPUs: remoteCPUs).mapValues(\.flushes)
    }

    /// The windows keyed by marker number. `measuring` is the thread making the calls; only its reason 3/4 events
    /// count; reason 1 counts from `receivers` (the other thread) on any CPU but the measuring one. `remoteCPUs` is
    /// what a reason-4 flush lists as `remote`. `syscalls` gives the system call number of each window that is one.
    public static func windows(
        _ lines: [TraceLine], measuring: Int, receivers: Set<Int>, remoteCPUs: [Int], syscalls: [Int: Int] = [:]
    ) -> [Int: KernelWindow] {
        var result: [Int: KernelWindow] = [:]
        var number: Int?
        var current = KernelWindow()
        var phase = Phase.inside
        var measuringCPU = -1
        var localPending = false
        for line in lines {
            switch line.event {
            case .marker(let text):
                guard line.pid == measuring, let (begin, marker) = marker(text) else { continue }
                if begin {
                    number = marker
                    current = KernelWindow()
                    phase = syscalls[marker] == nil ? .inside : .before
                    current.sawCall = syscalls[marker] == nil
                    measuringCPU = line.cpu
                    localPending = false
                } else if number == marker {
                    result[marker] = current
                    number = nil
                }
            case .syscallEnter(let call):
                guard let number, line.pid == measuring, phase == .before, syscalls[number] == call else { continue }
                phase = .inside
                localPending = false
            case .syscallExit(let call, _):
                guard let number, line.pid == measuring, phase == .inside, syscalls[number] == call else { continue }
                phase = .after
                current.sawCall = true
                localPending = false
            case .tlbFlush(let reason, let pages):
                guard number != nil else { continue }
                switch reason {
                case 4 where line.pid == measuring:
                    current.append(
                        ProbeFlush(cpu: line.cpu, pages: pages, sendIPI: true, sentPages: pages, remote: remoteCPUs),
                        inside: phase == .inside)
                    localPending = true
                case 3 where line.pid == measuring:
                    if localPending {
                        current.setLastPages(pages, inside: phase == .inside)
                        localPending = false
                    } else {
                        current.append(
                            ProbeFlush(cpu: line.cpu, pages: pages, sendIPI: false), inside: phase == .inside)
                    }
                case 1 where receivers.contains(line.pid) && line.cpu != measuringCPU:
                    current.addReceiver(line.cpu, inside: phase == .inside)
                case 0 where line.pid == 0 && remoteCPUs.contains(line.cpu):
                    // A lazy CPU that takes the IPI switches to init_mm in flush_tlb_func(), which the idle task
                    // traces as a task-switch flush.
                    current.addReceiver(line.cpu, inside: phase == .inside)
                default: break
                }
            case .schedSwitch: break
            }
        }
        return result
    }

    /// Where in its window an event falls.
    enum Phase {
        /// Before the measured system call's entry.
        case before
        /// Inside the call (or anywhere in an access window).
        case inside
        /// After the call's exit.
        case after
    }

    /// Parses `B 12` / `E 12` into (is begin, number).
    static func marker(_ text: String) -> (Bool, Int)? {
        let parts = text.split(separator: " ")
        guard parts.count == 2, parts[0] == "B" || parts[0] == "E", let number = Int(parts[1]) else { return nil }
        return (parts[0] == "B", number)
    }
}

/// One measured call's window in the kernel's trace.
public struct KernelWindow: Hashable, Sendable {
    /// The call's flushes.
    public var flushes: [ProbeFlush] = []
    /// Flushes of the measuring thread inside the markers but outside the measured system call.
    public var outside: [ProbeFlush] = []
    /// Whether the measured system call's exit was seen (always true for an access window).
    public var sawCall = false

    /// Creates an empty window.
    public init(flushes: [ProbeFlush] = [], outside: [ProbeFlush] = [], sawCall: Bool = false) {
        self.flushes = flushes
        self.outside = outside
        self.sawCall = sawCall
    }

    /// Appends a flush to the call's list or to ``outside``.
    mutating func append(_ flush: ProbeFlush, inside: Bool) {
        if inside { flushes.append(flush) } else { outside.append(flush) }
    }

    /// Sets the local page count of the last flush of the list (its reason 3 after a reason 4).
    mutating func setLastPages(_ pages: Int, inside: Bool) {
        if inside, !flushes.isEmpty {
            flushes[flushes.count - 1].pages = pages
        } else if !inside, !outside.isEmpty {
            outside[outside.count - 1].pages = pages
        }
    }

    /// Records that `cpu` ran the last flush of the list (reason 1).
    mutating func addReceiver(_ cpu: Int, inside: Bool) {
        if inside, !flushes.isEmpty {
            flushes[flushes.count - 1].received.append(cpu)
        } else if !inside, !outside.isEmpty {
            outside[outside.count - 1].received.append(cpu)
        }
    }
}
