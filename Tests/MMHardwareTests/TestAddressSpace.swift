import MMHardware

/// A hand-built 4-level address space for the hardware tests: a root table plus helpers that allocate the missing
/// upper tables with `PageTableArena.entry(pointingTo:)`, as the kernel's `__pte_alloc()` family does, and read or
/// rewrite the entry at any level on the path of an address.
struct TestAddressSpace {
    var tables = PageTableArena()
    let root: TableID

    /// A private writable user mapping as the walker sees it (`PAGE_SHARED` without A, so tests see A being set).
    static let userRW: PTEFlags = [.present, .writable, .user]
    /// A read-only user mapping.
    static let userRO: PTEFlags = [.present, .user]

    init() {
        root = tables.allocate()
    }

    /// The table at `level` (4 = PGD … 1 = PTE) holding the entry for `address`, allocating missing upper tables.
    mutating func table(for address: UInt64, level: Int) -> TableID {
        var table = root
        var current = 4
        while current > level {
            let index = PageGeometry.index(address, level: current)
            if !tables[table, index].hardwarePresent {
                let child = tables.allocate()
                tables[table, index] = PageTableArena.entry(pointingTo: child)
            }
            table = PageTableArena.child(of: tables[table, index])
            current -= 1
        }
        return table
    }

    /// Stores `entry` at `level` for `address`.
    mutating func set(_ address: UInt64, level: Int, _ entry: PTE) {
        let table = table(for: address, level: level)
        tables[table, PageGeometry.index(address, level: level)] = entry
    }

    /// Maps the 4 KiB page holding `address` to `pfn`.
    mutating func map4K(_ address: UInt64, pfn: UInt64, flags: PTEFlags = userRW) {
        set(address, level: 1, PTE(pfn: PFN(pfn), flags: flags))
    }

    /// Maps the 2 MiB page holding `address` with a PSE leaf in the PMD.
    mutating func map2M(_ address: UInt64, pfn: UInt64, flags: PTEFlags = userRW) {
        set(address, level: 2, PTE(pfn: PFN(pfn), flags: flags.union(.pse)))
    }

    /// Maps the 1 GiB page holding `address` with a PSE leaf in the PUD.
    mutating func map1G(_ address: UInt64, pfn: UInt64, flags: PTEFlags = userRW) {
        set(address, level: 3, PTE(pfn: PFN(pfn), flags: flags.union(.pse)))
    }

    /// The entry at `level` for `address`; the upper levels must be present.
    func entry(_ address: UInt64, level: Int) -> PTE {
        var table = root
        var current = 4
        while current > level {
            let upper = tables[table, PageGeometry.index(address, level: current)]
            precondition(upper.hardwarePresent, "no table at level \(current - 1) for \(address)")
            table = PageTableArena.child(of: upper)
            current -= 1
        }
        return tables[table, PageGeometry.index(address, level: level)]
    }

    /// The entries on the path of `address` from the PGD (first) down to `leafLevel` (last).
    func path(_ address: UInt64, leafLevel: Int = 1) -> [PTE] {
        (leafLevel...4).reversed().map { entry(address, level: $0) }
    }

    /// Rewrites the entry at `level` for `address`, as the kernel does in the arena without telling the TLB.
    mutating func update(_ address: UInt64, level: Int = 1, _ transform: (PTE) -> PTE) {
        set(address, level: level, transform(entry(address, level: level)))
    }

    /// Clears A and D at every level on the path of `address`, so a walk's updates are observable.
    mutating func clearAccessedAndDirty(_ address: UInt64, leafLevel: Int = 1) {
        for level in leafLevel...4 {
            update(address, level: level) { $0.clearing([.accessed, .dirty]) }
        }
    }
}
