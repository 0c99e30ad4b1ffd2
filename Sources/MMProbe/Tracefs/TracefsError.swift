/// Why tracefs cannot be used for the flush oracle (not root, not mounted and not mountable, event missing), or
/// why a probe run could not be set up.
public struct TracefsError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The explanation, naming the path or call that failed.
    public var description: String

    /// Creates an error with `description`.
    public init(_ description: String) {
        self.description = description
    }
}
