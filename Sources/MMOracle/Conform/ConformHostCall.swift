import Glibc
import MMHardware
import MMHost
import MMKernel

/// The real kernel's side of a `Syscall`: its x86-64 system call number, and the raw `syscall(2)` that passes the
/// call's registers unchanged, so that the worker runs exactly the arguments the model gets (glibc's wrappers would
/// sign-extend `int` arguments, and some, like mremap, are variadic and do not reach Swift).
public enum ConformHostCall {
    /// The x86-64 number (arch/x86/entry/syscalls/syscall_64.tbl) of the calls the worker can make, nil for the
    /// others.
    public static func number(of call: Syscall) -> Int? {
        switch call {
        case .mmap: return 9
        case .mprotect: return 10
        case .munmap: return 11
        case .mremap: return 25
        case .madvise: return 28
        case .personality: return 135
        case .mlock: return 149
        case .munlock: return 150
        case .mlockall: return 151
        case .munlockall: return 152
        case .prctl: return 157
        case .mlock2: return 325
        case .pkeyMprotect: return 329
        case .pkeyAlloc: return 330
        case .pkeyFree: return 331
        case .mseal: return 462
        case .writePKRU, .fork, .execve, .uffdRegister, .uffdWriteProtect, .numaScan, .access: return nil
        }
    }

    /// Whether `call` is a read or write the worker makes through ``ConformHostAccess``.
    public static func isHostAccess(_ call: Syscall) -> Bool {
        if case .access(_, let kind, _) = call { return kind != .execute }
        return false
    }

    /// The advice values that must never reach the real kernel: `MADV_HWPOISON` (100) and `MADV_SOFT_OFFLINE`
    /// (101) really poison or offline the page for a privileged caller (the worker runs as root), which would take
    /// memory away from the machine. The kernel reads advice as an `int`, so the register's low 32 bits count.
    public static let forbiddenAdvice: Set<Int32> = [100, 101]

    /// Whether `call` must never run on the real kernel (``forbiddenAdvice``).
    public static func isForbidden(_ call: Syscall) -> Bool {
        guard case .madvise(_, _, let advice) = call else { return false }
        return forbiddenAdvice.contains(Int32(truncatingIfNeeded: advice))
    }

    /// `syscall(2)` with six integer arguments. Swift cannot call the variadic C function, so its symbol is looked
    /// up and called through this fixed prototype (integer arguments pass the same way on x86-64).
    typealias SyscallFunction = @convention(c) (Int, Int, Int, Int, Int, Int, Int) -> Int

    /// Makes `call` on this kernel: the return value, or the errno. `ENOSYS` for a call without a number; a
    /// forbidden call (``isForbidden(_:)``) is never made: `EPERM` from an operation named `refused`.
    static func perform(_ call: Syscall) -> Result<UInt64, HostError> {
        guard !isForbidden(call) else { return .failure(HostError(operation: "refused", code: EPERM)) }
        guard let number = number(of: call), let registers = call.registers, let symbol = dlsym(nil, "syscall") else {
            return .failure(HostError(operation: call.name, code: ENOSYS))
        }
        let function = unsafeBitCast(symbol, to: SyscallFunction.self)
        let padded = (registers + Array(repeating: 0, count: 6)).prefix(6).map { Int(bitPattern: UInt($0)) }
        let result = function(number, padded[0], padded[1], padded[2], padded[3], padded[4], padded[5])
        if result == -1 { return .failure(HostError(operation: call.name, code: errno)) }
        return .success(UInt64(UInt(bitPattern: result)))
    }
}
