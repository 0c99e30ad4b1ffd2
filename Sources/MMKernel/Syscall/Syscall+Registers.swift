import MMHardware

extension Syscall {
    /// The call's arguments as the registers hold them (`rdi`, `rsi`, `rdx`, `r10`, `r8`, `r9` for a system call;
    /// the ioctl's `struct uffdio_*` fields for userfaultfd; `eax` for WRPKRU; the address and stored token for an
    /// access), signed values as their two's-complement bits. Nil for fork and execve, whose arguments are not
    /// registers (a thread name, an ELF's stack request). With ``init(name:registers:)`` this is a lossless text form
    /// of every other call.
    public var registers: [UInt64]? {
        switch self {
        case .mmap(let address, let length, let prot, let flags, let fd, let offset):
            return [address, length, prot, flags, UInt64(bitPattern: fd), offset]
        case .munmap(let address, let length), .mlock(let address, let length), .munlock(let address, let length),
            .numaScan(let address, let length):
            return [address, length]
        case .mprotect(let address, let length, let third), .mlock2(let address, let length, let third),
            .mseal(let address, let length, let third), .uffdRegister(let address, let length, let third),
            .uffdWriteProtect(let address, let length, let third):
            return [address, length, third]
        case .pkeyMprotect(let address, let length, let prot, let pkey):
            return [address, length, prot, UInt64(bitPattern: pkey)]
        case .pkeyAlloc(let flags, let accessRights): return [flags, accessRights]
        case .pkeyFree(let pkey): return [UInt64(bitPattern: pkey)]
        case .writePKRU(let value): return [UInt64(value)]
        case .madvise(let address, let length, let advice): return [address, length, UInt64(bitPattern: advice)]
        case .mremap(let address, let oldLength, let newLength, let flags, let newAddress):
            return [address, oldLength, newLength, flags, newAddress]
        case .mlockall(let flags): return [flags]
        case .munlockall: return []
        case .prctl(let option, let arg2, let arg3, let arg4, let arg5):
            return [UInt64(bitPattern: option), arg2, arg3, arg4, arg5]
        case .personality(let persona): return [persona]
        case .access(let address, _, let value): return [address, value]
        case .fork, .execve: return nil
        }
    }

    /// The call named `name` (as ``name`` spells it) with `registers` (as ``registers`` gives them); nil for an
    /// unknown name, a wrong number of registers, or a WRPKRU value wider than 32 bits.
    public init?(name: String, registers r: [UInt64]) {
        let expected: Int
        switch name {
        case "mmap": expected = 6
        case "mremap", "prctl": expected = 5
        case "pkey_mprotect": expected = 4
        case "mprotect", "madvise", "mlock2", "mseal", "ioctl(UFFDIO_REGISTER)", "ioctl(UFFDIO_WRITEPROTECT)":
            expected = 3
        case "munmap", "mlock", "munlock", "task_numa_work", "pkey_alloc", "read", "write", "exec": expected = 2
        case "pkey_free", "wrpkru", "mlockall", "personality": expected = 1
        case "munlockall": expected = 0
        default: return nil
        }
        guard r.count == expected else { return nil }
        switch name {
        case "mmap":
            self = .mmap(
                address: r[0], length: r[1], prot: r[2], flags: r[3], fd: Int64(bitPattern: r[4]), offset: r[5])
        case "munmap": self = .munmap(address: r[0], length: r[1])
        case "mprotect": self = .mprotect(address: r[0], length: r[1], prot: r[2])
        case "pkey_mprotect":
            self = .pkeyMprotect(address: r[0], length: r[1], prot: r[2], pkey: Int64(bitPattern: r[3]))
        case "pkey_alloc": self = .pkeyAlloc(flags: r[0], accessRights: r[1])
        case "pkey_free": self = .pkeyFree(pkey: Int64(bitPattern: r[0]))
        case "wrpkru":
            guard let value = UInt32(exactly: r[0]) else { return nil }
            self = .writePKRU(value)
        case "madvise": self = .madvise(address: r[0], length: r[1], advice: Int64(bitPattern: r[2]))
        case "mremap": self = .mremap(address: r[0], oldLength: r[1], newLength: r[2], flags: r[3], newAddress: r[4])
        case "mlock": self = .mlock(address: r[0], length: r[1])
        case "mlock2": self = .mlock2(address: r[0], length: r[1], flags: r[2])
        case "munlock": self = .munlock(address: r[0], length: r[1])
        case "mlockall": self = .mlockall(flags: r[0])
        case "munlockall": self = .munlockall
        case "mseal": self = .mseal(address: r[0], length: r[1], flags: r[2])
        case "prctl":
            self = .prctl(option: Int64(bitPattern: r[0]), arg2: r[1], arg3: r[2], arg4: r[3], arg5: r[4])
        case "personality": self = .personality(persona: r[0])
        case "ioctl(UFFDIO_REGISTER)": self = .uffdRegister(address: r[0], length: r[1], mode: r[2])
        case "ioctl(UFFDIO_WRITEPROTECT)": self = .uffdWriteProtect(address: r[0], length: r[1], mode: r[2])
        case "task_numa_work": self = .numaScan(address: r[0], length: r[1])
        case "read": self = .access(address: r[0], kind: .read, value: r[1])
        case "write": self = .access(address: r[0], kind: .write, value: r[1])
        default: self = .access(address: r[0], kind: .execute, value: r[1])
        }
    }
}

extension Syscall {
    /// Which of ``registers`` holds `field`: the address is always the first and its length the second, mremap's
    /// `new_address` the fifth; nil if the call has no such field.
    public func registerIndex(of field: SyscallField) -> Int? {
        guard value(of: field) != nil, registers != nil else { return nil }
        switch field {
        case .address: return 0
        case .length: return 1
        case .newAddress: return 4
        }
    }
}
