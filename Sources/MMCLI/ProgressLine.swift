import Dispatch
import Foundation
import Synchronization

/// One line of progress on standard error, redrawn in place (`\r`, text, erase to end of line) while a long
/// command works, and erased when it ends. Shown only when standard error is a terminal, so that logs, pipes and
/// tests see nothing; it has no colour, so `NO_COLOR` has nothing to turn off.
///
/// A ticker thread redraws the line every quarter second with the elapsed time, so that a command whose work
/// cannot report (a scenario run, a conformance sequence) still shows it is alive; `delay` keeps the line away
/// from commands that finish quickly.
final class ProgressLine: Sendable {
    /// What the line shows and whether the ticker should stop.
    struct State {
        /// The current text (after the label).
        var text: String
        /// The line last drawn (`nil` if none is on the screen).
        var drawn: String?
        /// Set by `finish()`.
        var finished = false
    }

    /// Whether anything is written.
    let enabled: Bool
    /// The command name that starts the line (`conform`).
    let label: String
    /// Seconds before the first redraw.
    let delay: Double
    /// Where the line goes (standard error, or a test's buffer).
    let write: @Sendable (String) -> Void
    /// When the line was created.
    let start = Date()
    /// The shared state.
    let state: Mutex<State>
    /// Signalled by `finish()` to end the ticker's wait at once.
    let wake = DispatchSemaphore(value: 0)

    /// Whether standard error is a terminal: the one case that shows progress.
    static var standardErrorIsTerminal: Bool { isatty(STDERR_FILENO) == 1 }

    /// A line labelled `label`, drawn after `delay` seconds if `enabled` (by default: standard error is a
    /// terminal), redrawn by a ticker until `finish()`.
    init(
        _ label: String, text: String = "", delay: Double = 0, enabled: Bool = ProgressLine.standardErrorIsTerminal,
        write: @escaping @Sendable (String) -> Void = { FileHandle.standardError.write(Data($0.utf8)) }
    ) {
        self.label = label
        self.delay = delay
        self.enabled = enabled
        self.write = write
        self.state = Mutex(State(text: text))
        guard enabled else { return }
        let thread = Thread { [self] in
            // Drawing is guarded by `finished`, so nothing waits for this loop to end.
            while wake.wait(timeout: .now() + 0.25) == .timedOut {
                redraw()
            }
        }
        thread.start()
    }

    /// Seconds since the line was created.
    var elapsed: Double { Date().timeIntervalSince(start) }

    /// The full line for `text`: `label: text (12 s)`.
    func render(_ text: String) -> String {
        let seconds = "\(Int(elapsed)) s"
        return text.isEmpty ? "\(label): \(seconds)" : "\(label): \(text) (\(seconds))"
    }

    /// Replaces the text and redraws.
    func update(_ text: String) {
        guard enabled else { return }
        state.withLock { $0.text = text }
        redraw()
    }

    /// Writes `line` (ending in a newline) above the progress line, which is then drawn again.
    func log(_ line: String) {
        guard enabled else {
            write(line + "\n")
            return
        }
        state.withLock { state in
            write("\r\u{1B}[K" + line + "\n")
            state.drawn = nil
        }
        redraw()
    }

    /// Draws the line if `delay` has passed and `finish()` has not been called.
    func redraw() {
        guard enabled, elapsed >= delay else { return }
        state.withLock { state in
            let line = render(state.text)
            guard !state.finished, line != state.drawn else { return }
            write("\r" + line + "\u{1B}[K")
            state.drawn = line
        }
    }

    /// Stops the ticker and erases the line.
    func finish() {
        guard enabled else { return }
        let wasFinished = state.withLock { state in
            defer { state.finished = true }
            if state.drawn != nil && !state.finished { write("\r\u{1B}[K") }
            return state.finished
        }
        if !wasFinished { wake.signal() }
    }
}
