import Synchronization
import Testing

@testable import MMCLI

/// The progress line: drawn in place on a terminal, nothing at all otherwise, erased at the end.
@Suite struct ProgressLineTests {
    /// Collects what a progress line writes.
    final class Sink: Sendable {
        let text = Mutex("")
        func write(_ string: String) { text.withLock { $0 += string } }
        var contents: String { text.withLock { $0 } }
    }

    @Test("disabled (stderr not a terminal): updates write nothing, logged lines pass through")
    func disabled() {
        let sink = Sink()
        let line = ProgressLine("bench", enabled: false, write: { sink.write($0) })
        line.update("simulator: populating 512 pages")
        line.log("difference: sequence 3")
        line.finish()
        #expect(sink.contents == "difference: sequence 3\n")
    }

    @Test("enabled: redrawn with carriage return and erase-line, erased on finish, no colour")
    func enabled() {
        let sink = Sink()
        let line = ProgressLine("probe", enabled: true, write: { sink.write($0) })
        line.update("1/2 host-one-page")
        line.log("note")
        line.finish()
        line.finish()
        let text = sink.contents
        #expect(text.hasPrefix("\r\u{1B}[Kprobe: 1/2 host-one-page (0 s)\u{1B}[K") || text.hasPrefix("\rprobe: 1/2"))
        #expect(text.contains("\r\u{1B}[Knote\n"))
        #expect(text.hasSuffix("\r\u{1B}[K"))
        #expect(!text.contains("\u{1B}[3"), "no colour codes")
    }

    @Test("a delayed line stays silent for a command that ends first")
    func delayed() {
        let sink = Sink()
        let line = ProgressLine("running", text: "S1", delay: 60, enabled: true, write: { sink.write($0) })
        line.update("S1")
        line.finish()
        #expect(sink.contents.isEmpty)
    }
}
