/// Identifies one 512-entry page-table frame in a `PageTableArena`.
public struct TableID: RawRepresentable, Hashable, Sendable {
    public var rawValue: UInt32
    @inlinable public init(rawValue: UInt32) { self.rawValue = rawValue }
}

/// Page-table memory: one flat array of 512-slot frames. A non-leaf entry holds its child's frame number in the PFN
/// field, exactly as hardware does, so a walk is index arithmetic and never touches a class or a dictionary.
/// A value type: copying a machine copies its page tables (copy-on-write).
public struct PageTableArena: Sendable {
    @usableFromInline var slots: [UInt64]
    @usableFromInline var freeList: [UInt32]
    /// Frames currently in use.
    public private(set) var liveTables: Int = 0

    /// The flags the kernel gives every non-leaf entry of a user page table (`_PAGE_TABLE`): present, writable,
    /// user and accessed, so that the leaf alone decides the permissions.
    public static let tableEntryFlags: PTEFlags = [.present, .writable, .user, .accessed]

    public init() {
        slots = []
        freeList = []
    }

    /// Number of frames ever allocated (live or on the free list).
    public var capacity: Int { slots.count / PageGeometry.entriesPerTable }
    /// Bytes of simulated page-table memory.
    public var bytes: Int { slots.count * MemoryLayout<UInt64>.stride }

    /// Allocates a zeroed table frame (models `pte_alloc_one()` and friends).
    public mutating func allocate() -> TableID {
        liveTables += 1
        if let reused = freeList.popLast() {
            return TableID(rawValue: reused)
        }
        let id = UInt32(capacity)
        slots.append(contentsOf: repeatElement(0, count: PageGeometry.entriesPerTable))
        return TableID(rawValue: id)
    }

    /// Returns a table frame to the free list; its entries are cleared first.
    public mutating func free(_ table: TableID) {
        let base = Int(table.rawValue) * PageGeometry.entriesPerTable
        for index in base..<(base + PageGeometry.entriesPerTable) { slots[index] = 0 }
        freeList.append(table.rawValue)
        liveTables -= 1
    }

    /// The entry at `index` of `table`.
    @inlinable public subscript(table: TableID, index: Int) -> PTE {
        get { PTE(rawValue: slots[Int(table.rawValue) &* 512 &+ index]) }
        set { slots[Int(table.rawValue) &* 512 &+ index] = newValue.rawValue }
    }

    /// The non-leaf entry pointing at `child`.
    @inlinable public static func entry(pointingTo child: TableID) -> PTE {
        PTE(pfn: PFN(UInt64(child.rawValue)), flags: tableEntryFlags)
    }

    /// The child table of a non-leaf entry.
    @inlinable public static func child(of entry: PTE) -> TableID {
        TableID(rawValue: UInt32(truncatingIfNeeded: entry.pfn.rawValue))
    }

    /// Whether `table` has no non-empty entry.
    public func isEmpty(_ table: TableID) -> Bool {
        let base = Int(table.rawValue) * PageGeometry.entriesPerTable
        for index in base..<(base + PageGeometry.entriesPerTable) where slots[index] != 0 { return false }
        return true
    }

    /// Applies `body` to every entry of `table` in `range`, through one unsafe buffer: the hot path of range walks.
    /// `body` receives the slot index and the entry and may rewrite the entry in place.
    @inlinable public mutating func update(
        _ table: TableID, _ range: Range<Int>, _ body: (Int, inout PTE) throws -> Void
    ) rethrows {
        let base = Int(table.rawValue) &* 512
        try slots.withUnsafeMutableBufferPointer { buffer in
            try buffer.baseAddress!.withMemoryRebound(to: PTE.self, capacity: buffer.count) { pointer in
                for index in range {
                    try body(index, &pointer[base &+ index])
                }
            }
        }
    }
}

/// Where a software walk of the tables for one address stopped.
public struct PageTableSlot: Hashable, Sendable {
    /// 4 = PGD, 3 = PUD, 2 = PMD, 1 = PTE.
    public var level: Int
    public var table: TableID
    public var index: Int
}

extension PageTableArena {
    /// Walks from `root` towards `address` without side effects and returns the slot holding the leaf (or the first
    /// empty or non-present entry), like the kernel's `follow_pte()`-style lookups.
    public func locate(root: TableID, address: UInt64) -> (slot: PageTableSlot, entry: PTE) {
        var table = root
        var level = 4
        while true {
            let index = PageGeometry.index(address, level: level)
            let entry = self[table, index]
            if level == 1 || !entry.hardwarePresent || entry.isHuge {
                return (PageTableSlot(level: level, table: table, index: index), entry)
            }
            table = PageTableArena.child(of: entry)
            level -= 1
        }
    }
}
