import MMKernel

/// One step of a conformance sequence: a call of the vocabulary whose address arguments may be relative to the
/// window's base (so that the same sequence runs wherever the worker's window lands), or the `fill` that is not a
/// call at all. Arguments stay raw, so that invalid ones reach both kernels unchanged.
public enum ConformCall: Hashable, Sendable, CustomStringConvertible {
    /// `syscall`, whose fields in `relative` hold signed offsets from the window's base (two's complement) instead
    /// of addresses; the others are absolute (e.g. a deliberately invalid 0).
    case syscall(Syscall, relative: Set<SyscallField>)
    /// Not a syscall: map the window's interior read-write and split it with 1-page mprotects until the process
    /// has `vm.max_map_count - headroom` VMAs (the near-limit sequences). Result `0`, or the errno that stopped it.
    case fill(headroom: Int)

    /// `call` with its `address` field at `address` and (for mremap) its `new_address` at `newAddress`, each
    /// window-relative or absolute.
    public static func call(
        _ call: Syscall, address: ConformAddress, newAddress: ConformAddress? = nil
    ) -> ConformCall {
        var relative: Set<SyscallField> = []
        var placed = call
        for (field, value) in [(SyscallField.address, address), (.newAddress, newAddress)] {
            guard let value, call.value(of: field) != nil else { continue }
            switch value {
            case .window(let offset):
                placed = placed.setting(field, to: UInt64(bitPattern: offset))
                relative.insert(field)
            case .absolute(let address):
                placed = placed.setting(field, to: address)
            }
        }
        return .syscall(placed, relative: relative)
    }

    /// The call for a window at `base` (relative fields moved there); nil for `fill`.
    public func resolved(base: UInt64) -> Syscall? {
        guard case .syscall(let call, let relative) = self else { return nil }
        return call.mappingFields { field, value in relative.contains(field) ? base &+ value : value }
    }

    /// The `field` argument as a window offset or an absolute address, if the call has it.
    public func address(_ field: SyscallField) -> ConformAddress? {
        guard case .syscall(let call, let relative) = self, let value = call.value(of: field) else { return nil }
        return relative.contains(field) ? .window(Int64(bitPattern: value)) : .absolute(value)
    }

    /// Whether the worker can run it on the real kernel: every call with register arguments except the ones only
    /// the model can make (the userfaultfd ioctls without a userfaultfd, the NUMA scanner, WRPKRU on a CPU that
    /// may lack PKU, instruction fetches), and `fill`.
    public var isHostRunnable: Bool {
        guard case .syscall(let call, _) = self else { return true }
        return ConformHostCall.number(of: call) != nil || ConformHostCall.isHostAccess(call)
    }

    /// The wire form, one line: the call's name (`Syscall.name`) and its registers, window-relative fields as
    /// `w+8192`/`w-4096`, small negative values in decimal, everything else in hex; or `fill N`.
    public var description: String {
        switch self {
        case .fill(let headroom): return "fill \(headroom)"
        case .syscall(let call, let relative):
            var words = [call.name]
            for (index, value) in (call.registers ?? []).enumerated() {
                if let field = Self.field(at: index, of: call), relative.contains(field) {
                    words.append(ConformAddress.window(Int64(bitPattern: value)).description)
                } else if Int64(bitPattern: value) < 0 && Int64(bitPattern: value) >= -4096 {
                    words.append("\(Int64(bitPattern: value))")
                } else {
                    words.append("0x" + String(value, radix: 16))
                }
            }
            return words.joined(separator: " ")
        }
    }

    /// Parses the wire form; nil if malformed (unknown call, wrong number of arguments, a relative word where
    /// the call has no address).
    public init?(wire line: String) {
        let words = line.split(separator: " ")
        guard let name = words.first else { return nil }
        if name == "fill" {
            guard words.count == 2, let headroom = Int(words[1]) else { return nil }
            self = .fill(headroom: headroom)
            return
        }
        var registers: [UInt64] = []
        var relativeIndices: [Int] = []
        for (index, word) in words.dropFirst().enumerated() {
            if word.hasPrefix("w"), case .window(let offset)? = ConformAddress(wire: word) {
                registers.append(UInt64(bitPattern: offset))
                relativeIndices.append(index)
            } else if word.hasPrefix("0x"), let value = UInt64(word.dropFirst(2), radix: 16) {
                registers.append(value)
            } else if let value = Int64(word) {
                registers.append(UInt64(bitPattern: value))
            } else {
                return nil
            }
        }
        guard let call = Syscall(name: String(name), registers: registers) else { return nil }
        var relative: Set<SyscallField> = []
        for index in relativeIndices {
            guard let field = Self.field(at: index, of: call) else { return nil }
            relative.insert(field)
        }
        self = .syscall(call, relative: relative)
    }

    /// The address field held in register `index` of `call`, if that register is one.
    static func field(at index: Int, of call: Syscall) -> SyscallField? {
        [SyscallField.address, .newAddress].first { call.registerIndex(of: $0) == index }
    }
}
