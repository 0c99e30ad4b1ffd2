/// One call of a conformance sequence, with raw arguments so that invalid ones reach both kernels unchanged.
public enum ConformOp: Hashable, Sendable, CustomStringConvertible {
    /// `mmap(addr, length, prot, flags, fd, offset)`.
    case mmap(address: ConformAddress, length: UInt64, prot: Int32, flags: Int32, fd: ConformFD, offset: UInt64)
    /// `mprotect(addr, length, prot)`.
    case mprotect(address: ConformAddress, length: UInt64, prot: Int32)
    /// `pkey_mprotect(addr, length, prot, pkey)`.
    case pkeyMprotect(address: ConformAddress, length: UInt64, prot: Int32, pkey: Int32)
    /// `munmap(addr, length)`.
    case munmap(address: ConformAddress, length: UInt64)
    /// `madvise(addr, length, advice)`.
    case madvise(address: ConformAddress, length: UInt64, advice: Int32)
    /// `mremap(old_address, old_size, new_size, flags, new_address)`.
    case mremap(address: ConformAddress, oldLength: UInt64, newLength: UInt64, flags: Int32, newAddress: ConformAddress)
    /// Not a syscall: map the window's interior read-write and split it with 1-page mprotects until the process
    /// has `vm.max_map_count - headroom` VMAs (the near-limit sequences). Result `0`, or the errno that stopped it.
    case fill(headroom: Int)

    /// The wire form, one line: the call name and its arguments separated by spaces.
    public var description: String {
        let hex = { (value: UInt64) in "0x" + String(value, radix: 16) }
        let hex32 = { (value: Int32) in "0x" + String(UInt32(bitPattern: value), radix: 16) }
        switch self {
        case .mmap(let address, let length, let prot, let flags, let fd, let offset):
            return "mmap \(address) \(hex(length)) \(hex32(prot)) \(hex32(flags)) \(fd) \(hex(offset))"
        case .mprotect(let address, let length, let prot):
            return "mprotect \(address) \(hex(length)) \(hex32(prot))"
        case .pkeyMprotect(let address, let length, let prot, let pkey):
            return "pkey_mprotect \(address) \(hex(length)) \(hex32(prot)) \(pkey)"
        case .munmap(let address, let length):
            return "munmap \(address) \(hex(length))"
        case .madvise(let address, let length, let advice):
            return "madvise \(address) \(hex(length)) \(advice)"
        case .mremap(let address, let oldLength, let newLength, let flags, let newAddress):
            return "mremap \(address) \(hex(oldLength)) \(hex(newLength)) \(hex32(flags)) \(newAddress)"
        case .fill(let headroom):
            return "fill \(headroom)"
        }
    }

    /// Parses the wire form; `nil` if malformed.
    public init?(wire line: String) {
        let fields = line.split(separator: " ")
        guard let name = fields.first else { return nil }
        let hex = { (index: Int) -> UInt64? in
            guard index < fields.count, fields[index].hasPrefix("0x") else { return nil }
            return UInt64(fields[index].dropFirst(2), radix: 16)
        }
        let hex32 = { (index: Int) -> Int32? in hex(index).flatMap(UInt32.init(exactly:)).map(Int32.init(bitPattern:)) }
        let address = { (index: Int) -> ConformAddress? in
            index < fields.count ? ConformAddress(wire: fields[index]) : nil
        }
        let int32 = { (index: Int) -> Int32? in index < fields.count ? Int32(fields[index]) : nil }
        switch (name, fields.count) {
        case ("mmap", 7):
            guard let addr = address(1), let length = hex(2), let prot = hex32(3), let flags = hex32(4),
                let fd = ConformFD(wire: fields[5]), let offset = hex(6)
            else { return nil }
            self = .mmap(address: addr, length: length, prot: prot, flags: flags, fd: fd, offset: offset)
        case ("mprotect", 4):
            guard let addr = address(1), let length = hex(2), let prot = hex32(3) else { return nil }
            self = .mprotect(address: addr, length: length, prot: prot)
        case ("pkey_mprotect", 5):
            guard let addr = address(1), let length = hex(2), let prot = hex32(3), let pkey = int32(4) else {
                return nil
            }
            self = .pkeyMprotect(address: addr, length: length, prot: prot, pkey: pkey)
        case ("munmap", 3):
            guard let addr = address(1), let length = hex(2) else { return nil }
            self = .munmap(address: addr, length: length)
        case ("madvise", 4):
            guard let addr = address(1), let length = hex(2), let advice = int32(3) else { return nil }
            self = .madvise(address: addr, length: length, advice: advice)
        case ("mremap", 6):
            guard let addr = address(1), let oldLength = hex(2), let newLength = hex(3), let flags = hex32(4),
                let newAddress = address(5)
            else { return nil }
            self = .mremap(
                address: addr, oldLength: oldLength, newLength: newLength, flags: flags, newAddress: newAddress)
        case ("fill", 2):
            guard let headroom = Int(fields[1]) else { return nil }
            self = .fill(headroom: headroom)
        default:
            return nil
        }
    }
}
