import MMProbe
import Testing

/// The tracefs line parser on lines in the text format of `trace` (tlb_flush, markers, raw_syscalls, sched_switch).
@Suite struct TraceLineTests {
    /// A local flush of one page by a thread whose comm has a dash.
    @Test func localFlush() throws {
        let line = try #require(
            TraceLine.parse(
                "  probe-thp-1234  [000] d..1.  123.456789: tlb_flush: pages:1 reason:local mm shootdown (3)"))
        #expect(line.pid == 1234)
        #expect(line.cpu == 0)
        #expect(line.timestamp == "123.456789")
        #expect(line.event == .tlbFlush(reason: 3, pages: 1))
    }

    /// A full flush sent remote (pages -1) and a received shootdown in IRQ context.
    @Test func fullAndRemote() throws {
        let send = try #require(
            TraceLine.parse(
                "           mmsim-77      [001] ..... 99.000001: tlb_flush: pages:-1 reason:remote IPI send (4)"))
        #expect(send.event == .tlbFlush(reason: 4, pages: -1))
        #expect(send.cpu == 1)
        let received = try #require(
            TraceLine.parse("   <idle>-0       [001] d.h1. 99.000002: tlb_flush: pages:16 reason:remote shootdown (1)"))
        #expect(received.pid == 0)
        #expect(received.event == .tlbFlush(reason: 1, pages: 16))
    }

    /// Markers, with the trailing newline the kernel adds.
    @Test func marker() throws {
        let line = try #require(
            TraceLine.parse("  mmsim probe-1234  [000] .....  123.400000: tracing_mark_write: B 3\n"))
        #expect(line.event == .marker("B 3"))
        #expect(line.pid == 1234)
    }

    /// Headers, other events and blank lines are skipped.
    @Test func skipped() {
        #expect(TraceLine.parse("# tracer: nop") == nil)
        #expect(TraceLine.parse("") == nil)
        #expect(TraceLine.parse("  a-1 [000] ..... 1.0: sched_switch: prev_comm=a") == nil)
    }

    /// A system call's entry and exit (`raw_syscalls`), including a negative (errno) result.
    @Test func syscalls() throws {
        let enter = try #require(
            TraceLine.parse("  mmsim-13474 [000] .....  1867.147375: sys_enter: NR 56 (11, 7ff486e9fff0, 0, 0, 0, 0)"))
        #expect(enter.event == .syscallEnter(number: 56))
        let exit = try #require(TraceLine.parse("  mmsim-13474 [000] .....  1867.147981: sys_exit: NR 10 = -12"))
        #expect(exit.event == .syscallExit(number: 10, result: -12))
        #expect(TraceLine.parse("  mmsim-1 [000] ..... 1.0: sys_exit: NR x = 0") == nil)
    }

    /// A task switch whose previous task's name holds spaces and dashes.
    @Test func taskSwitch() throws {
        let line = try #require(
            TraceLine.parse(
                "  mmsim probe-74 [001] d..2. 9.5: sched_switch: prev_comm=mmsim probe prev_pid=74 prev_prio=120 "
                    + "prev_state=S ==> next_comm=swapper/1 next_pid=0 next_prio=120"))
        #expect(line.event == .schedSwitch(previous: 74, previousName: "mmsim probe", next: 0, nextName: "swapper/1"))
        #expect(line.cpu == 1)
    }
}
