import MMHardware

extension Syscall: CustomStringConvertible {
    /// The call as strace would show it, with symbolic constants where the vocabulary knows them
    /// (`mprotect(0x7f0000000000, 4096, PROT_READ)`, `madvise(0x…, 8192, MADV_DONTNEED)`): the one text every report
    /// shows for a call.
    public var description: String {
        switch self {
        case .mmap(let address, let length, let prot, let flags, let fd, let offset):
            let hint = address == 0 ? "NULL" : hexText(address)
            let offsetText = offset == 0 ? "0" : hexText(offset)
            return "mmap(\(hint), \(length), \(Protection(rawValue: prot)), \(MapFlags(rawValue: flags)), \(fd), "
                + "\(offsetText))"
        case .munmap(let address, let length): return "munmap(\(hexText(address)), \(length))"
        case .mprotect(let address, let length, let prot):
            return "mprotect(\(hexText(address)), \(length), \(Protection(rawValue: prot)))"
        case .pkeyMprotect(let address, let length, let prot, let pkey):
            return "pkey_mprotect(\(hexText(address)), \(length), \(Protection(rawValue: prot)), \(pkey))"
        case .pkeyAlloc(let flags, let accessRights): return "pkey_alloc(\(flags), \(accessRights))"
        case .pkeyFree(let pkey): return "pkey_free(\(pkey))"
        case .writePKRU(let value): return "wrpkru(\(hexText(UInt64(value))))"
        case .madvise(let address, let length, let advice):
            let name = SyscallConstants.name(of: advice, in: SyscallConstants.advice) ?? "\(advice)"
            return "madvise(\(hexText(address)), \(length), \(name))"
        case .mremap(let address, let oldLength, let newLength, let flags, let newAddress):
            let flagText = SyscallConstants.bits(flags, SyscallConstants.mremapFlags)
            return "mremap(\(hexText(address)), \(oldLength), \(newLength), \(flagText), \(hexText(newAddress)))"
        case .mlock(let address, let length): return "mlock(\(hexText(address)), \(length))"
        case .mlock2(let address, let length, let flags):
            return
                "mlock2(\(hexText(address)), \(length), \(SyscallConstants.bits(flags, SyscallConstants.mlock2Flags)))"
        case .munlock(let address, let length): return "munlock(\(hexText(address)), \(length))"
        case .mlockall(let flags): return "mlockall(\(SyscallConstants.bits(flags, SyscallConstants.mlockallFlags)))"
        case .munlockall: return "munlockall()"
        case .mseal(let address, let length, let flags):
            return "mseal(\(hexText(address)), \(length), \(flags == 0 ? "0" : hexText(flags)))"
        case .prctl(let option, let arg2, let arg3, let arg4, let arg5):
            return prctlText(option, [arg2, arg3, arg4, arg5])
        case .personality(let persona):
            switch persona {
            case 0: return "personality(PER_LINUX)"
            case UInt64(Personality.query): return "personality(0xffffffff)"
            default: return "personality(\(SyscallConstants.bits(persona, SyscallConstants.personaFlags)))"
            }
        case .fork(let childName, let cpu): return "fork() [child '\(childName)' on cpu \(cpu.rawValue)]"
        case .execve(let argumentPages, let executableStack):
            let stack = executableStack.map { $0 ? "PF_X" : "PF_R|PF_W" } ?? "default"
            return "execve(arg pages \(argumentPages), stack \(stack))"
        case .uffdRegister(let address, let length, let mode):
            let modeText = SyscallConstants.bits(mode, SyscallConstants.uffdRegisterModes)
            return "ioctl(uffd, UFFDIO_REGISTER, {\(hexText(address)), \(length), \(modeText)})"
        case .uffdWriteProtect(let address, let length, let mode):
            let modeText = SyscallConstants.bits(mode, SyscallConstants.uffdWriteProtectModes)
            return "ioctl(uffd, UFFDIO_WRITEPROTECT, {\(hexText(address)), \(length), \(modeText)})"
        case .numaScan(let address, let length): return "task_numa_work(\(hexText(address)), \(length))"
        case .access(let address, let kind, let value):
            return kind == .write ? "write(\(hexText(address)), \(hexText(value)))" : "\(name)(\(hexText(address)))"
        }
    }

    /// `prctl(OPTION, ARG2[, ...])`: the option and `PR_SET_MDWE`'s flags by name, trailing zero arguments after the
    /// second omitted.
    private func prctlText(_ option: Int64, _ arguments: [UInt64]) -> String {
        var parts = [SyscallConstants.name(of: option, in: SyscallConstants.prctlOptions) ?? "\(option)"]
        var shown = arguments
        while shown.count > 1 && shown.last == 0 { shown.removeLast() }
        for (index, argument) in shown.enumerated() {
            if index == 0 && option == 65 {
                parts.append(SyscallConstants.bits(argument, SyscallConstants.mdweFlags))
            } else {
                parts.append(argument < 10 ? "\(argument)" : hexText(argument))
            }
        }
        return "prctl(" + parts.joined(separator: ", ") + ")"
    }
}

/// `0x` and lower-case hex digits.
private func hexText(_ value: UInt64) -> String { "0x" + String(value, radix: 16) }
