import Glibc

/// The `prot` argument of mmap and mprotect as a typed set of bits.
///
/// Arbitrary raw values are allowed on purpose (`HostProtection(rawValue: 0x10)`), so that tests can ask the
/// real kernel what it does with invalid bits, as the errno oracle does.
public struct HostProtection: OptionSet, Hashable, Sendable, CustomStringConvertible {
    /// The raw `prot` bits passed to the kernel.
    public let rawValue: Int32

    /// Wraps raw `prot` bits, valid or not.
    public init(rawValue: Int32) { self.rawValue = rawValue }

    /// `PROT_NONE`: no access; the empty set.
    public static let none: HostProtection = []
    /// Mirrors `PROT_READ` (0x1).
    public static let read = HostProtection(rawValue: PROT_READ)
    /// Mirrors `PROT_WRITE` (0x2).
    public static let write = HostProtection(rawValue: PROT_WRITE)
    /// Mirrors `PROT_EXEC` (0x4).
    public static let exec = HostProtection(rawValue: PROT_EXEC)
    /// Mirrors `PROT_SEM` (0x8): accepted by x86 Linux and ignored.
    public static let sem = HostProtection(rawValue: 0x8)
    /// Mirrors `PROT_GROWSDOWN` (0x0100_0000): extend the change down to the start of a grows-down VMA.
    public static let growsDown = HostProtection(rawValue: 0x0100_0000)
    /// Mirrors `PROT_GROWSUP` (0x0200_0000): always `EINVAL` on x86, which has no grows-up VMAs.
    public static let growsUp = HostProtection(rawValue: 0x0200_0000)
    /// `PROT_READ|PROT_WRITE`, the usual data protection.
    public static let readWrite: HostProtection = [.read, .write]

    /// The `rwx` triplet as `/proc/self/maps` prints it, e.g. `"r--"`.
    public var description: String {
        (contains(.read) ? "r" : "-") + (contains(.write) ? "w" : "-") + (contains(.exec) ? "x" : "-")
    }
}

/// The `flags` argument of mmap as a typed set of bits (Linux x86-64 values).
public struct HostMapFlags: OptionSet, Hashable, Sendable {
    /// The raw `flags` bits passed to the kernel.
    public let rawValue: Int32

    /// Wraps raw mmap flag bits, valid or not.
    public init(rawValue: Int32) { self.rawValue = rawValue }

    /// Mirrors `MAP_SHARED` (0x01): writes are visible to other mappings of the object.
    public static let shared = HostMapFlags(rawValue: MAP_SHARED)
    /// Mirrors `MAP_PRIVATE` (0x02): copy-on-write mapping.
    public static let `private` = HostMapFlags(rawValue: MAP_PRIVATE)
    /// Mirrors `MAP_FIXED` (0x10): place exactly at the address, replacing what is there.
    public static let fixed = HostMapFlags(rawValue: MAP_FIXED)
    /// Mirrors `MAP_ANONYMOUS` (0x20): zero-filled memory not backed by a file.
    public static let anonymous = HostMapFlags(rawValue: MAP_ANONYMOUS)
    /// Mirrors `MAP_GROWSDOWN` (0x100): a stack-like VMA.
    public static let growsDown = HostMapFlags(rawValue: MAP_GROWSDOWN)
    /// Mirrors `MAP_DENYWRITE` (0x800): ignored by modern kernels, still seen in ld.so traces.
    public static let denyWrite = HostMapFlags(rawValue: MAP_DENYWRITE)
    /// Mirrors `MAP_EXECUTABLE` (0x1000): ignored.
    public static let executable = HostMapFlags(rawValue: MAP_EXECUTABLE)
    /// Mirrors `MAP_LOCKED` (0x2000): lock the pages like mlock.
    public static let locked = HostMapFlags(rawValue: MAP_LOCKED)
    /// Mirrors `MAP_NORESERVE` (0x4000): no commit accounting (no `VM_ACCOUNT`).
    public static let noReserve = HostMapFlags(rawValue: MAP_NORESERVE)
    /// Mirrors `MAP_POPULATE` (0x8000): fault in all pages at mmap time.
    public static let populate = HostMapFlags(rawValue: MAP_POPULATE)
    /// Mirrors `MAP_STACK` (0x20000): a thread stack; also disables THP for the VMA.
    public static let stack = HostMapFlags(rawValue: MAP_STACK)
    /// Mirrors `MAP_HUGETLB` (0x40000): hugetlbfs-backed memory.
    public static let hugeTLB = HostMapFlags(rawValue: MAP_HUGETLB)
    /// Mirrors `MAP_FIXED_NOREPLACE` (0x100000): like `MAP_FIXED` but fails with `EEXIST` instead of replacing.
    public static let fixedNoReplace = HostMapFlags(rawValue: 0x10_0000)
}

