/// The bits of an x86-64 page-table entry. The names mirror the kernel's `_PAGE_*` macros of
/// arch/x86/include/asm/pgtable_types.h (docs/kernel-model.md, "The bits").
public struct PTEFlags: OptionSet, Hashable, Sendable {
    public var rawValue: UInt64
    @inlinable public init(rawValue: UInt64) { self.rawValue = rawValue }

    /// Mirrors `_PAGE_PRESENT`, bit 0.
    @inlinable public static var present: PTEFlags { PTEFlags(rawValue: 1 << 0) }
    /// Mirrors `_PAGE_RW`, bit 1.
    @inlinable public static var writable: PTEFlags { PTEFlags(rawValue: 1 << 1) }
    /// Mirrors `_PAGE_USER`, bit 2.
    @inlinable public static var user: PTEFlags { PTEFlags(rawValue: 1 << 2) }
    /// Mirrors `_PAGE_PWT`, bit 3.
    @inlinable public static var writeThrough: PTEFlags { PTEFlags(rawValue: 1 << 3) }
    /// Mirrors `_PAGE_PCD`, bit 4.
    @inlinable public static var cacheDisabled: PTEFlags { PTEFlags(rawValue: 1 << 4) }
    /// Mirrors `_PAGE_ACCESSED`, bit 5: set by the page walker.
    @inlinable public static var accessed: PTEFlags { PTEFlags(rawValue: 1 << 5) }
    /// Mirrors `_PAGE_DIRTY`, bit 6: set by the page walker on a write.
    @inlinable public static var dirty: PTEFlags { PTEFlags(rawValue: 1 << 6) }
    /// Mirrors `_PAGE_PSE`, bit 7: a leaf at PMD or PUD level (`_PAGE_PAT` in a 4 KiB PTE).
    @inlinable public static var pse: PTEFlags { PTEFlags(rawValue: 1 << 7) }
    /// Mirrors `_PAGE_GLOBAL`, bit 8. Never set in user PTEs.
    @inlinable public static var global: PTEFlags { PTEFlags(rawValue: 1 << 8) }
    /// Mirrors `_PAGE_PROTNONE`, bit 8 (aliases `_PAGE_GLOBAL`): with P clear, a PROT_NONE or NUMA-hinting entry.
    @inlinable public static var protNone: PTEFlags { PTEFlags(rawValue: 1 << 8) }
    /// Mirrors `_PAGE_SPECIAL` (`_PAGE_SOFTW1`), bit 9: no `struct page` behind it, e.g. the zero page.
    @inlinable public static var special: PTEFlags { PTEFlags(rawValue: 1 << 9) }
    /// Mirrors `_PAGE_UFFD_WP` (`_PAGE_SOFTW2`), bit 10.
    @inlinable public static var uffdWP: PTEFlags { PTEFlags(rawValue: 1 << 10) }
    /// Mirrors `_PAGE_SOFT_DIRTY` (`_PAGE_SOFTW3`), bit 11.
    @inlinable public static var softDirty: PTEFlags { PTEFlags(rawValue: 1 << 11) }
    /// Mirrors `_PAGE_PAT_LARGE`, bit 12 (PMD/PUD leaves only).
    @inlinable public static var patLarge: PTEFlags { PTEFlags(rawValue: 1 << 12) }
    /// Mirrors `_PAGE_SOFTW4`, bit 57 (was `_PAGE_DEVMAP`).
    @inlinable public static var software4: PTEFlags { PTEFlags(rawValue: 1 << 57) }
    /// Mirrors `_PAGE_SAVED_DIRTY` (`_PAGE_SOFTW5`), bit 58.
    @inlinable public static var savedDirty: PTEFlags { PTEFlags(rawValue: 1 << 58) }
    /// Mirrors `_PAGE_NX`, bit 63.
    @inlinable public static var noExecute: PTEFlags { PTEFlags(rawValue: 1 << 63) }

    /// Mirrors `_PAGE_PKEY_MASK`: bits 59..62.
    @inlinable public static var pkeyMask: PTEFlags { PTEFlags(rawValue: 0xF << 59) }
    /// Mirrors `PTE_PFN_MASK`: bits 12..51.
    @inlinable public static var pfnMask: UInt64 { 0x000F_FFFF_FFFF_F000 }
    /// Bit position of the protection key.
    @inlinable public static var pkeyShift: UInt64 { 59 }

    /// The flags of an entry without its PFN.
    @inlinable public var withoutPFN: PTEFlags { PTEFlags(rawValue: rawValue & ~PTEFlags.pfnMask) }
}

