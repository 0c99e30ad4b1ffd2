/// The hardware page walker of an x86-64 core with 4-level paging.
public enum PageWalker {
    /// The result of a walk.
    public enum Outcome: Hashable, Sendable {
        /// The translation, ready to be cached (PCID not yet set).
        case translated(TLBEntry)
        case fault(PageFaultError)
    }

    /// Walks PGD → PUD → PMD → PTE for `address`. Permissions combine across levels (RW and U must be set at every
    /// level, NX at any level forbids execution). On success the walker sets A in every entry it used and D in the
    /// leaf for a write, as hardware does with a locked update that re-checks P.
    ///
    /// `pkru` is the PKRU register when CR4.PKE is set (nil when protection keys are off): a data access to a user
    /// page whose leaf's key it forbids faults with `X86_PF_PK`, and the walk then changes nothing.
    public static func walk(
        root: TableID, address: UInt64, kind: AccessKind, tables: inout PageTableArena, pkru: UInt32? = nil
    )
        -> Outcome
    {
        var table = root
        var level = 4
        var writable = true
        var user = true
        var noExecute = false
        while true {
            let index = PageGeometry.index(address, level: level)
            let entry = tables[table, index]
            guard entry.hardwarePresent else {
                return .fault(PageFaultError.user(kind))
            }
            writable = writable && entry.isWritable
            user = user && entry.contains(.user)
            noExecute = noExecute || entry.isNoExecute
            let isLeaf = level == 1 || ((level == 2 || level == 3) && entry.isHuge)
            if !isLeaf {
                table = PageTableArena.child(of: entry)
                level -= 1
                continue
            }
            var bits: TLBEntry.Bits = [.valid]
            if writable { bits.insert(.writable) }
            if user { bits.insert(.user) }
            if noExecute { bits.insert(.noExecute) }
            let pkey = UInt8(entry.pkey)
            if let error = TLBEntry.violation(bits, pkey: pkey, kind, pkru: pkru) { return .fault(error) }
            setAccessed(root: root, address: address, down: level, tables: &tables)
            var leaf = tables[table, index]
            if kind == .write && !leaf.isDirty {
                leaf = leaf.setting(.dirty)
                tables[table, index] = leaf
            }
            if leaf.isDirty { bits.insert(.dirty) }
            let vpn = address >> PageGeometry.pageShift
            var pfn = leaf.pfn.rawValue
            if level == 1 {
                return .translated(TLBEntry(vpn: vpn, pfn: pfn, pcid: 0, bits: bits, pkey: pkey))
            }
            // A 1 GiB leaf is cached as the 2 MiB fragment that holds the address (hardware may splinter it so).
            if level == 3 {
                pfn += (vpn & 0x3FFFF) & ~511
                bits.insert(.giant)
            }
            bits.insert(.huge)
            return .translated(TLBEntry(vpn: vpn & ~511, pfn: pfn & ~511, pcid: 0, bits: bits, pkey: pkey))
        }
    }

    /// Second pass of a successful walk: sets A in every entry from the root down to the leaf `level`. Kept apart
    /// from the first pass so that a faulting walk changes nothing.
    static func setAccessed(root: TableID, address: UInt64, down leafLevel: Int, tables: inout PageTableArena) {
        var table = root
        var level = 4
        while level >= leafLevel {
            let index = PageGeometry.index(address, level: level)
            let entry = tables[table, index]
            if !entry.isAccessed { tables[table, index] = entry.setting(.accessed) }
            if level == leafLevel { return }
            table = PageTableArena.child(of: entry)
            level -= 1
        }
    }
}
