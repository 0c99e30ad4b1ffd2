/// Cuts a parsed trace into the measured calls' windows (`B n` … `E n` markers written by the measuring thread)
/// and turns each window's `tlb:tlb_flush` events into flushes, following how `flush_tlb_mm_range()` reports them:
/// reason 4 (remote IPI send) first, when other CPUs are in `mm_cpumask`, then reason 3 (local mm shootdown) with
/// the local INVLPG count when the mm is loaded here; reason 1 (remote shootdown) on the CPU that received it.
public enum KernelWindows {
    /// The flushes of each window, keyed by marker number. `measuring` is the thread making the calls; only its
    /// reason 3/4 events count; reason 1 counts from `receivers` (the other thread) on any CPU but the measuring
    /// one. `remoteCPUs` is what a reason-4 flush lists as `remote`.
    public static func flushes(
        _ lines: [TraceLine], measuring: Int, receivers: Set<Int>, remoteCPUs: [Int]
    ) -> [Int: [ProbeFlush]] {
        var result: [Int: [ProbeFlush]] = [:]
        var window: Int?
        var flushes: [ProbeFlush] = []
        var measuringCPU = -1
        var localPending = false
        for line in lines {
            switch line.event {
            case .marker(let text):
                guard line.pid == measuring, let (begin, number) = marker(text) else { continue }
                if begin {
                    window = number
                    flushes = []
                    measuringCPU = line.cpu
                    localPending = false
                } else if window == number {
                    result[number] = flushes
                    window = nil
                }
            case .tlbFlush(let reason, let pages):
                guard window != nil else { continue }
                switch reason {
                case 4 where line.pid == measuring:
                    flushes.append(ProbeFlush(cpu: line.cpu, pages: pages, sendIPI: true, remote: remoteCPUs))
                    localPending = true
                case 3 where line.pid == measuring:
                    if localPending, !flushes.isEmpty {
                        flushes[flushes.count - 1].pages = pages
                        localPending = false
                    } else {
                        flushes.append(ProbeFlush(cpu: line.cpu, pages: pages, sendIPI: false))
                    }
                case 1 where receivers.contains(line.pid) && line.cpu != measuringCPU:
                    if !flushes.isEmpty { flushes[flushes.count - 1].received.append(line.cpu) }
                default: break
                }
            }
        }
        return result
    }

    /// Parses `B 12` / `E 12` into (is begin, number).
    static func marker(_ text: String) -> (Bool, Int)? {
        let parts = text.split(separator: " ")
        guard parts.count == 2, parts[0] == "B" || parts[0] == "E", let number = Int(parts[1]) else { return nil }
        return (parts[0] == "B", number)
    }
}
