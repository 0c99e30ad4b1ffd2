import MMKernel

/// What a conformance run exercised, on each side: per call, how often it ran, the flag values (or advice, prot,
/// mlockall flags ...) it ran with, and the results each side gave (`0`, `addr` for a mapped address, an errno
/// name, `value` for a loaded value, a signal).
public struct ConformCoverage: Hashable, Sendable {
    /// One call name's counts.
    public struct Entry: Hashable, Sendable {
        /// Calls compared.
        public var count = 0
        /// The flag, advice or prot values seen, with counts.
        public var flags: [String: Int] = [:]
        /// Results on the real kernel, with counts.
        public var kernel: [String: Int] = [:]
        /// Results in the model, with counts.
        public var model: [String: Int] = [:]
    }

    /// Entries by call name (`mmap`, `madvise`, `read`, ...).
    public var calls: [String: Entry] = [:]

    public init() {}

    /// Counts one compared call and what each side answered.
    public mutating func record(_ call: ConformCall, kernel: String, model: String) {
        let name: String
        let flags: [String]
        switch call {
        case .fill:
            name = "fill"
            flags = []
        case .syscall(let syscall, _):
            name = syscall.name
            flags = ConformCoverage.flagNames(syscall)
        }
        calls[name, default: Entry()].count += 1
        for flag in flags { calls[name]!.flags[flag, default: 0] += 1 }
        calls[name]!.kernel[ConformCoverage.resultClass(kernel), default: 0] += 1
        calls[name]!.model[ConformCoverage.resultClass(model), default: 0] += 1
    }

    /// Adds another run's counts.
    public mutating func merge(_ other: ConformCoverage) {
        for (name, entry) in other.calls {
            var mine = calls[name, default: Entry()]
            mine.count += entry.count
            mine.flags.merge(entry.flags, uniquingKeysWith: +)
            mine.kernel.merge(entry.kernel, uniquingKeysWith: +)
            mine.model.merge(entry.model, uniquingKeysWith: +)
            calls[name] = mine
        }
    }

    /// A result reduced to its kind: errno names and signals stay, addresses become `addr`, numbers `0` or `n`,
    /// loaded tokens `value`.
    static func resultClass(_ result: String) -> String {
        if result.hasPrefix("w+") || result.hasPrefix("w-") || result.hasPrefix("a0x") { return "addr" }
        if result.hasPrefix("0x") { return "value" }
        if result == "0" { return "0" }
        if let first = result.first, first.isNumber { return "n" }
        return result
    }

    /// The flag words of `call`: each named flag of its flag argument (mmap: the type and each MAP_* bit; prot
    /// bits of mprotect; madvise's advice name; mlock2 and mlockall flags; mremap flags; prctl option), invalid
    /// bits as hex.
    static func flagNames(_ call: Syscall) -> [String] {
        switch call {
        case .mmap(_, let length, let prot, let flags, let fd, _):
            var words = bitNames(flags & ~MapFlags.typeMask, mapBits)
            words.append(
                mapTypes[flags & MapFlags.typeMask] ?? "type 0x" + String(flags & MapFlags.typeMask, radix: 16))
            words += bitNames(prot, protBits).map { "prot " + $0 }
            words.append(
                fd == -1
                    ? "fd -1"
                    : ConformFile.index(ofDescriptor: fd).map { "fd " + ConformFile.all[$0].name } ?? "fd bad")
            if length > 1 << 30 { words.append("huge length") }
            return words
        case .mprotect(_, _, let prot): return bitNames(prot, protBits)
        case .pkeyMprotect(_, _, let prot, let pkey):
            return bitNames(prot, protBits) + ["pkey \(Int32(truncatingIfNeeded: pkey))"]
        case .pkeyAlloc(let flags, let rights): return ["flags 0x" + String(flags, radix: 16), "rights \(rights)"]
        case .pkeyFree(let pkey): return ["pkey \(Int32(truncatingIfNeeded: pkey))"]
        case .madvise(_, _, let advice):
            let value = Int64(Int32(truncatingIfNeeded: advice))
            return [SyscallConstants.name(of: value, in: SyscallConstants.advice) ?? "advice \(value)"]
        case .mremap(_, _, _, let flags, _): return [SyscallConstants.bits(flags, SyscallConstants.mremapFlags)]
        case .mlock2(_, _, let flags): return [SyscallConstants.bits(flags, SyscallConstants.mlock2Flags)]
        case .mlockall(let flags): return [SyscallConstants.bits(flags, SyscallConstants.mlockallFlags)]
        case .mseal(_, _, let flags): return ["flags 0x" + String(flags, radix: 16)]
        case .prctl(let option, let arg2, _, _, _):
            let name = SyscallConstants.name(of: option, in: SyscallConstants.prctlOptions) ?? "option \(option)"
            return option == 65 ? [name + " " + SyscallConstants.bits(arg2, SyscallConstants.mdweFlags)] : [name]
        case .personality(let persona):
            return [
                persona == UInt64(Personality.query)
                    ? "query" : SyscallConstants.bits(persona, SyscallConstants.personaFlags, zero: "PER_LINUX")
            ]
        default: return []
        }
    }

