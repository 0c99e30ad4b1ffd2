/// Sizes of the simulated TLB hierarchy. Defaults follow a current Intel core: a 64-entry 4-way L1 dTLB for 4 KiB
/// pages, 32 entries for 2 MiB pages, and a 1536-entry 12-way second-level TLB shared by both sizes.
public struct TLBGeometry: Hashable, Sendable {
    public var l1Sets4K: Int
    public var l1Ways4K: Int
    public var l1Sets2M: Int
    public var l1Ways2M: Int
    public var stlbSets: Int
    public var stlbWays: Int

    public init(
        l1Sets4K: Int = 16, l1Ways4K: Int = 4, l1Sets2M: Int = 8, l1Ways2M: Int = 4, stlbSets: Int = 128,
        stlbWays: Int = 12
    ) {
        self.l1Sets4K = l1Sets4K
        self.l1Ways4K = l1Ways4K
        self.l1Sets2M = l1Sets2M
        self.l1Ways2M = l1Ways2M
        self.stlbSets = stlbSets
        self.stlbWays = stlbWays
    }

    /// The default geometry.
    public static let intelDefault = TLBGeometry()

    /// Total entries of all levels.
    public var entryCount: Int { l1Sets4K * l1Ways4K + l1Sets2M * l1Ways2M + stlbSets * stlbWays }
}

/// One cached translation. `vpn` is the virtual page number (address >> 12); for a 2 MiB entry it is 512-aligned.
public struct TLBEntry: Hashable, Sendable {
    public var vpn: UInt64
    /// First frame of the mapping (for 2 MiB, the 512-aligned head frame).
    public var pfn: UInt64
    public var pcid: UInt16
    public var bits: Bits
    /// The protection key of the leaf entry (PTE bits 59..62), cached so that a PKRU check needs no walk.
    public var pkey: UInt8
    @usableFromInline var lastUse: UInt32

    /// Permissions and state cached with the translation.
    public struct Bits: OptionSet, Hashable, Sendable {
        public var rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }
        @inlinable public static var valid: Bits { Bits(rawValue: 1 << 0) }
        @inlinable public static var writable: Bits { Bits(rawValue: 1 << 1) }
        @inlinable public static var user: Bits { Bits(rawValue: 1 << 2) }
        @inlinable public static var noExecute: Bits { Bits(rawValue: 1 << 3) }
        /// The D bit was already set when the entry was filled; a write through a clean entry re-walks.
        @inlinable public static var dirty: Bits { Bits(rawValue: 1 << 4) }
        @inlinable public static var huge: Bits { Bits(rawValue: 1 << 5) }
        @inlinable public static var global: Bits { Bits(rawValue: 1 << 6) }
        /// A 2 MiB fragment of a 1 GiB page: invalidating any part of that page drops every fragment.
        @inlinable public static var giant: Bits { Bits(rawValue: 1 << 7) }
    }

    public init(vpn: UInt64, pfn: UInt64, pcid: UInt16, bits: Bits, pkey: UInt8 = 0) {
        self.vpn = vpn
        self.pfn = pfn
        self.pcid = pcid
        self.bits = bits
        self.pkey = pkey
        self.lastUse = 0
    }

    @usableFromInline static var invalid: TLBEntry { TLBEntry(vpn: 0, pfn: 0, pcid: 0, bits: []) }

    @inlinable var isValid: Bool { bits.contains(.valid) }
    @inlinable public var isHuge: Bool { bits.contains(.huge) }
    /// Bytes covered by this entry.
    public var size: UInt64 { isHuge ? PageGeometry.pmdSize : PageGeometry.pageSize }
    /// First virtual address covered.
    public var address: UInt64 { vpn << PageGeometry.pageShift }

    /// Whether this entry translates `vpn` (a 4 KiB page number) for `pcid`.
    @inlinable func covers(vpn page: UInt64, pcid tag: UInt16) -> Bool {
        guard isValid, pcid == tag || bits.contains(.global) else { return false }
        return isHuge ? (page & ~511) == vpn : page == vpn
    }

    /// The frame this entry gives for `vpn`.
    @inlinable public func frame(for page: UInt64) -> PFN {
        PFN(isHuge ? pfn + (page & 511) : pfn)
    }
}
