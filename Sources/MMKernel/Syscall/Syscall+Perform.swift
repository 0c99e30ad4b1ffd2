import MMHardware

extension Machine {
    /// Runs `call` as thread `task` would: the thread is scheduled on its CPU (a thread must run to enter the
    /// kernel or to touch memory), then the call runs to completion. This is the single entry point through which
    /// scenarios, the conformance oracle and the probe's model side drive the kernel.
    public mutating func perform(_ call: Syscall, by task: TaskID) -> SyscallOutcome {
        schedule(task)
        do {
            return try dispatch(call, by: task)
        } catch {
            return .failed(error)
        }
    }

    private mutating func dispatch(_ call: Syscall, by task: TaskID) throws(KernelErrno) -> SyscallOutcome {
        switch call {
        case .mmap(let address, let length, let prot, let flags, let fd, let offset):
            let file: FileID? =
                fd == -1 && MapFlags(rawValue: flags).contains(.anonymous) ? nil : fileID(forDescriptor: fd)
            return .returned(
                try mmap(
                    task, address: address, length: length, prot: Protection(rawValue: prot),
                    flags: MapFlags(rawValue: flags), file: file, offset: offset))
        case .munmap(let address, let length):
            try munmap(task, address, length)
        case .mprotect(let address, let length, let prot):
            try mprotect(task, address, length, prot: prot)
        case .pkeyMprotect(let address, let length, let prot, let pkey):
            try pkeyMprotect(task, address, length, prot: prot, pkey: Int(Int32(truncatingIfNeeded: pkey)))
        case .pkeyAlloc(let flags, let accessRights):
            return .returned(UInt64(try pkeyAlloc(task, flags: flags, accessRights: accessRights)))
        case .pkeyFree(let pkey):
            try pkeyFree(task, Int(Int32(truncatingIfNeeded: pkey)))
        case .writePKRU(let value):
            // Without CR4.PKE the instruction is undefined: #UD, delivered as SIGILL.
            guard config.pku else { return .signalled(Signal(name: "SIGILL", code: "ILL_ILLOPN", address: 0)) }
            writePKRU(task, value)
        case .madvise(let address, let length, let advice):
            try madvise(task, address, length, advice: Int32(truncatingIfNeeded: advice))
        case .mremap(let address, let oldLength, let newLength, let flags, let newAddress):
            return .returned(try mremap(task, address, oldLength, newLength, flags: flags, newAddress: newAddress))
        case .mlock(let address, let length):
            try mlock(task, address, length, flags: 0)
        case .mlock2(let address, let length, let flags):
            try mlock(task, address, length, flags: flags)
        case .munlock(let address, let length):
            try munlock(task, address, length)
        case .mlockall(let flags):
            try mlockall(task, flags: flags)
        case .munlockall:
            try munlockall(task)
        case .mseal(let address, let length, let flags):
            try mseal(task, address, length, flags: flags)
        case .prctl(let option, let arg2, let arg3, let arg4, let arg5):
            if let missing = Machine.unmodelledPrctl(option) { return .notModelled(missing) }
            return .returned(try prctl(task, option: option, arg2, arg3, arg4, arg5))
        case .personality(let persona):
            return .returned(personality(task, persona))
        case .fork(let childName, let cpu):
            guard cpu.rawValue < cpus.count else { return .notModelled("fork onto cpu \(cpu.rawValue)") }
            return .returned(UInt64(try fork(task, childName: childName, cpu: cpu).rawValue))
        case .execve(let argumentPages, let executableStack):
            try exec(task, argumentPages: argumentPages, executableStack: executableStack)
        case .uffdRegister(let address, let length, let mode):
            // userfaultfd_register(): unknown mode bits, or none, are EINVAL before the range is looked at.
            guard mode != 0, mode & ~UserfaultfdMode.registerModes == 0 else { throw .EINVAL }
            guard mode & UserfaultfdMode.registerWP != 0, mode & UserfaultfdMode.registerMinor == 0 else {
                return .notModelled(
                    "UFFDIO_REGISTER mode 0x\(String(mode, radix: 16)) (only WP, with or without MISSING)")
            }
            try userfaultfdRegister(task, address, length, missing: mode & UserfaultfdMode.registerMissing != 0)
        case .uffdWriteProtect(let address, let length, let mode):
            // userfaultfd_writeprotect(): the range is validated first, then the mode (WP and DONTWAKE exclude each
            // other: a protect never wakes anyone).
            try validateUserfaultfdRange(address, length)
            let known = UserfaultfdMode.writeProtectWP | UserfaultfdMode.writeProtectDontWake
            guard mode & ~known == 0, mode != known else { throw .EINVAL }
            try userfaultfdWriteProtect(task, address, length, protect: mode & UserfaultfdMode.writeProtectWP != 0)
        case .numaScan(let address, let length):
            let end = address.addingReportingOverflow(length)
            guard !end.overflow else { throw .EINVAL }
            return .returned(UInt64(numaHintingScan(task, address, end.partialValue)))
        case .access(let address, let kind, let value):
            switch access(task, address, kind, value: value) {
            case .value(let token): return .returned(token)
            case .signal(let signal): return .signalled(signal)
            }
        }
        return .returned(0)
    }

    /// The file a descriptor names: the model's files are the process's descriptors 3, 4, ... in creation order
    /// (0 to 2 are the standard streams, which cannot be mapped). Any other number is a bad descriptor, for which
    /// mmap answers EBADF.
    public func fileID(forDescriptor fd: Int64) -> FileID {
        guard fd >= 3, fd - 3 < Int64(files.count) else { return FileID(rawValue: -1) }
        return FileID(rawValue: Int(fd - 3))
    }
}
