/// What one side reports after a call: the result (`0`, an address such as `w+8192`, or an errno name), the
/// window's VMA layout in the host oracle's notation (`[0,1)---p [5,9)rw-s`), and the window's pages
/// (``ConformPages``: which are present, swapped or guards, and the token each present page starts with).
public struct ConformObservation: Hashable, Sendable, CustomStringConvertible {
    /// `0`, a mapped address, or an errno name.
    public var result: String
    /// The VMAs over the compared part of the window, clipped to it.
    public var layout: String
    /// The compared pages that are not empty (``ConformPages/render(_:)``), e.g. `3=0 4=0x11 7:S`.
    public var pages: String

    /// Wraps a result, a layout and the pages.
    public init(result: String, layout: String, pages: String = "") {
        self.result = result
        self.layout = layout
        self.pages = pages
    }

    /// `ENOMEM | [0,1)---p [1,3)r--p | 1=0`.
    public var description: String { pages.isEmpty ? "\(result) | \(layout)" : "\(result) | \(layout) | \(pages)" }
}
