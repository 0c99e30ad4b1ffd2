/// Geometry of x86-64 4-level paging (arch/x86/include/asm/page_types.h, pgtable_64_types.h): 4 KiB base pages, 512
/// entries per table.
public enum PageGeometry {
    /// `PAGE_SHIFT`.
    public static let pageShift: UInt64 = 12
    /// `PAGE_SIZE`.
    public static let pageSize: UInt64 = 1 << pageShift
    /// `PMD_SHIFT`: a PMD entry maps 2 MiB.
    public static let pmdShift: UInt64 = 21
    /// `PMD_SIZE`.
    public static let pmdSize: UInt64 = 1 << pmdShift
    /// `PUD_SHIFT`: a PUD entry maps 1 GiB.
    public static let pudShift: UInt64 = 30
    /// `PUD_SIZE`.
    public static let pudSize: UInt64 = 1 << pudShift
    /// `PGDIR_SHIFT` with 4 levels.
    public static let pgdirShift: UInt64 = 39
    /// `PTRS_PER_PTE` (also per PMD, PUD, PGD).
    public static let entriesPerTable = 512
    /// `HPAGE_PMD_NR`: base pages in a PMD-mapped THP.
    public static let pagesPerPMD: UInt64 = 512
    /// `TASK_SIZE` for 4-level paging: the end of user space.
    public static let taskSize: UInt64 = 0x7fff_ffff_f000

    /// Rounds `value` down to a multiple of the power-of-two `alignment`.
    @inlinable public static func alignDown(_ value: UInt64, _ alignment: UInt64) -> UInt64 {
        value & ~(alignment - 1)
    }

    /// Rounds `value` up to a multiple of the power-of-two `alignment`, wrapping like the kernel's `ALIGN`.
    @inlinable public static func alignUp(_ value: UInt64, _ alignment: UInt64) -> UInt64 {
        (value &+ (alignment - 1)) & ~(alignment - 1)
    }

    /// Index into the table at `level` (4 = PGD, 3 = PUD, 2 = PMD, 1 = PTE) for `address`.
    @inlinable public static func index(_ address: UInt64, level: Int) -> Int {
        Int((address >> (pageShift + 9 * UInt64(level - 1))) & 511)
    }
}

/// A page frame number: the physical address shifted right by `PAGE_SHIFT`.
public struct PFN: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    public var rawValue: UInt64
    @inlinable public init(rawValue: UInt64) { self.rawValue = rawValue }
    @inlinable public init(_ value: UInt64) { self.rawValue = value }
    public static func < (lhs: PFN, rhs: PFN) -> Bool { lhs.rawValue < rhs.rawValue }
    public var description: String { "pfn:\(String(rawValue, radix: 16))" }
}

/// Index of a simulated CPU.
public struct CPUID: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    public var rawValue: Int
    @inlinable public init(rawValue: Int) { self.rawValue = rawValue }
    @inlinable public init(_ value: Int) { self.rawValue = value }
    public static func < (lhs: CPUID, rhs: CPUID) -> Bool { lhs.rawValue < rhs.rawValue }
    public var description: String { "cpu\(rawValue)" }
}

/// A process-context identifier tagging TLB entries (x86 PCID, 12 bits).
public struct PCID: RawRepresentable, Hashable, Sendable {
    public var rawValue: UInt16
    @inlinable public init(rawValue: UInt16) { self.rawValue = rawValue }
    @inlinable public init(_ value: UInt16) { self.rawValue = value }
}

/// Kind of a memory access performed by a simulated thread.
public enum AccessKind: String, Sendable, CaseIterable {
    case read
    case write
    case execute
}
