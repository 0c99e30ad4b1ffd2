import MMHardware

/// Every call the model can perform on behalf of a thread, with its raw arguments: the one vocabulary that
/// scenarios, the conformance oracle and the flush probe all speak, so that whatever one of them runs, the others can
/// express. Arguments are kept as the registers would hold them (unsigned 64-bit, or the kernel's signed type), so
/// that invalid values reach the model unchanged, exactly as they reach the kernel.
///
/// Besides the system calls proper, the vocabulary holds the user-mode instructions that matter to memory
/// protection (a load, a store, an instruction fetch, WRPKRU) and the kernel work that runs on a thread's behalf
/// (the NUMA hinting scan of `task_numa_work()`).
public enum Syscall: Hashable, Sendable {
    /// mmap(2): `(addr, length, prot, flags, fd, offset)`. An fd of 3 or more names the machine's file `fd - 3`.
    case mmap(address: UInt64, length: UInt64, prot: UInt64, flags: UInt64, fd: Int64, offset: UInt64)
    /// munmap(2).
    case munmap(address: UInt64, length: UInt64)
    /// mprotect(2).
    case mprotect(address: UInt64, length: UInt64, prot: UInt64)
    /// pkey_mprotect(2); key -1 is plain mprotect.
    case pkeyMprotect(address: UInt64, length: UInt64, prot: UInt64, pkey: Int64)
    /// pkey_alloc(2).
    case pkeyAlloc(flags: UInt64, accessRights: UInt64)
    /// pkey_free(2).
    case pkeyFree(pkey: Int64)
    /// The WRPKRU instruction: the thread sets its own protection-key rights register.
    case writePKRU(UInt32)
    /// madvise(2) with the raw `MADV_*` value (the kernel takes an `int`).
    case madvise(address: UInt64, length: UInt64, advice: Int64)
    /// mremap(2): `(old_address, old_size, new_size, flags, new_address)`.
    case mremap(address: UInt64, oldLength: UInt64, newLength: UInt64, flags: UInt64, newAddress: UInt64)
    /// mlock(2).
    case mlock(address: UInt64, length: UInt64)
    /// mlock2(2) with `MLOCK_ONFAULT` or 0.
    case mlock2(address: UInt64, length: UInt64, flags: UInt64)
    /// munlock(2).
    case munlock(address: UInt64, length: UInt64)
    /// mlockall(2) with `MCL_CURRENT`, `MCL_FUTURE`, `MCL_ONFAULT`.
    case mlockall(flags: UInt64)
    /// munlockall(2).
    case munlockall
    /// mseal(2).
    case mseal(address: UInt64, length: UInt64, flags: UInt64)
    /// prctl(2): `(option, arg2, arg3, arg4, arg5)`; the model knows `PR_SET_MDWE` and `PR_GET_MDWE`.
    case prctl(option: Int64, arg2: UInt64, arg3: UInt64, arg4: UInt64, arg5: UInt64)
    /// personality(2) with the raw persona (`0xffffffff` only queries).
    case personality(persona: UInt64)
    /// fork(2): the child's only thread gets `childName` and runs pinned to `cpu`. Returns the child's task number.
    case fork(childName: String, cpu: CPUID)
    /// execve(2) as far as memory goes: the new stack holds `argumentPages` pages of arguments; `executableStack`
    /// is the ELF's PT_GNU_STACK request (nil = none).
    case execve(argumentPages: Int, executableStack: Bool?)
    /// `ioctl(uffd, UFFDIO_REGISTER, {range, mode})` with the raw `UFFDIO_REGISTER_MODE_*` bits.
    case uffdRegister(address: UInt64, length: UInt64, mode: UInt64)
    /// `ioctl(uffd, UFFDIO_WRITEPROTECT, {range, mode})` with the raw `UFFDIO_WRITEPROTECT_MODE_*` bits.
    case uffdWriteProtect(address: UInt64, length: UInt64, mode: UInt64)
    /// One pass of the NUMA hinting scanner (`task_numa_work()`) over a range; returns the pages made PROT_NONE.
    case numaScan(address: UInt64, length: UInt64)
    /// A user-mode load, store (of `value`) or instruction fetch at `address`.
    case access(address: UInt64, kind: AccessKind, value: UInt64)
}

/// What a call ended with.
public enum SyscallOutcome: Hashable, Sendable, CustomStringConvertible {
    /// The call returned this value (an address, a key, a previous setting, a child's task number, 0), or the
    /// access completed with this token.
    case returned(UInt64)
    /// The call failed with this errno.
    case failed(KernelErrno)
    /// The access (or the call) raised a signal.
    case signalled(Signal)
    /// The model does not implement this form of the call; the text says what is missing.
    case notModelled(String)

    public var description: String {
        switch self {
        case .returned(let value): return "0x" + String(value, radix: 16)
        case .failed(let errno): return "-1 \(errno)"
        case .signalled(let signal): return "\(signal)"
        case .notModelled(let what): return "not modelled: \(what)"
        }
    }
}
