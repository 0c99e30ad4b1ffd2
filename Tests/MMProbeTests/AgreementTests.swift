import MMProbe
import Testing

/// The agreement rule and the window cutter on synthetic events (`flush_tlb_mm_range()` traces reason 4 before 3).
@Suite struct AgreementTests {
    /// A line for the measuring thread 10 on CPU 0 or the spinner 11 on CPU 1.
    static func line(_ pid: Int, _ cpu: Int, _ event: TraceLine.Event) -> TraceLine {
        TraceLine(pid: pid, cpu: cpu, timestamp: "1.0", event: event)
    }

    /// Reason 4 then 3 is one remote flush with the local page count; reason 1 is recorded as delivery.
    @Test func remoteFlush() {
        let lines = [
            Self.line(10, 0, .marker("B 1")),
            Self.line(10, 0, .tlbFlush(reason: 4, pages: 16)),
            Self.line(11, 1, .tlbFlush(reason: 1, pages: 16)),
            Self.line(10, 0, .tlbFlush(reason: 3, pages: 16)),
            Self.line(10, 0, .marker("E 1")),
        ]
        let windows = KernelWindows.flushes(lines, measuring: 10, receivers: [11], remoteCPUs: [1])
        #expect(windows[1] == [ProbeFlush(cpu: 0, pages: 16, sendIPI: true, sentPages: 16, remote: [1], received: [1])])
    }

    /// The THP split: two flushes (full, then 1 page), events outside windows and of other threads ignored.
    @Test func splitAndNoise() {
        let lines = [
            Self.line(10, 0, .tlbFlush(reason: 3, pages: 5)),
            Self.line(10, 0, .marker("B 2")),
            Self.line(99, 0, .tlbFlush(reason: 3, pages: 7)),
            Self.line(10, 0, .tlbFlush(reason: 4, pages: -1)),
            Self.line(10, 0, .tlbFlush(reason: 3, pages: -1)),
            Self.line(10, 0, .tlbFlush(reason: 4, pages: 1)),
            Self.line(10, 0, .tlbFlush(reason: 3, pages: 1)),
            Self.line(10, 0, .marker("E 2")),
        ]
        let flushes = KernelWindows.flushes(lines, measuring: 10, receivers: [11], remoteCPUs: [1])[2] ?? []
        #expect(flushes.map(\.pages) == [-1, 1])
        #expect(flushes.allSatisfy { $0.sendIPI })
    }

    /// Count, pages and decision each make a difference; delivery does not.
    @Test func rule() {
        let kernel = [ProbeFlush(cpu: 0, pages: 16, sendIPI: true, remote: [1], received: [])]
        #expect(
            FlushAgreement.agree(
                kernel: kernel, model: [ProbeFlush(cpu: 0, pages: 16, sendIPI: true, remote: [1], received: [1])]))
        #expect(!FlushAgreement.agree(kernel: kernel, model: [ProbeFlush(cpu: 0, pages: -1, sendIPI: true)]))
        #expect(!FlushAgreement.agree(kernel: kernel, model: [ProbeFlush(cpu: 0, pages: 16, sendIPI: false)]))
        #expect(
            FlushAgreement.agree(kernel: kernel, model: [ProbeFlush(cpu: 0, pages: 16, sendIPI: false)], remote: false))
        #expect(!FlushAgreement.agree(kernel: kernel, model: []))
        #expect(FlushAgreement.agree(kernel: [], model: []))
    }
}
