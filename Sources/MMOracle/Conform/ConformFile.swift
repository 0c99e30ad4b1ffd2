/// A small file both sides prepare before a sequence: a regular file opened `O_RDONLY` or `O_RDWR`, or a memfd
/// with `F_SEAL_WRITE` (the file rows of host-kernel.md §3).
public struct ConformFile: Hashable, Sendable {
    /// The name used in reproducers (`fd: ro`).
    public var name: String
    /// Size in pages.
    public var pages: Int
    /// Whether the descriptor is opened for writing too.
    public var writable: Bool
    /// Whether it is a memfd sealed against writes.
    public var sealedMemfd: Bool

    /// The prepared files, in fd order.
    public static let all: [ConformFile] = [
        ConformFile(name: "ro", pages: 4, writable: false, sealedMemfd: false),
        ConformFile(name: "rw", pages: 4, writable: true, sealedMemfd: false),
        ConformFile(name: "sealed", pages: 4, writable: true, sealedMemfd: true),
    ]
}
