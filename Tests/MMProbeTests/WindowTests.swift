import MMProbe
import Testing

/// The window cutter's use of `raw_syscalls` (only the measured call's flushes count) and of the send-side pages,
/// on synthetic events: measuring thread 10 on CPU 0, spinner 11 on CPU 1.
@Suite struct WindowTests {
    /// A line for `pid` on `cpu`.
    static func line(_ pid: Int, _ cpu: Int, _ event: TraceLine.Event) -> TraceLine {
        TraceLine(pid: pid, cpu: cpu, timestamp: "1.0", event: event)
    }

    /// The events of one fork window: a copy-on-write flush after the call returned stays outside it.
    static let forkWindow: [TraceLine] = [
        line(10, 0, .marker("B 7")),
        line(10, 0, .syscallEnter(number: 56)),
        line(10, 0, .tlbFlush(reason: 4, pages: -1)),
        line(10, 0, .tlbFlush(reason: 3, pages: -1)),
        line(11, 1, .tlbFlush(reason: 1, pages: -1)),
        line(10, 0, .syscallExit(number: 56, result: 4242)),
        line(10, 0, .tlbFlush(reason: 4, pages: 1)),
        line(10, 0, .tlbFlush(reason: 3, pages: 1)),
        line(10, 0, .marker("E 7")),
    ]

    /// Inside the call: the fork's full flush; after it: the parent's copy-on-write flush, kept apart.
    @Test func syscallNarrowing() throws {
        let windows = KernelWindows.windows(
            Self.forkWindow, measuring: 10, receivers: [11], remoteCPUs: [1], syscalls: [7: 56])
        let window = try #require(windows[7])
        #expect(window.sawCall)
        #expect(
            window.flushes == [ProbeFlush(cpu: 0, pages: -1, sendIPI: true, sentPages: -1, remote: [1], received: [1])])
        #expect(window.outside.map(\.pages) == [1])
    }

    /// Without a system call number the whole window counts (an access).
    @Test func accessWindowCountsEverything() throws {
        let window = try #require(
            KernelWindows.windows(Self.forkWindow, measuring: 10, receivers: [11], remoteCPUs: [1])[7])
        #expect(window.flushes.map(\.pages) == [-1, 1])
        #expect(window.outside.isEmpty)
    }

    /// A flush before the call's entry is outside it; a window whose exit never shows is flagged.
    @Test func missingExitAndEarlyFlush() throws {
        let lines = [
            Self.line(10, 0, .marker("B 3")),
            Self.line(10, 0, .tlbFlush(reason: 3, pages: 1)),
            Self.line(10, 0, .syscallEnter(number: 10)),
            Self.line(10, 0, .marker("E 3")),
        ]
        let window = try #require(
            KernelWindows.windows(lines, measuring: 10, receivers: [], remoteCPUs: [], syscalls: [3: 10])[3])
        #expect(!window.sawCall)
        #expect(window.flushes.isEmpty)
        #expect(window.outside.map(\.pages) == [1])
    }

    /// The send side of a THP flush reports 512 pages (4 KiB units), the local side 1 (PMD stride); a model that
    /// sent another count disagrees, one that did not send is a decision difference only.
    @Test func sentPages() {
        let lines = [
            Self.line(10, 0, .marker("B 1")),
            Self.line(10, 0, .syscallEnter(number: 10)),
            Self.line(10, 0, .tlbFlush(reason: 4, pages: 512)),
            Self.line(10, 0, .tlbFlush(reason: 3, pages: 1)),
            Self.line(10, 0, .syscallExit(number: 10, result: 0)),
            Self.line(10, 0, .marker("E 1")),
        ]
        let kernel =
            KernelWindows.windows(lines, measuring: 10, receivers: [], remoteCPUs: [1], syscalls: [1: 10])[1]?
            .flushes ?? []
        #expect(kernel.map(\.sentPages) == [512])
        #expect(kernel.map(\.description) == ["1+ipi(512)"])
        let right = [ProbeFlush(cpu: 0, pages: 1, sendIPI: true, sentPages: 512)]
        let wrong = [ProbeFlush(cpu: 0, pages: 1, sendIPI: true, sentPages: 1)]
        #expect(FlushAgreement.agree(kernel: kernel, model: right))
        #expect(
            FlushAgreement.differences(kernel: kernel, model: wrong) == [
                "flush 1: kernel sent 512 pages remote, model 1"
            ])
        #expect(FlushAgreement.agree(kernel: kernel, model: wrong, remote: false))
    }

    /// A lazy CPU that takes the IPI (freed page tables) shows as a task-switch flush of the idle task: counted as
    /// delivered. A delivery the model did not send is a difference; a missing one is not (KVM may skip it).
    @Test func lazyDelivery() {
        let lines = [
            Self.line(10, 0, .marker("B 5")),
            Self.line(10, 0, .syscallEnter(number: 11)),
            Self.line(10, 0, .tlbFlush(reason: 4, pages: 16)),
            Self.line(0, 1, .tlbFlush(reason: 0, pages: -1)),
            Self.line(10, 0, .tlbFlush(reason: 3, pages: 16)),
            Self.line(10, 0, .syscallExit(number: 11, result: 0)),
            Self.line(10, 0, .marker("E 5")),
        ]
        let kernel =
            KernelWindows.windows(lines, measuring: 10, receivers: [11], remoteCPUs: [1], syscalls: [5: 11])[5]?
            .flushes ?? []
        #expect(kernel.map(\.received) == [[1]])
        let sentToLazy = [ProbeFlush(cpu: 0, pages: 16, sendIPI: true, sentPages: 16, remote: [1])]
        let skippedLazy = [ProbeFlush(cpu: 0, pages: 16, sendIPI: true, sentPages: 16, remote: [])]
        #expect(FlushAgreement.agree(kernel: kernel, model: sentToLazy))
        #expect(
            FlushAgreement.differences(kernel: kernel, model: skippedLazy) == [
                "flush 1: the kernel delivered it to CPU 1, the model sent it no IPI"
            ])
        var undelivered = kernel
        undelivered[0].received = []
        #expect(FlushAgreement.agree(kernel: undelivered, model: sentToLazy))
    }
}
