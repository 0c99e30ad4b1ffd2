/// What the other CPU ran while the second thread was parked (an `idle` step): the noise check of the lazy-CPU
/// shapes.
///
/// The model's idle CPU runs the idle task with the mm loaded lazily. For real, another process may take the CPU
/// instead (other builds share this machine). That CPU then has another mm loaded and is not lazy, and a flush may
/// trim it from this mm's `mm_cpumask` (at most once a second, `should_trim_cpumask()` in arch/x86/mm/tlb.c),
/// after which later flushes are no longer sent to it. Kernel threads do not disturb it: switching to one keeps the
/// user mm loaded, lazily (`enter_lazy_tlb()`).
///
/// The trace holds every `sched_switch` in or out of the probe's threads and the idle tasks (pid 0). From a `P`
/// marker (the spinner is asleep) to the end of each later window (and on to the other CPU's next recorded switch,
/// which names the task that was running there), every task seen on the other CPU that is neither idle, the
/// spinner, nor a kernel thread is noise.
public enum OtherCPUActivity {
    /// For each window (marker number) measured while the spinner was parked, the foreign user tasks (`comm-pid`)
    /// that ran on `otherCPU` since it parked; empty when it stayed idle (lazy). `isKernelThread` tells kernel
    /// threads apart by pid.
    public static func noise(
        _ lines: [TraceLine], measuring: Int, spinner: Int, otherCPU: Int, isKernelThread: (Int) -> Bool
    ) -> [Int: [String]] {
        var result: [Int: [String]] = [:]
        var parked = false
        var seen: [String] = []
        var open: [Int] = []
        var awaiting: [Int] = []
        func note(_ pid: Int, _ name: String) {
            guard pid != 0, pid != spinner, pid != measuring, !isKernelThread(pid) else { return }
            let task = "\(name)-\(pid)"
            if !seen.contains(task) { seen.append(task) }
        }
        for line in lines {
            switch line.event {
            case .marker(let text) where line.pid == measuring:
                let parts = text.split(separator: " ")
                guard parts.count == 2, let number = Int(parts[1]) else { continue }
                switch parts[0] {
                case "P":
                    parked = true
                    seen = []
                case "U": parked = false
                case "B" where parked: open.append(number)
                case "E" where open.contains(number):
                    open.removeAll { $0 == number }
                    awaiting.append(number)
                default: break
                }
            case .schedSwitch(let previous, let previousName, let next, let nextName) where line.cpu == otherCPU:
                guard parked || !awaiting.isEmpty else { continue }
                note(previous, previousName)
                for number in awaiting { result[number] = seen }
                awaiting = []
                if parked { note(next, nextName) }
            default: break
            }
        }
        for number in awaiting + open { result[number] = seen }
        return result
    }
}
