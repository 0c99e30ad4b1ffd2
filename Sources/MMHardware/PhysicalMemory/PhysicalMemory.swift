/// Simulated RAM. A frame's contents are one 64-bit value token rather than 4 KiB of bytes: a write stores its
/// token, a read returns it, so a write that lands in the wrong frame (a lost write) is observable at 8 bytes a frame.
/// Frames come into existence as the allocator hands them out; untouched RAM costs nothing.
public struct PhysicalMemory: Sendable {
    @usableFromInline var tokens: [UInt64] = []

    public init() {}

    /// Frames backed so far.
    public var frameCount: Int { tokens.count }
    /// Bytes used by the contents model.
    public var bytes: Int { tokens.count * MemoryLayout<UInt64>.stride }

    /// Makes frames `0..<count` addressable (new frames read as zero).
    public mutating func ensureFrames(_ count: Int) {
        if count > tokens.count {
            tokens.append(contentsOf: repeatElement(0, count: count - tokens.count))
        }
    }

    /// The token stored in `pfn`.
    @inlinable public func read(_ pfn: PFN) -> UInt64 { tokens[Int(pfn.rawValue)] }

    /// Stores `token` in `pfn`.
    @inlinable public mutating func write(_ pfn: PFN, _ token: UInt64) { tokens[Int(pfn.rawValue)] = token }

    /// Copies the contents of one frame to another (a COW copy or a migration).
    public mutating func copy(from source: PFN, to destination: PFN) {
        tokens[Int(destination.rawValue)] = tokens[Int(source.rawValue)]
    }
}
