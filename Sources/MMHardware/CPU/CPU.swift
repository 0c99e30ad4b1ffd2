/// One simulated x86-64 core: its TLB, its CR3 (page-table root and PCID) and its counters.
public struct CPU: Sendable {
    public let id: CPUID
    public var tlb: TLB
    /// Root table loaded in CR3, nil while no user address space is loaded.
    public private(set) var root: TableID?
    /// PCID in CR3 (0 when PCIDs are disabled).
    public private(set) var pcid: UInt16 = 0
    public var counters = CPUCounters()
    /// CR4.PKE: protection keys for user pages are on, so PKRU restricts data accesses.
    public private(set) var protectionKeysEnabled = false
    /// The PKRU register (AD for key k in bit 2k, WD in bit 2k+1); 0 at reset, meaning every key is open.
    public private(set) var pkru: UInt32 = 0

    /// A core with `geometry`; `protectionKeys` sets CR4.PKE from the start.
    public init(id: CPUID, geometry: TLBGeometry = .intelDefault, protectionKeys: Bool = false) {
        self.id = id
        self.tlb = TLB(geometry: geometry)
        self.protectionKeysEnabled = protectionKeys
    }

    /// Models setting or clearing CR4.PKE (`cr4_set_bits(X86_CR4_PKE)` in `setup_pku()`). Cached translations stay:
    /// they carry their key, and the check happens at each access.
    public mutating func setProtectionKeys(enabled: Bool) {
        protectionKeysEnabled = enabled
    }

    /// Models WRPKRU (and the PKRU restore of a context switch): the new rights apply to the very next access,
    /// TLB entries included, with no invalidation, which is what makes protection keys cheap to switch. With CR4.PKE
    /// clear the instruction raises #UD: nothing changes and the result is false.
    @discardableResult
    public mutating func writePKRU(_ value: UInt32) -> Bool {
        guard protectionKeysEnabled else { return false }
        pkru = value
        return true
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
    /// that sets A and D, fills the TLB, or raises a page fault with the x86 error code. With CR4.PKE set, a read
    /// or write to a user page whose key PKRU forbids faults with `X86_PF_PK`, whether the translation came from the
    /// TLB or from a walk; instruction fetches ignore PKRU.
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
        let rights: UInt32? = protectionKeysEnabled ? pkru : nil
        if let (entry, level) = tlb.lookup(vpn: vpn, pcid: pcid) {
            if let error = TLBEntry.violation(entry.bits, pkey: entry.pkey, kind, pkru: rights) {
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
        switch PageWalker.walk(root: root, address: address, kind: kind, tables: &tables, pkru: rights) {
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
    /// The fault an access of `kind` raises through a translation with `bits` and protection key `pkey`, or nil if
    /// it is allowed. `pkru` is the PKRU register when CR4.PKE is set: it only restricts data accesses to user
    /// pages, and a forbidden one carries `X86_PF_PK` (with `X86_PF_PROT`, plus whatever else the page refused).
    @inlinable static func violation(
        _ bits: Bits, pkey: UInt8, _ kind: AccessKind, pkru: UInt32?
    ) -> PageFaultError? {
        let error = violation(bits, kind)
        guard let pkru, kind != .execute, bits.contains(.user),
            !PKRU.permits(pkru, key: Int(pkey), write: kind == .write)
        else { return error }
        return (error ?? PageFaultError.user(kind).union(.protection)).union(.protectionKey)
    }

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
