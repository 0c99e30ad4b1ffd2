import MMHardware

extension Syscall {
    /// The call's name as strace prints it (`mmap`, `pkey_mprotect`, `ioctl(UFFDIO_REGISTER)`, ...); the user-mode
    /// instructions are named by what they do (`read`, `write`, `exec`, `wrpkru`).
    public var name: String {
        switch self {
        case .mmap: return "mmap"
        case .munmap: return "munmap"
        case .mprotect: return "mprotect"
        case .pkeyMprotect: return "pkey_mprotect"
        case .pkeyAlloc: return "pkey_alloc"
        case .pkeyFree: return "pkey_free"
        case .writePKRU: return "wrpkru"
        case .madvise: return "madvise"
        case .mremap: return "mremap"
        case .mlock: return "mlock"
        case .mlock2: return "mlock2"
        case .munlock: return "munlock"
        case .mlockall: return "mlockall"
        case .munlockall: return "munlockall"
        case .mseal: return "mseal"
        case .prctl: return "prctl"
        case .personality: return "personality"
        case .fork: return "fork"
        case .execve: return "execve"
        case .uffdRegister: return "ioctl(UFFDIO_REGISTER)"
        case .uffdWriteProtect: return "ioctl(UFFDIO_WRITEPROTECT)"
        case .numaScan: return "task_numa_work"
        case .access(_, let kind, _):
            switch kind {
            case .read: return "read"
            case .write: return "write"
            case .execute: return "exec"
            }
        }
    }

    /// Whether the call enters the kernel as a system call (or an ioctl, or the NUMA scanner's task work): the
    /// cost model charges the fixed syscall cost for these, not for user-mode instructions.
    public var entersKernel: Bool {
        switch self {
        case .access, .writePKRU: return false
        default: return true
        }
    }
}
