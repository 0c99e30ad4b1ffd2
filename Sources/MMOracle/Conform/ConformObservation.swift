/// What one side reports after a call: the result (`0`, an address such as `w+8192`, or an errno name) and the
/// window's VMA layout in the host oracle's notation (`[0,1)---p [5,9)rw-s`).
public struct ConformObservation: Hashable, Sendable, CustomStringConvertible {
    /// `0`, a mapped address, or an errno name.
    public var result: String
    /// The VMAs over the compared part of the window, clipped to it.
    public var layout: String

    /// Wraps a result and a layout.
    public init(result: String, layout: String) {
        self.result = result
        self.layout = layout
    }

    /// `ENOMEM | [0,1)---p [1,3)r--p`.
    public var description: String { "\(result) | \(layout)" }
}
