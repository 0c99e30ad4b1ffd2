/// A small file both sides prepare before a sequence: a regular file in the temporary directory opened `O_RDONLY`
/// or `O_RDWR`, or a memfd (shmem), sealed with `F_SEAL_WRITE` or not.
///
/// Every page of every file is written once before the sequence (the worker with pwrite(2), the model with
/// `Machine.cacheFilePages(_:)`), so that both page caches hold every page, and each page starts with the token the
/// model's file holds: 8 bytes at the page's start, the rest zero. Reading a file page through a mapping then
/// gives the same token on both sides.
public struct ConformFile: Hashable, Sendable {
    /// The name used in reproducers (`fd: ro`).
    public var name: String
    /// Size in pages.
    public var pages: Int
    /// Whether the descriptor is opened for writing too.
    public var writable: Bool
    /// Whether it is a memfd (shmem) rather than a file in the temporary directory.
    public var memfd: Bool
    /// Whether the memfd is sealed against writes (`F_SEAL_WRITE`).
    public var sealed: Bool

    /// The prepared files, in fd order (descriptors 3, 4, 5, 6 of the calls).
    public static let all: [ConformFile] = [
        ConformFile(name: "ro", pages: 4, writable: false, memfd: false, sealed: false),
        ConformFile(name: "rw", pages: 4, writable: true, memfd: false, sealed: false),
        ConformFile(name: "sealed", pages: 4, writable: true, memfd: true, sealed: true),
        ConformFile(name: "memfd", pages: 4, writable: true, memfd: true, sealed: false),
    ]

    /// The index in ``all`` of the prepared file that call descriptor `fd` names (3, 4, ...), as the model's
    /// `Machine.fileID(forDescriptor:)` maps it; nil for -1 or any number that names no prepared file.
    public static func index(ofDescriptor fd: Int64) -> Int? {
        fd >= 3 && fd - 3 < Int64(all.count) ? Int(fd - 3) : nil
    }

    /// The token page `page` of the file at `index` of ``all`` starts with: the model's `SimFile.initialToken(page:)`
    /// for the file it creates at that index.
    public static func initialToken(index: Int, page: Int) -> UInt64 {
        0xF11E_0000_0000_0000 | (UInt64(index) << 32) | UInt64(page)
    }
}
