/// Where ``ConformCall/fill(headroom:)`` maps and splits, the same on both sides: the window's interior from page 2
/// to the page before the upper guard's neighbour, split by 1-page read-only mprotects at odd pages (+2 VMAs each),
/// and, for an odd remainder, at its last page (+1).
public struct ConformFillPlan: Hashable, Sendable {
    /// First address of the read-write mapping.
    public var start: UInt64
    /// Its length in pages.
    public var pages: Int

    /// The plan for `window`.
    public init(window: ConformWindow) {
        start = window.base + 2 * 4096
        pages = max(window.pages - 4, 0)
    }

    /// Too many VMAs to reach, or already past the target.
    public struct Unreachable: Error, Hashable, Sendable, CustomStringConvertible {
        /// VMAs still needed (negative: over the target).
        public var needed: Int
        /// `"E2BIG"`-like text both sides print the same way.
        public var description: String { needed < 0 ? "OVER" : "E2BIG" }
    }

    /// The addresses to make read-only, one page each, to go from `current` VMAs (after the mapping) to `limit`.
    public func splits(current: Int, limit: Int) throws(Unreachable) -> [UInt64] {
        let needed = limit - current
        guard needed >= 0, needed + 2 <= pages else { throw Unreachable(needed: needed) }
        var addresses = (0..<(needed / 2)).map { start + UInt64(1 + 2 * $0) * 4096 }
        if needed % 2 == 1 { addresses.append(start + UInt64(pages - 1) * 4096) }
        return addresses
    }
}
