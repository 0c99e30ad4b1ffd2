/// `vm_flags` of a VMA, with the values of include/linux/mm.h (spec §1.2).
public struct VMFlags: OptionSet, Hashable, Sendable {
    public var rawValue: UInt64
    public init(rawValue: UInt64) { self.rawValue = rawValue }

    public static let read = VMFlags(rawValue: 0x1)
    public static let write = VMFlags(rawValue: 0x2)
    public static let exec = VMFlags(rawValue: 0x4)
    public static let shared = VMFlags(rawValue: 0x8)
    public static let mayRead = VMFlags(rawValue: 0x10)
    public static let mayWrite = VMFlags(rawValue: 0x20)
    public static let mayExec = VMFlags(rawValue: 0x40)
    public static let mayShare = VMFlags(rawValue: 0x80)
    public static let growsDown = VMFlags(rawValue: 0x100)
    public static let uffdMissing = VMFlags(rawValue: 0x200)
    public static let pfnMap = VMFlags(rawValue: 0x400)
    public static let uffdWP = VMFlags(rawValue: 0x1000)
    public static let locked = VMFlags(rawValue: 0x2000)
    public static let io = VMFlags(rawValue: 0x4000)
    public static let seqRead = VMFlags(rawValue: 0x8000)
    public static let randRead = VMFlags(rawValue: 0x10000)
    public static let dontCopy = VMFlags(rawValue: 0x20000)
    public static let dontExpand = VMFlags(rawValue: 0x40000)
    public static let lockOnFault = VMFlags(rawValue: 0x80000)
    public static let account = VMFlags(rawValue: 0x100000)
    public static let noReserve = VMFlags(rawValue: 0x200000)
    public static let hugetlb = VMFlags(rawValue: 0x400000)
    public static let sync = VMFlags(rawValue: 0x800000)
    public static let wipeOnFork = VMFlags(rawValue: 0x2000000)
    public static let dontDump = VMFlags(rawValue: 0x4000000)
    public static let softDirty = VMFlags(rawValue: 0x8000000)
    public static let mixedMap = VMFlags(rawValue: 0x10000000)
    public static let hugePage = VMFlags(rawValue: 0x20000000)
    public static let noHugePage = VMFlags(rawValue: 0x40000000)
    public static let mergeable = VMFlags(rawValue: 0x80000000)
    /// `VM_PKEY_BIT0..3`, bits 32..35 on x86.
    public static let pkeyMask = VMFlags(rawValue: 0xF << 32)
    public static let pkeyShift: UInt64 = 32

    /// Mirrors `VM_ACCESS_FLAGS`.
    public static let accessFlags: VMFlags = [.read, .write, .exec]
    /// Mirrors `VM_SPECIAL`: mappings that never merge and are not expanded.
    public static let special: VMFlags = [.io, .dontExpand, .pfnMap, .mixedMap]
    /// Mirrors `VM_STACK` (= `VM_GROWSDOWN` on x86).
    public static let stack: VMFlags = [.growsDown]
    /// Mirrors `VM_FLAGS_CLEAR` on x86: the pkey bits, recomputed by every mprotect.
    public static let flagsClear: VMFlags = pkeyMask
    /// Mirrors `VM_STACK_INCOMPLETE_SETUP`.
    public static let stackIncompleteSetup: VMFlags = [.seqRead, .randRead]

    /// The protection key stored in bits 32..35.
    public var pkey: Int { Int((rawValue >> VMFlags.pkeyShift) & 0xF) }

    /// The same flags with `pkey` stored in the pkey bits.
    public func withPkey(_ pkey: Int) -> VMFlags {
        VMFlags(rawValue: (rawValue & ~VMFlags.pkeyMask.rawValue) | (UInt64(pkey & 0xF) << VMFlags.pkeyShift))
    }

    /// Models `calc_vm_prot_bits()`: PROT_* to VM_READ/WRITE/EXEC (PROT_SEM ignored) plus the pkey bits.
    public static func fromProt(_ prot: Protection, pkey: Int = 0) -> VMFlags {
        var flags: VMFlags = []
        if prot.contains(.read) { flags.insert(.read) }
        if prot.contains(.write) { flags.insert(.write) }
        if prot.contains(.exec) { flags.insert(.exec) }
        return flags.withPkey(pkey)
    }

    /// The `rwxp`/`rwxs` permission string of /proc/PID/maps (`s` comes from VM_MAYSHARE).
    public var mapsPermissions: String {
        (contains(.read) ? "r" : "-") + (contains(.write) ? "w" : "-") + (contains(.exec) ? "x" : "-")
            + (contains(.mayShare) ? "s" : "p")
    }

    /// Models `is_exec_mapping()`.
    public var isExecMapping: Bool { intersection([.exec, .write, .growsDown]) == .exec }
    /// Models `is_stack_mapping()`.
    public var isStackMapping: Bool { contains(.growsDown) }
    /// Models `is_data_mapping()`.
    public var isDataMapping: Bool { intersection([.write, .shared, .growsDown]) == .write }
    /// Models `is_cow_mapping()`: private and may become writable.
    public var isCOWMapping: Bool { intersection([.shared, .mayWrite]) == .mayWrite }
}

/// `PROT_*` bits of mmap/mprotect, as user space passes them.
public struct Protection: OptionSet, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt64
    public init(rawValue: UInt64) { self.rawValue = rawValue }
    public static let none: Protection = []
    public static let read = Protection(rawValue: 0x1)
    public static let write = Protection(rawValue: 0x2)
    public static let exec = Protection(rawValue: 0x4)
    /// `PROT_SEM`: accepted and ignored.
    public static let sem = Protection(rawValue: 0x8)
    /// `PROT_GROWSDOWN`.
    public static let growsDown = Protection(rawValue: 0x0100_0000)
    /// `PROT_GROWSUP`.
    public static let growsUp = Protection(rawValue: 0x0200_0000)

    public var description: String {
        if rawValue == 0 { return "PROT_NONE" }
        var parts: [String] = []
        let names: [(Protection, String)] = [
            (.read, "PROT_READ"), (.write, "PROT_WRITE"), (.exec, "PROT_EXEC"), (.sem, "PROT_SEM"),
            (.growsDown, "PROT_GROWSDOWN"), (.growsUp, "PROT_GROWSUP"),
        ]
        var rest = rawValue
        for (flag, name) in names where contains(flag) {
            parts.append(name)
            rest &= ~flag.rawValue
        }
        if rest != 0 { parts.append("0x" + String(rest, radix: 16)) }
        return parts.joined(separator: "|")
    }
}