/// One 64-bit page-table entry at any level, with the present, PROT_NONE and swap encodings of
/// arch/x86/include/asm/pgtable_types.h and pgtable_64.h.
public struct PTE: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt64
    @inlinable public init(rawValue: UInt64) { self.rawValue = rawValue }

    /// The empty entry (`pte_none`).
    @inlinable public static var none: PTE { PTE(rawValue: 0) }

    /// A present leaf mapping `pfn` with `flags`.
    /// A leaf mapping `pfn` with `flags`. In a huge entry (PSE set) bit 12 is `_PAGE_PAT_LARGE`, not part of the
    /// PFN, so it is kept from `flags` (models `pfn_pmd()`).
    @inlinable public init(pfn: PFN, flags: PTEFlags) {
        var raw = (pfn.rawValue << PageGeometry.pageShift) & PTEFlags.pfnMask | flags.withoutPFN.rawValue
        if flags.contains(.pse) { raw |= flags.rawValue & PTEFlags.patLarge.rawValue }
        rawValue = raw
    }

    /// The flag bits with the PFN field removed. Bit 7 means PAT in a 4 KiB PTE and PSE above, so the entry's level
    /// decides; read PAT_LARGE of a huge entry with `contains(.patLarge)`.
    @inlinable public var flags: PTEFlags { PTEFlags(rawValue: rawValue & ~PTEFlags.pfnMask) }
    /// The frame number of a 4 KiB PTE (models `pte_pfn()`); for a huge entry use `hugePFN`.
    @inlinable public var pfn: PFN { PFN((rawValue & PTEFlags.pfnMask) >> PageGeometry.pageShift) }
    /// The frame number of a PMD or PUD leaf, PAT_LARGE masked out (models `pmd_pfn()`).
    @inlinable public var hugePFN: PFN {
        PFN((rawValue & PTEFlags.pfnMask & ~PTEFlags.patLarge.rawValue) >> PageGeometry.pageShift)
    }

    /// Models `pte_none()`: empty, ignoring stray A/D bits (the Knights Landing erratum mask).
    @inlinable public var isNone: Bool {
        rawValue & ~(PTEFlags.accessed.rawValue | PTEFlags.dirty.rawValue) == 0
    }
    /// The hardware P bit.
    @inlinable public var hardwarePresent: Bool { rawValue & PTEFlags.present.rawValue != 0 }
    /// Models `pte_protnone()`: PROTNONE set and P clear.
    @inlinable public var isProtNone: Bool {
        rawValue & (PTEFlags.present.rawValue | PTEFlags.protNone.rawValue) == PTEFlags.protNone.rawValue
    }
    /// Models `pte_present()`: P or PROTNONE.
    @inlinable public var isPresent: Bool {
        rawValue & (PTEFlags.present.rawValue | PTEFlags.protNone.rawValue) != 0
    }
    /// A non-present, non-empty entry: swap, migration, device or marker (`is_swap_pte()`).
    @inlinable public var isSwap: Bool { !isNone && !isPresent }
    @inlinable public var isWritable: Bool { rawValue & PTEFlags.writable.rawValue != 0 }
    @inlinable public var isDirty: Bool { rawValue & PTEFlags.dirty.rawValue != 0 }
    @inlinable public var isAccessed: Bool { rawValue & PTEFlags.accessed.rawValue != 0 }
    @inlinable public var isHuge: Bool { rawValue & PTEFlags.pse.rawValue != 0 }
    @inlinable public var isSpecial: Bool { rawValue & PTEFlags.special.rawValue != 0 }
    @inlinable public var isNoExecute: Bool { rawValue & PTEFlags.noExecute.rawValue != 0 }
    /// The protection key in bits 59..62.
    @inlinable public var pkey: Int { Int((rawValue >> PTEFlags.pkeyShift) & 0xF) }

    @inlinable public func contains(_ flag: PTEFlags) -> Bool { rawValue & flag.rawValue == flag.rawValue }
    @inlinable public func setting(_ flag: PTEFlags) -> PTE { PTE(rawValue: rawValue | flag.rawValue) }
    @inlinable public func clearing(_ flag: PTEFlags) -> PTE { PTE(rawValue: rawValue & ~flag.rawValue) }

    /// Models `pte_modify()`: keeps the bits of `_PAGE_CHG_MASK` (PFN, cache mode, A, D, software bits, and PSE and
    /// PAT_LARGE on a huge entry) and takes everything else (P, RW, U, PROTNONE, NX, pkey) from `newProtection`.
    @inlinable public func modified(to newProtection: PTEFlags) -> PTE {
        var keep =
            PTEFlags.pfnMask | PTEFlags.writeThrough.rawValue | PTEFlags.cacheDisabled.rawValue
            | PTEFlags.special.rawValue | PTEFlags.accessed.rawValue | PTEFlags.dirty.rawValue
            | PTEFlags.softDirty.rawValue | PTEFlags.uffdWP.rawValue | PTEFlags.savedDirty.rawValue
            | PTEFlags.software4.rawValue
        keep |= isHuge ? (PTEFlags.pse.rawValue | PTEFlags.patLarge.rawValue) : PTEFlags.pse.rawValue
        return PTE(rawValue: (rawValue & keep) | (newProtection.withoutPFN.rawValue & ~keep))
    }

    public var description: String { PTEFormatter.describe(self) }
}