    /// The MAP_* bits outside the type field, by name (x86-64).
    static let mapBits: [(name: String, value: UInt64)] = [
        ("MAP_FIXED", 0x10), ("MAP_ANONYMOUS", 0x20), ("MAP_32BIT", 0x40), ("MAP_GROWSDOWN", 0x100),
        ("MAP_DENYWRITE", 0x800), ("MAP_EXECUTABLE", 0x1000), ("MAP_LOCKED", 0x2000), ("MAP_NORESERVE", 0x4000),
        ("MAP_POPULATE", 0x8000), ("MAP_NONBLOCK", 0x10000), ("MAP_STACK", 0x20000), ("MAP_HUGETLB", 0x40000),
        ("MAP_SYNC", 0x80000), ("MAP_FIXED_NOREPLACE", 0x10_0000), ("MAP_HUGE_2MB", 21 << 26),
        ("MAP_HUGE_1GB", 30 << 26), ("MAP_UNINITIALIZED", 0x400_0000),
    ]

    /// The MAP_TYPE values.
    static let mapTypes: [UInt64: String] = [
        0x01: "MAP_SHARED", 0x02: "MAP_PRIVATE", 0x03: "MAP_SHARED_VALIDATE", 0x08: "MAP_DROPPABLE",
    ]

    /// The PROT_* bits.
    static let protBits: [(name: String, value: UInt64)] = [
        ("PROT_READ", 0x1), ("PROT_WRITE", 0x2), ("PROT_EXEC", 0x4), ("PROT_SEM", 0x8),
        ("PROT_GROWSDOWN", 0x0100_0000), ("PROT_GROWSUP", 0x0200_0000),
    ]

    /// Each bit of `value` named in `table` (whole entries first, so the hugetlb size fields count as one), the rest
    /// as one hex word; `PROT_NONE`-like `0` when empty.
    static func bitNames(_ value: UInt64, _ table: [(name: String, value: UInt64)]) -> [String] {
        var rest = value
        var words: [String] = []
        for entry in table.sorted(by: { $0.value.nonzeroBitCount > $1.value.nonzeroBitCount })
        where rest & entry.value == entry.value {
            words.append(entry.name)
            rest &= ~entry.value
        }
        if rest != 0 { words.append("0x" + String(rest, radix: 16)) }
        return words.isEmpty ? ["0"] : words
    }

    /// The table: one row per call, then per flag and per result, with kernel and model counts.
    public var table: String {
        var lines = ["call                  item                                   kernel    model"]
        for name in calls.keys.sorted() {
            let entry = calls[name]!
            lines.append(row(name, "calls", entry.count, entry.count))
            for (flag, count) in entry.flags.sorted(by: { $0.key < $1.key }) {
                lines.append(row("", "flag " + flag, count, count))
            }
            for result in Set(entry.kernel.keys).union(entry.model.keys).sorted() {
                lines.append(row("", "result " + result, entry.kernel[result] ?? 0, entry.model[result] ?? 0))
            }
        }
        return lines.joined(separator: "\n")
    }

    /// One padded row.
    func row(_ call: String, _ item: String, _ kernel: Int, _ model: Int) -> String {
        func pad(_ text: String, _ width: Int) -> String {
            text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
        }
        let kernelText = "\(kernel)"
        let modelText = "\(model)"
        return pad(call, 22) + pad(item, 38) + String(repeating: " ", count: max(1, 7 - kernelText.count))
            + kernelText + String(repeating: " ", count: max(1, 9 - modelText.count)) + modelText
    }
}
