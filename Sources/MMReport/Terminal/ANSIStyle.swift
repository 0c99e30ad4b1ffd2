import Foundation

/// ANSI colours for terminal output, off when `NO_COLOR` is set (https://no-color.org) or stdout is not a terminal.
public struct ANSIStyle: Sendable {
    /// Whether escape sequences are emitted.
    public var enabled: Bool

    /// A style that colours only if `enabled`.
    public init(enabled: Bool) {
        self.enabled = enabled
    }

    /// Colours if stdout is a terminal and `NO_COLOR` is unset or empty.
    public static func forStandardOutput() -> ANSIStyle {
        let noColor = ProcessInfo.processInfo.environment["NO_COLOR"].map { !$0.isEmpty } ?? false
        return ANSIStyle(enabled: !noColor && isatty(STDOUT_FILENO) == 1)
    }

    /// No colours.
    public static let plain = ANSIStyle(enabled: false)

    /// Wraps `text` in SGR `code` ... reset.
    func wrap(_ text: String, _ code: String) -> String {
        enabled ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text
    }

    /// Bold.
    public func bold(_ text: String) -> String { wrap(text, "1") }
    /// Dim (faint).
    public func dim(_ text: String) -> String { wrap(text, "2") }
    /// Red.
    public func red(_ text: String) -> String { wrap(text, "31") }
    /// Green.
    public func green(_ text: String) -> String { wrap(text, "32") }
    /// Yellow.
    public func yellow(_ text: String) -> String { wrap(text, "33") }
    /// Cyan.
    public func cyan(_ text: String) -> String { wrap(text, "36") }
}
