/// One batch of calls run in one fresh window (one worker process, one model machine).
public struct ConformSequence: Hashable, Sendable {
    /// What the sequence exercises.
    public enum Kind: String, Hashable, Sendable {
        /// Random calls over a small window, so that they overlap, split and merge.
        case normal
        /// A ``ConformCall/fill(headroom:)`` to within a few VMAs of `vm.max_map_count`, then splits and merges
        /// in the window's tail.
        case nearMaxMapCount = "near-max-map-count"
    }

    /// Position in the run (sequence numbers derive from the seed).
    public var index: Int
    /// What it exercises.
    public var kind: Kind
    /// Window size in pages.
    public var pages: Int
    /// First compared page.
    public var layoutFromPage: Int
    /// Compared pages.
    public var layoutPages: Int
    /// The calls.
    public var calls: [ConformCall]

    /// A sequence of `calls` in a window of `pages` pages, comparing `layoutPages` pages from `layoutFromPage`.
    public init(index: Int, kind: Kind, pages: Int, layoutFromPage: Int, layoutPages: Int, calls: [ConformCall]) {
        self.index = index
        self.kind = kind
        self.pages = pages
        self.layoutFromPage = layoutFromPage
        self.layoutPages = layoutPages
        self.calls = calls
    }

    /// The same sequence with other calls (for shrinking).
    public func with(calls: [ConformCall]) -> ConformSequence {
        var copy = self
        copy.calls = calls
        return copy
    }
}
