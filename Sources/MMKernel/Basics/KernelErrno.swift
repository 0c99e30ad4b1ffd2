/// The error numbers the modelled syscalls return, with their Linux values. Mirrors `include/uapi/asm-generic/errno*.h`.
public enum KernelErrno: Int32, Error, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    case EPERM = 1
    case ENOENT = 2
    case EINTR = 4
    case E2BIG = 7
    case EBADF = 9
    case EAGAIN = 11
    case ENOMEM = 12
    case EACCES = 13
    case EFAULT = 14
    case EBUSY = 16
    case EEXIST = 17
    case ENODEV = 19
    case EINVAL = 22
    case ETXTBSY = 26
    case ENOSPC = 28
    case EOVERFLOW = 75
    case EOPNOTSUPP = 95
    /// Memory page has a hardware error (`MADV_POPULATE_*` over poisoned memory).
    case EHWPOISON = 133

    /// The symbolic name, as strace prints it.
    public var description: String {
        switch self {
        case .EPERM: return "EPERM"
        case .ENOENT: return "ENOENT"
        case .EINTR: return "EINTR"
        case .E2BIG: return "E2BIG"
        case .EBADF: return "EBADF"
        case .EAGAIN: return "EAGAIN"
        case .ENOMEM: return "ENOMEM"
        case .EACCES: return "EACCES"
        case .EFAULT: return "EFAULT"
        case .EBUSY: return "EBUSY"
        case .EEXIST: return "EEXIST"
        case .ENODEV: return "ENODEV"
        case .EINVAL: return "EINVAL"
        case .ETXTBSY: return "ETXTBSY"
        case .ENOSPC: return "ENOSPC"
        case .EOVERFLOW: return "EOVERFLOW"
        case .EOPNOTSUPP: return "EOPNOTSUPP"
        case .EHWPOISON: return "EHWPOISON"
        }
    }

    /// Looks an errno up by its symbolic name.
    public init?(name: String) {
        guard let match = KernelErrno.allCases.first(where: { $0.description == name }) else { return nil }
        self = match
    }
}
