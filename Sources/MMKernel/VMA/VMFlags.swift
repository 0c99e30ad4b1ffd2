/// `vm_flags` of a VMA, with the values of include/linux/mm.h (Linux 6.18).
public struct VMFlags: OptionSet, Hashable, Sendable {
    public var rawValue: UInt64
    public init(rawValue: UInt64) { self.rawValue = rawValue }

    @inlinable public static var read: VMFlags { VMFlags(rawValue: 0x1) }
    @inlinable public static var write: VMFlags { VMFlags(rawValue: 0x2) }
    @inlinable public static var exec: VMFlags { VMFlags(rawValue: 0x4) }
    @inlinable public static var shared: VMFlags { VMFlags(rawValue: 0x8) }
    @inlinable public static var mayRead: VMFlags { VMFlags(rawValue: 0x10) }
    @inlinable public static var mayWrite: VMFlags { VMFlags(rawValue: 0x20) }
    @inlinable public static var mayExec: VMFlags { VMFlags(rawValue: 0x40) }
    @inlinable public static var mayShare: VMFlags { VMFlags(rawValue: 0x80) }
    @inlinable public static var growsDown: VMFlags { VMFlags(rawValue: 0x100) }
    @inlinable public static var uffdMissing: VMFlags { VMFlags(rawValue: 0x200) }
    @inlinable public static var pfnMap: VMFlags { VMFlags(rawValue: 0x400) }
    @inlinable public static var uffdWP: VMFlags { VMFlags(rawValue: 0x1000) }
    @inlinable public static var locked: VMFlags { VMFlags(rawValue: 0x2000) }
    @inlinable public static var io: VMFlags { VMFlags(rawValue: 0x4000) }
    @inlinable public static var seqRead: VMFlags { VMFlags(rawValue: 0x8000) }
    @inlinable public static var randRead: VMFlags { VMFlags(rawValue: 0x10000) }
    @inlinable public static var dontCopy: VMFlags { VMFlags(rawValue: 0x20000) }
    @inlinable public static var dontExpand: VMFlags { VMFlags(rawValue: 0x40000) }
    @inlinable public static var lockOnFault: VMFlags { VMFlags(rawValue: 0x80000) }
    @inlinable public static var account: VMFlags { VMFlags(rawValue: 0x100000) }
    @inlinable public static var noReserve: VMFlags { VMFlags(rawValue: 0x200000) }
    @inlinable public static var hugetlb: VMFlags { VMFlags(rawValue: 0x400000) }
    @inlinable public static var sync: VMFlags { VMFlags(rawValue: 0x800000) }
    @inlinable public static var wipeOnFork: VMFlags { VMFlags(rawValue: 0x2000000) }
    @inlinable public static var dontDump: VMFlags { VMFlags(rawValue: 0x4000000) }
    @inlinable public static var softDirty: VMFlags { VMFlags(rawValue: 0x8000000) }
    @inlinable public static var mixedMap: VMFlags { VMFlags(rawValue: 0x10000000) }
    @inlinable public static var hugePage: VMFlags { VMFlags(rawValue: 0x20000000) }
    @inlinable public static var noHugePage: VMFlags { VMFlags(rawValue: 0x40000000) }
    @inlinable public static var mergeable: VMFlags { VMFlags(rawValue: 0x80000000) }
    /// `VM_DROPPABLE` (`VM_HIGH_ARCH_6`, bit 38 on x86-64): a MAP_DROPPABLE mapping, whose pages reclaim may free
    /// without writing them anywhere.
    @inlinable public static var droppable: VMFlags { VMFlags(rawValue: 1 << 38) }
    /// `VM_PKEY_BIT0..3`, bits 32..35 on x86.
    @inlinable public static var pkeyMask: VMFlags { VMFlags(rawValue: 0xF << 32) }
    @inlinable public static var pkeyShift: UInt64 { 32 }

    /// Mirrors `VM_ACCESS_FLAGS`.
    @inlinable public static var accessFlags: VMFlags { [.read, .write, .exec] }
    /// Mirrors `VM_SPECIAL`: mappings that never merge and are not expanded.
    @inlinable public static var special: VMFlags { [.io, .dontExpand, .pfnMap, .mixedMap] }
    /// Mirrors `VM_LOCKED_MASK`: the flags mlock sets and munlock clears.
    @inlinable public static var lockedMask: VMFlags { [.locked, .lockOnFault] }
    /// Mirrors `VM_INIT_DEF_MASK`: the part of `def_flags` a new mm (fork, exec) takes over.
    @inlinable public static var initDefaultMask: VMFlags { [.noHugePage] }
    /// Mirrors `VM_STACK` (= `VM_GROWSDOWN` on x86).
    @inlinable public static var stack: VMFlags { [.growsDown] }
    /// Mirrors `VM_FLAGS_CLEAR` on x86: the pkey bits, recomputed by every mprotect.
    @inlinable public static var flagsClear: VMFlags { pkeyMask }
    /// Mirrors `VM_STACK_INCOMPLETE_SETUP`.
    @inlinable public static var stackIncompleteSetup: VMFlags { [.seqRead, .randRead] }

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
