import MMKernel

/// An expected value that may depend on the flush scheme: `flushes: 1` holds under every scheme, while
/// `flushes: {before: 2, merged: 0}` names a value per scheme (`default:` covers the schemes not named; a scheme
/// with no value is not checked when the scenario runs under it).
public struct SchemeValues<Value: Sendable & Equatable>: Sendable {
    /// The value for schemes not named in `perScheme`, if any.
    public var fallback: Value?
    /// Values by scheme.
    public var perScheme: [FlushScheme: Value]

    /// One value for every scheme.
    public init(_ value: Value) {
        fallback = value
        perScheme = [:]
    }

    /// Values per scheme, with an optional fallback.
    public init(perScheme: [FlushScheme: Value], fallback: Value?) {
        self.perScheme = perScheme
        self.fallback = fallback
    }

    /// The value expected under `scheme`, or nil when nothing is expected there.
    public func value(for scheme: FlushScheme) -> Value? { perScheme[scheme] ?? fallback }
}
