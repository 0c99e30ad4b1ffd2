/// What a non-present, non-empty entry stands for. The numbering follows the kernel's swap types above
/// `MAX_SWAPFILES` (24 on x86-64): hwpoison, three migration types, three device types, then PTE markers.
public enum SwapEntryKind: Hashable, Sendable {
    /// A page in swap file `type` (0..<24) at `offset`.
    case swap(type: Int)
    /// Mirrors `SWP_HWPOISON`.
    case hwPoison
    /// Mirrors `SWP_MIGRATION_READ`.
    case migrationRead
    /// Mirrors `SWP_MIGRATION_READ_EXCLUSIVE`.
    case migrationReadExclusive
    /// Mirrors `SWP_MIGRATION_WRITE`.
    case migrationWrite
    /// Mirrors `SWP_DEVICE_WRITE`.
    case deviceWrite
    /// Mirrors `SWP_DEVICE_READ`.
    case deviceRead
    /// Mirrors `SWP_DEVICE_EXCLUSIVE`.
    case deviceExclusive
    /// Mirrors `SWP_PTE_MARKER`; the offset holds `PTEMarker` bits.
    case marker

    /// Mirrors `MAX_SWAPFILES` on x86-64 with migration, device entries and markers configured.
    public static let maxSwapFiles = 24

    /// The 5-bit type stored in bits 59..63.
    public var type: UInt64 {
        switch self {
        case .swap(let type): return UInt64(type)
        case .hwPoison: return 24
        case .migrationRead: return 25
        case .migrationReadExclusive: return 26
        case .migrationWrite: return 27
        case .deviceWrite: return 28
        case .deviceRead: return 29
        case .deviceExclusive: return 30
        case .marker: return 31
        }
    }

    public init(type: UInt64) {
        switch type {
        case 24: self = .hwPoison
        case 25: self = .migrationRead
        case 26: self = .migrationReadExclusive
        case 27: self = .migrationWrite
        case 28: self = .deviceWrite
        case 29: self = .deviceRead
        case 30: self = .deviceExclusive
        case 31: self = .marker
        default: self = .swap(type: Int(type))
        }
    }

    /// A migration entry of any kind.
    public var isMigration: Bool {
        self == .migrationRead || self == .migrationReadExclusive || self == .migrationWrite
    }
    /// A device-private entry of any kind.
    public var isDevicePrivate: Bool { self == .deviceRead || self == .deviceWrite }
    /// Migration or device entries that let the page become writable again when they are restored.
    public var isWritable: Bool { self == .migrationWrite || self == .deviceWrite }
}

/// Mirrors the `PTE_MARKER_*` bits stored in a marker entry's offset.
public struct PTEMarker: OptionSet, Hashable, Sendable {
    public var rawValue: UInt64
    public init(rawValue: UInt64) { self.rawValue = rawValue }
    /// Mirrors `PTE_MARKER_UFFD_WP`.
    public static let uffdWP = PTEMarker(rawValue: 1 << 0)
    /// Mirrors `PTE_MARKER_POISONED`.
    public static let poisoned = PTEMarker(rawValue: 1 << 1)
    /// Mirrors `PTE_MARKER_GUARD`.
    public static let guardRegion = PTEMarker(rawValue: 1 << 2)
}

/// The x86-64 swap-entry layout of arch/x86/include/asm/pgtable_64.h: type in bits 59..63, offset stored inverted in
/// bits 9..58, and the per-entry software bits soft-dirty (bit 1), uffd-wp (bit 2) and anon-exclusive (bit 3). Bits 0,
/// 7 and 8 are zero so the entry is neither present nor PROT_NONE. Models `__swp_entry()`/`__swp_offset()`.
public struct SwapEntry: Hashable, Sendable {
    public var kind: SwapEntryKind
    /// Swap offset, or the PFN for migration and device entries, or `PTEMarker` bits for markers.
    public var offset: UInt64
    /// Mirrors `_PAGE_SWP_SOFT_DIRTY`, bit 1.
    public var softDirty: Bool
    /// Mirrors `_PAGE_SWP_UFFD_WP`, bit 2.
    public var uffdWP: Bool
    /// Mirrors `_PAGE_SWP_EXCLUSIVE`, bit 3.
    public var exclusive: Bool

    static let offsetShift: UInt64 = 9
    static let offsetBits: UInt64 = 50
    static let offsetMask: UInt64 = (1 << offsetBits) - 1

    public init(
        kind: SwapEntryKind, offset: UInt64, softDirty: Bool = false, uffdWP: Bool = false, exclusive: Bool = false
    ) {
        self.kind = kind
        self.offset = offset & SwapEntry.offsetMask
        self.softDirty = softDirty
        self.uffdWP = uffdWP
        self.exclusive = exclusive
    }

    /// Decodes a non-present, non-empty entry; nil for anything else.
    public init?(pte: PTE) {
        guard pte.isSwap else { return nil }
        let raw = pte.rawValue
        kind = SwapEntryKind(type: raw >> 59)
        offset = (~raw >> SwapEntry.offsetShift) & SwapEntry.offsetMask
        softDirty = raw & (1 << 1) != 0
        uffdWP = raw & (1 << 2) != 0
        exclusive = raw & (1 << 3) != 0
    }

    /// The encoded entry.
    public var pte: PTE {
        var raw = kind.type << 59
        raw |= ((~offset) & SwapEntry.offsetMask) << SwapEntry.offsetShift
        if softDirty { raw |= 1 << 1 }
        if uffdWP { raw |= 1 << 2 }
        if exclusive { raw |= 1 << 3 }
        return PTE(rawValue: raw)
    }
}
