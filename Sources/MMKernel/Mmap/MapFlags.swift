/// `MAP_*` flags of mmap(2) with their x86-64 values.
public struct MapFlags: OptionSet, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt64
    public init(rawValue: UInt64) { self.rawValue = rawValue }
    public static let shared = MapFlags(rawValue: 0x01)
    public static let `private` = MapFlags(rawValue: 0x02)
    public static let sharedValidate = MapFlags(rawValue: 0x03)
    public static let fixed = MapFlags(rawValue: 0x10)
    public static let anonymous = MapFlags(rawValue: 0x20)
    public static let growsDown = MapFlags(rawValue: 0x100)
    public static let denyWrite = MapFlags(rawValue: 0x800)
    public static let executable = MapFlags(rawValue: 0x1000)
    public static let locked = MapFlags(rawValue: 0x2000)
    public static let noReserve = MapFlags(rawValue: 0x4000)
    public static let populate = MapFlags(rawValue: 0x8000)
    public static let nonBlock = MapFlags(rawValue: 0x10000)
    public static let stack = MapFlags(rawValue: 0x20000)
    public static let hugetlb = MapFlags(rawValue: 0x40000)
    public static let sync = MapFlags(rawValue: 0x80000)
    public static let fixedNoReplace = MapFlags(rawValue: 0x100000)
    /// `MAP_DROPPABLE` (6.11+): a value of the `MAP_TYPE` field, like MAP_SHARED and MAP_PRIVATE.
    public static let droppable = MapFlags(rawValue: 0x08)
    /// `MAP_HUGE_SHIFT`: the hugetlb page size field (log2 of the size) starts at bit 26, six bits wide.
    public static let hugeShift: UInt64 = 26
    public static let hugeMask: UInt64 = 0x3f
    /// `LEGACY_MAP_MASK`: the flags every mmap implementation accepts (with MAP_32BIT, MAP_UNINITIALIZED and the
    /// hugetlb size bits of `MAP_HUGE_2MB | MAP_HUGE_1GB`) (MAP_SHARED_VALIDATE refuses the others
    /// unless the file supports them, e.g. MAP_SYNC on DAX, which the model has no file for).
    public static var legacyMask: UInt64 {
        MapFlags([
            .shared, .private, .fixed, .anonymous, .denyWrite, .executable, .locked, .noReserve, .populate, .nonBlock,
            .stack, .hugetlb, .growsDown,
        ]).rawValue | 0x40 | (31 << MapFlags.hugeShift)
    }
    /// `MAP_TYPE`: the sharing mode field.
    public static let typeMask: UInt64 = 0x0f

    /// The names strace prints, in its order.
    public static let names: [(String, MapFlags)] = [
        ("MAP_SHARED_VALIDATE", .sharedValidate), ("MAP_SHARED", .shared), ("MAP_PRIVATE", .private),
        ("MAP_FIXED_NOREPLACE", .fixedNoReplace), ("MAP_FIXED", .fixed), ("MAP_ANONYMOUS", .anonymous),
        ("MAP_GROWSDOWN", .growsDown), ("MAP_DENYWRITE", .denyWrite), ("MAP_EXECUTABLE", .executable),
        ("MAP_LOCKED", .locked), ("MAP_NORESERVE", .noReserve), ("MAP_POPULATE", .populate),
        ("MAP_NONBLOCK", .nonBlock), ("MAP_STACK", .stack), ("MAP_HUGETLB", .hugetlb), ("MAP_SYNC", .sync),
    ]

    public var description: String {
        var parts: [String] = []
        var rest = rawValue
        switch rawValue & MapFlags.typeMask {
        case 0x01: parts.append("MAP_SHARED")
        case 0x02: parts.append("MAP_PRIVATE")
        case 0x03: parts.append("MAP_SHARED_VALIDATE")
        default: break
        }
        if rawValue & MapFlags.typeMask <= 3 { rest &= ~MapFlags.typeMask }
        for (name, flag) in MapFlags.names where flag.rawValue > 3 && rest & flag.rawValue == flag.rawValue {
            parts.append(name)
            rest &= ~flag.rawValue
        }
        if rest != 0 { parts.append("0x" + String(rest, radix: 16)) }
        return parts.isEmpty ? "0" : parts.joined(separator: "|")
    }
}