/// The `advice` argument of madvise (Linux values).
public struct HostAdvice: RawRepresentable, Hashable, Sendable {
    /// The raw advice number passed to the kernel.
    public let rawValue: Int32

    /// Wraps a raw advice number, valid or not.
    public init(rawValue: Int32) { self.rawValue = rawValue }

    /// Mirrors `MADV_NORMAL` (0).
    public static let normal = HostAdvice(rawValue: 0)
    /// Mirrors `MADV_RANDOM` (1).
    public static let random = HostAdvice(rawValue: 1)
    /// Mirrors `MADV_SEQUENTIAL` (2).
    public static let sequential = HostAdvice(rawValue: 2)
    /// Mirrors `MADV_WILLNEED` (3).
    public static let willNeed = HostAdvice(rawValue: 3)
    /// Mirrors `MADV_DONTNEED` (4): zap the pages; anonymous memory reads back as zero.
    public static let dontNeed = HostAdvice(rawValue: 4)
    /// Mirrors `MADV_FREE` (8): lazily free anonymous pages.
    public static let free = HostAdvice(rawValue: 8)
    /// Mirrors `MADV_REMOVE` (9).
    public static let remove = HostAdvice(rawValue: 9)
    /// Mirrors `MADV_DONTFORK` (10): the child of fork does not inherit the range (`VM_DONTCOPY`).
    public static let dontFork = HostAdvice(rawValue: 10)
    /// Mirrors `MADV_DOFORK` (11).
    public static let doFork = HostAdvice(rawValue: 11)
    /// Mirrors `MADV_MERGEABLE` (12): KSM.
    public static let mergeable = HostAdvice(rawValue: 12)
    /// Mirrors `MADV_UNMERGEABLE` (13).
    public static let unmergeable = HostAdvice(rawValue: 13)
    /// Mirrors `MADV_HUGEPAGE` (14): allow THP for the range (`VM_HUGEPAGE`).
    public static let hugePage = HostAdvice(rawValue: 14)
    /// Mirrors `MADV_NOHUGEPAGE` (15): forbid THP, so the range is mapped with 4 KiB PTEs.
    public static let noHugePage = HostAdvice(rawValue: 15)
    /// Mirrors `MADV_DONTDUMP` (16).
    public static let dontDump = HostAdvice(rawValue: 16)
    /// Mirrors `MADV_DODUMP` (17).
    public static let doDump = HostAdvice(rawValue: 17)
    /// Mirrors `MADV_COLD` (20).
    public static let cold = HostAdvice(rawValue: 20)
    /// Mirrors `MADV_PAGEOUT` (21).
    public static let pageOut = HostAdvice(rawValue: 21)
    /// Mirrors `MADV_POPULATE_READ` (22): prefault readable (Linux 5.14+).
    public static let populateRead = HostAdvice(rawValue: 22)
    /// Mirrors `MADV_POPULATE_WRITE` (23): prefault writable, like writing every page (Linux 5.14+).
    public static let populateWrite = HostAdvice(rawValue: 23)
}
