import MMProbe
import Testing

/// The lazy-CPU noise check on synthetic `sched_switch` sequences: measuring thread 10 on CPU 0, spinner 11 on
/// CPU 1, kernel thread 46, a compiler 500.
@Suite struct OtherCPUActivityTests {
    /// A line for `pid` on `cpu`.
    static func line(_ pid: Int, _ cpu: Int, _ event: TraceLine.Event) -> TraceLine {
        TraceLine(pid: pid, cpu: cpu, timestamp: "1.0", event: event)
    }

    /// A switch on CPU 1.
    static func switchOnOther(_ previous: Int, _ next: Int) -> TraceLine {
        line(
            previous, 1,
            .schedSwitch(previous: previous, previousName: "p\(previous)", next: next, nextName: "n\(next)"))
    }

    /// Runs the check with pid 46 as the only kernel thread.
    static func noise(_ lines: [TraceLine]) -> [Int: [String]] {
        OtherCPUActivity.noise(lines, measuring: 10, spinner: 11, otherCPU: 1) { $0 == 46 }
    }

    /// Parked spinner, then idle and a kernel thread: the CPU stayed lazy.
    @Test func idleAndKernelThreadsAreQuiet() {
        let lines = [
            Self.switchOnOther(11, 0),
            Self.line(10, 0, .marker("P 4")),
            Self.switchOnOther(0, 46),
            Self.switchOnOther(46, 0),
            Self.line(10, 0, .marker("B 2")),
            Self.line(10, 0, .marker("E 2")),
        ]
        #expect(Self.noise(lines) == [2: []])
    }

    /// A user task that took the CPU before the window is noise for it.
    @Test func userTaskBeforeWindow() {
        let lines = [
            Self.line(10, 0, .marker("P 4")),
            Self.switchOnOther(0, 500),
            Self.line(10, 0, .marker("B 2")),
            Self.line(10, 0, .marker("E 2")),
        ]
        #expect(Self.noise(lines) == [2: ["n500-500"]])
    }

    /// A task seen only as the previous task of the first switch after the window (it was running during it).
    @Test func userTaskSeenAfterWindow() {
        let lines = [
            Self.line(10, 0, .marker("P 4")),
            Self.switchOnOther(0, 46),
            Self.line(10, 0, .marker("B 2")),
            Self.line(10, 0, .marker("E 2")),
            Self.switchOnOther(500, 0),
        ]
        #expect(Self.noise(lines) == [2: ["p500-500"]])
    }

    /// Windows before parking, or after waking the spinner, are not checked.
    @Test func onlyParkedWindows() {
        let lines = [
            Self.line(10, 0, .marker("B 1")),
            Self.line(10, 0, .marker("E 1")),
            Self.line(10, 0, .marker("P 4")),
            Self.line(10, 0, .marker("U 5")),
            Self.switchOnOther(0, 500),
            Self.line(10, 0, .marker("B 2")),
            Self.line(10, 0, .marker("E 2")),
        ]
        #expect(Self.noise(lines).isEmpty)
    }
}
