extension ProcMaps {
    /// The entries that overlap the window `[base, base + length)`, in address order; none if `length <= 0`.
    public func entries(overlapping base: HostAddress, length: Int) -> [ProcMapsEntry] {
        let windowEnd = base.rawValue &+ UInt64(max(length, 0))
        return entries.filter { $0.start.rawValue < windowEnd && $0.end.rawValue > base.rawValue }
    }

    /// Renders the entries overlapping `[base, base + length)` in mmsim's page notation:
    /// `[0,1)r--p [1,4)rw-p`, bounds in pages relative to `origin` (by default `base`).
    ///
    /// A separate `origin` lets a test look at a window that includes guard pages while keeping page 0 at the
    /// region under test: the guard before it then renders as `[-1,0)---p`.
    ///
    /// By default an entry is shown with its true extent, which may reach outside the window (negative start, or
    /// an end past `length`): that exposes a VMA that merged with a neighbour. With `clipped: true` the bounds are
    /// cut to the window, so the text is stable even when what lies beyond the window changes.
    /// Bounds that are not page multiples round toward negative infinity.
    public func render(
        base: HostAddress,
        length: Int,
        origin: HostAddress? = nil,
        clipped: Bool = false,
        pageSize: Int = 4096
    ) -> String {
        let origin = origin ?? base
        let windowStart = origin.distance(to: base)
        let windowEnd = windowStart + Int64(length)
        let page = Int64(pageSize)
        func pages(_ bytes: Int64) -> Int64 {
            bytes >= 0 ? bytes / page : -((-bytes + page - 1) / page)
        }
        return entries(overlapping: base, length: length).map { entry in
            var from = origin.distance(to: entry.start)
            var to = origin.distance(to: entry.end)
            if clipped {
                from = max(from, windowStart)
                to = min(to, windowEnd)
            }
            return "[\(pages(from)),\(pages(to)))\(entry.perms)"
        }.joined(separator: " ")
    }
}
