import Glibc

/// A failed system call (or `/proc` access) on the real kernel, named by its errno.
///
/// Carrying the symbolic name (`"ENOMEM"`) and not only the number lets callers compare the host's answer with
/// the simulator's and with strace logs, which print the same names.
public struct HostError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What failed, e.g. `"mprotect"` or `"open /proc/self/maps"`.
    public var operation: String
    /// The raw errno value reported by the kernel or libc.
    public var code: Int32

    /// Describes a failure of `operation` with errno `code`.
    public init(operation: String, code: Int32) {
        self.operation = operation
        self.code = code
    }

    /// Captures the calling thread's current `errno`; call it right after the failing libc call.
    public static func lastErrno(_ operation: String) -> HostError {
        HostError(operation: operation, code: errno)
    }

    /// The symbolic errno name, e.g. `"EINVAL"`, as strace and the man pages spell it.
    public var name: String { HostErrno.name(of: code) }

    /// The C library's human-readable message for the errno, e.g. `"Invalid argument"`.
    public var message: String { HostErrno.message(of: code) }

    /// `"mprotect: EINVAL (Invalid argument)"`, the same shape as strace's error column.
    public var description: String { "\(operation): \(name) (\(message))" }
}

/// Maps errno numbers to their symbolic names and back.
///
/// Memory-management syscalls report their outcome only as an errno; the project's oracles, strace traces and
/// the simulator all use the names, so this table is the single place that translates.
public enum HostErrno {
    /// Errno names in numeric order (Linux x86-64 values), the memory-management ones first in importance:
    /// `EINVAL`, `ENOMEM`, `EACCES`, `EPERM`, `EEXIST`, `EBADF`, `EFAULT`, `EAGAIN`, `EOVERFLOW`, `EINTR`,
    /// `ENODEV`, `ETXTBSY`, `ESRCH`, plus the other common ones so that no error prints as a bare number.
    /// Where Linux has two names for one value (`EWOULDBLOCK`, `EDEADLOCK`, `ENOTSUP`), the first listed wins.
    public static let table: [(code: Int32, name: String)] = [
        (EPERM, "EPERM"),
        (ENOENT, "ENOENT"),
        (ESRCH, "ESRCH"),
        (EINTR, "EINTR"),
        (EIO, "EIO"),
        (ENXIO, "ENXIO"),
        (E2BIG, "E2BIG"),
        (ENOEXEC, "ENOEXEC"),
        (EBADF, "EBADF"),
        (ECHILD, "ECHILD"),
        (EAGAIN, "EAGAIN"),
        (ENOMEM, "ENOMEM"),
        (EACCES, "EACCES"),
        (EFAULT, "EFAULT"),
        (ENOTBLK, "ENOTBLK"),
        (EBUSY, "EBUSY"),
        (EEXIST, "EEXIST"),
        (EXDEV, "EXDEV"),
        (ENODEV, "ENODEV"),
        (ENOTDIR, "ENOTDIR"),
        (EISDIR, "EISDIR"),
        (EINVAL, "EINVAL"),
        (ENFILE, "ENFILE"),
        (EMFILE, "EMFILE"),
        (ENOTTY, "ENOTTY"),
        (ETXTBSY, "ETXTBSY"),
        (EFBIG, "EFBIG"),
        (ENOSPC, "ENOSPC"),
        (ESPIPE, "ESPIPE"),
        (EROFS, "EROFS"),
        (EMLINK, "EMLINK"),
        (EPIPE, "EPIPE"),
        (EDOM, "EDOM"),
        (ERANGE, "ERANGE"),
        (EDEADLK, "EDEADLK"),
        (ENAMETOOLONG, "ENAMETOOLONG"),
        (ENOLCK, "ENOLCK"),
        (ENOSYS, "ENOSYS"),
        (ENOTEMPTY, "ENOTEMPTY"),
        (ELOOP, "ELOOP"),
        (ENOTSUP, "EOPNOTSUPP"),
        (EOVERFLOW, "EOVERFLOW"),
        (ETIMEDOUT, "ETIMEDOUT"),
        (ECANCELED, "ECANCELED"),
        (EHWPOISON, "EHWPOISON"),
        (EWOULDBLOCK, "EWOULDBLOCK"),
        (EDEADLOCK, "EDEADLOCK"),
        (ENOTSUP, "ENOTSUP"),
    ]

    private static let namesByCode: [Int32: String] = {
        var result: [Int32: String] = [:]
        for entry in table where result[entry.code] == nil {
            result[entry.code] = entry.name
        }
        return result
    }()

    private static let codesByName: [String: Int32] = {
        var result: [String: Int32] = [:]
        for entry in table {
            result[entry.name] = entry.code
        }
        return result
    }()

    /// The symbolic name of `code`, or `"E<number>"` when the table does not know it, so output stays greppable.
    public static func name(of code: Int32) -> String {
        namesByCode[code] ?? "E\(code)"
    }

    /// The errno value for a symbolic name such as `"ENOMEM"` (aliases included), or `nil` if unknown; used to
    /// read expected results out of oracle tables and strace logs.
    public static func code(named name: String) -> Int32? {
        codesByName[name]
    }

    /// The C library's message for `code` (`strerror`), as strace prints in parentheses.
    public static func message(of code: Int32) -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        // Swift imports the XSI strerror_r, which fills the buffer and returns 0 on success.
        let status = buffer.withUnsafeMutableBufferPointer { strerror_r(code, $0.baseAddress!, $0.count) }
        guard status == 0 else { return "Unknown error \(code)" }
        let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        return String(decoding: bytes, as: UTF8.self)
    }
}
