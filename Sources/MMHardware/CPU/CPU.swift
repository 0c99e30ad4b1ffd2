/// One simulated x86-64 core: its TLB, its CR3 (page-table root and PCID) and its counters.
public struct CPU: Sendable {
    public let id: CPUID
    public var tlb: TLB
    /// Root table loaded in CR3, nil while no user address space is loaded.
    public private(set) var root: TableID?
    /// PCID in CR3 (0 when PCIDs are disabled).
    public private(set) var pcid: UInt16 = 0
    public var counters = CPUCounters()

    public init(id: CPUID, geometry: TLBGeometry = .intelDefault) {
        self.id = id
        self.tlb = TLB(geometry: geometry)
    }

    /// Models a MOV to CR3. Without `noFlush` the new PCID's non-global entries are dropped.
    public mutating func loadCR3(root: TableID?, pcid: UInt16, noFlush: Bool) {
        self.root = root
        self.pcid = pcid
        counters.cr3Loads += 1
        if !noFlush {
            tlb.flush(pcid: pcid)
            counters.fullFlushes += 1
        }
    }

    /// Models INVLPG: drops any entry covering `address` in the current PCID, whatever its size.
    public mutating func invlpg(_ address: UInt64) {
        tlb.invalidatePage(vpn: address >> PageGeometry.pageShift, pcid: pcid)
        counters.invlpg += 1
    }

    /// Models a full flush of the current PCID (`flush_tlb_local()`: CR3 rewritten with its own value).
    public mutating func flushCurrentPCID() {
        tlb.flush(pcid: pcid)
        counters.fullFlushes += 1
    }

    /// Models INVPCID single-context for another PCID (not counted as a flush of the running context).
    public mutating func invalidatePCID(_ other: UInt16) {
        tlb.flush(pcid: other)
    }

    /// The outcome of translating one user access.
    public enum Translation: Hashable, Sendable {
        case frame(PFN)
        case fault(PageFaultError)
    }

    /// Translates a user-mode access as the MMU does: the TLB first (a hit is trusted as cached), then a page walk
    /// that sets A and D, fills the TLB, or raises a page fault with the x86 error code.
    ///
    /// A write through a TLB entry whose D bit was clear re-walks to set D, as Intel cores do; a cached entry that
    /// does not permit the access faults without re-walking, and the fault drops that entry.
    public mutating func translate(
        _ address: UInt64, _ kind: AccessKind, tables: inout PageTableArena
    )
        -> Translation
    {
        counters.accesses += 1
        let vpn = address >> PageGeometry.pageShift
        if let (entry, level) = tlb.lookup(vpn: vpn, pcid: pcid) {
            if let error = TLBEntry.violation(entry.bits, kind) {
                counters.pageFaults += 1
                tlb.invalidatePage(vpn: vpn, pcid: pcid)
                return .fault(error)
            }
            if kind != .write || entry.bits.contains(.dirty) {
                if level == .l1 { counters.l1Hits += 1 } else { counters.stlbHits += 1 }
                return .frame(entry.frame(for: vpn))
            }
        } else {
            counters.misses += 1
        }
        guard let root else {
            counters.pageFaults += 1
            return .fault(.user(kind))
        }
        counters.walks += 1
        switch PageWalker.walk(root: root, address: address, kind: kind, tables: &tables) {
        case .fault(let error):
            counters.pageFaults += 1
            tlb.invalidatePage(vpn: vpn, pcid: pcid)
            return .fault(error)
        case .translated(var entry):
            entry.pcid = pcid
            tlb.fill(entry)
            return .frame(entry.frame(for: vpn))
        }
    }
}

extension TLBEntry {
    /// The fault a cached entry raises for an access of `kind`, or nil if it permits it.
    @inlinable static func violation(_ bits: Bits, _ kind: AccessKind) -> PageFaultError? {
        if !bits.contains(.user) { return PageFaultError.user(kind).union(.protection) }
        switch kind {
        case .read: return nil
        case .write: return bits.contains(.writable) ? nil : [.protection, .write, .user]
        case .execute: return bits.contains(.noExecute) ? [.protection, .instruction, .user] : nil
        }
    }
}
