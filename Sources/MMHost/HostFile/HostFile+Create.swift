import Glibc

extension HostFile {
    /// The C signature of glibc's `memfd_create(name, flags)`.
    private typealias MemfdCreateFunction = @convention(c) (UnsafePointer<CChar>, UInt32) -> Int32

    /// Mirrors `MFD_ALLOW_SEALING`.
    public static let memfdAllowSealing: UInt32 = 0x2
    /// Mirrors `F_ADD_SEALS` (`F_LINUX_SPECIFIC_BASE + 9`).
    public static let addSealsCommand: Int32 = 1033
    /// Mirrors `F_SEAL_WRITE`.
    public static let sealWrite: Int32 = 0x8

    /// Creates a fresh private directory from a `mkdtemp` template such as `/tmp/mmsim-XXXXXX`.
    public static func makeTemporaryDirectory(template: String = "/tmp/mmsim-XXXXXX") throws(HostError) -> String {
        var bytes = Array(template.utf8CString)
        let made = bytes.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        guard made != nil else { throw HostError.lastErrno("mkdtemp \(template)") }
        return String(decoding: bytes.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Creates (or truncates) the file at `path`, sizes it to `bytes` (a sparse file of zeros) and closes it.
    public static func create(path: String, bytes: Int) throws(HostError) {
        let fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        if fd < 0 { throw HostError.lastErrno("open \(path)") }
        defer { close(fd) }
        if ftruncate(fd, off_t(bytes)) != 0 { throw HostError.lastErrno("ftruncate \(path)") }
    }

    /// Opens `path` with `flags` (`O_RDONLY`, `O_RDWR`, ...) and returns the descriptor, which the caller closes.
    public static func openDescriptor(path: String, flags: Int32) throws(HostError) -> Int32 {
        let fd = open(path, flags | O_CLOEXEC)
        if fd < 0 { throw HostError.lastErrno("open \(path)") }
        return fd
    }

    /// Creates a memfd of `bytes` bytes; with `sealWrite` it gets `F_SEAL_WRITE`, so no shared writable mapping
    /// of it can exist (`do_mmap()` refuses one through
    /// `memfd_check_seals_mmap()` in mm/memfd.c).
    public static func memfd(name: String, bytes: Int, sealWrite: Bool) throws(HostError) -> Int32 {
        guard let symbol = dlsym(nil, "memfd_create") else {
            throw HostError(operation: "memfd_create", code: ENOSYS)
        }
        let create = unsafeBitCast(symbol, to: MemfdCreateFunction.self)
        let fd = create(name, memfdAllowSealing)
        if fd < 0 { throw HostError.lastErrno("memfd_create") }
        if ftruncate(fd, off_t(bytes)) != 0 {
            let error = HostError.lastErrno("ftruncate memfd")
            close(fd)
            throw error
        }
        if sealWrite && fcntl(fd, addSealsCommand, HostFile.sealWrite) != 0 {
            let error = HostError.lastErrno("fcntl F_ADD_SEALS")
            close(fd)
            throw error
        }
        return fd
    }
}
