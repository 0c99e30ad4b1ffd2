/// The argument of a call that holds a user address or the length of the range that starts there: the arguments a
/// caller may give symbolically (a scenario's region, a conformance window offset) and fill in just before the call.
public enum SyscallField: Hashable, Sendable, CaseIterable {
    /// The address the call acts on (`addr`, `start`, mmap's hint, mremap's `old_address`, the accessed byte).
    case address
    /// The length of the range at `address` (mremap's `old_size`).
    case length
    /// mremap's `new_address`.
    case newAddress
}

extension Syscall {
    /// The value of `field`, or nil if the call has no such argument.
    public func value(of field: SyscallField) -> UInt64? {
        switch (self, field) {
        case (.mmap(let address, _, _, _, _, _), .address), (.munmap(let address, _), .address),
            (.mprotect(let address, _, _), .address), (.pkeyMprotect(let address, _, _, _), .address),
            (.madvise(let address, _, _), .address), (.mremap(let address, _, _, _, _), .address),
            (.mlock(let address, _), .address), (.mlock2(let address, _, _), .address),
            (.munlock(let address, _), .address), (.mseal(let address, _, _), .address),
            (.uffdRegister(let address, _, _), .address), (.uffdWriteProtect(let address, _, _), .address),
            (.numaScan(let address, _), .address), (.access(let address, _, _), .address):
            return address
        case (.mmap(_, let length, _, _, _, _), .length), (.munmap(_, let length), .length),
            (.mprotect(_, let length, _), .length), (.pkeyMprotect(_, let length, _, _), .length),
            (.madvise(_, let length, _), .length), (.mremap(_, let length, _, _, _), .length),
            (.mlock(_, let length), .length), (.mlock2(_, let length, _), .length),
            (.munlock(_, let length), .length), (.mseal(_, let length, _), .length),
            (.uffdRegister(_, let length, _), .length), (.uffdWriteProtect(_, let length, _), .length),
            (.numaScan(_, let length), .length):
            return length
        case (.mremap(_, _, _, _, let newAddress), .newAddress):
            return newAddress
        default:
            return nil
        }
    }

    /// The fields this call has, in argument order.
    public var fields: [SyscallField] { SyscallField.allCases.filter { value(of: $0) != nil } }

    /// The same call with `field` set to `value`; unchanged if the call has no such argument.
    public func setting(_ field: SyscallField, to value: UInt64) -> Syscall {
        switch field {
        case .address: return settingAddress(value)
        case .length: return settingLength(value)
        case .newAddress:
            guard case .mremap(let address, let oldLength, let newLength, let flags, _) = self else { return self }
            return .mremap(
                address: address, oldLength: oldLength, newLength: newLength, flags: flags, newAddress: value)
        }
    }

    /// The same call with every field present passed through `transform` (e.g. to move window offsets to absolute
    /// addresses, or model addresses to real ones).
    public func mappingFields(_ transform: (SyscallField, UInt64) -> UInt64) -> Syscall {
        fields.reduce(self) { call, field in call.setting(field, to: transform(field, call.value(of: field)!)) }
    }

    private func settingAddress(_ value: UInt64) -> Syscall {
        switch self {
        case .mmap(_, let length, let prot, let flags, let fd, let offset):
            return .mmap(address: value, length: length, prot: prot, flags: flags, fd: fd, offset: offset)
        case .munmap(_, let length): return .munmap(address: value, length: length)
        case .mprotect(_, let length, let prot): return .mprotect(address: value, length: length, prot: prot)
        case .pkeyMprotect(_, let length, let prot, let pkey):
            return .pkeyMprotect(address: value, length: length, prot: prot, pkey: pkey)
        case .madvise(_, let length, let advice): return .madvise(address: value, length: length, advice: advice)
        case .mremap(_, let oldLength, let newLength, let flags, let newAddress):
            return .mremap(
                address: value, oldLength: oldLength, newLength: newLength, flags: flags, newAddress: newAddress)
        case .mlock(_, let length): return .mlock(address: value, length: length)
        case .mlock2(_, let length, let flags): return .mlock2(address: value, length: length, flags: flags)
        case .munlock(_, let length): return .munlock(address: value, length: length)
        case .mseal(_, let length, let flags): return .mseal(address: value, length: length, flags: flags)
        case .uffdRegister(_, let length, let mode): return .uffdRegister(address: value, length: length, mode: mode)
        case .uffdWriteProtect(_, let length, let mode):
            return .uffdWriteProtect(address: value, length: length, mode: mode)
        case .numaScan(_, let length): return .numaScan(address: value, length: length)
        case .access(_, let kind, let token): return .access(address: value, kind: kind, value: token)
        default: return self
        }
    }

    private func settingLength(_ value: UInt64) -> Syscall {
        switch self {
        case .mmap(let address, _, let prot, let flags, let fd, let offset):
            return .mmap(address: address, length: value, prot: prot, flags: flags, fd: fd, offset: offset)
        case .munmap(let address, _): return .munmap(address: address, length: value)
        case .mprotect(let address, _, let prot): return .mprotect(address: address, length: value, prot: prot)
        case .pkeyMprotect(let address, _, let prot, let pkey):
            return .pkeyMprotect(address: address, length: value, prot: prot, pkey: pkey)
        case .madvise(let address, _, let advice): return .madvise(address: address, length: value, advice: advice)
        case .mremap(let address, _, let newLength, let flags, let newAddress):
            return .mremap(
                address: address, oldLength: value, newLength: newLength, flags: flags, newAddress: newAddress)
        case .mlock(let address, _): return .mlock(address: address, length: value)
        case .mlock2(let address, _, let flags): return .mlock2(address: address, length: value, flags: flags)
        case .munlock(let address, _): return .munlock(address: address, length: value)
        case .mseal(let address, _, let flags): return .mseal(address: address, length: value, flags: flags)
        case .uffdRegister(let address, _, let mode): return .uffdRegister(address: address, length: value, mode: mode)
        case .uffdWriteProtect(let address, _, let mode):
            return .uffdWriteProtect(address: address, length: value, mode: mode)
        case .numaScan(let address, _): return .numaScan(address: address, length: value)
        default: return self
        }
    }
}
