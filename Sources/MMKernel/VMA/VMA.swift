import MMHardware

/// One virtual memory area, `struct vm_area_struct`: a page-aligned half-open range with uniform flags and backing.
public struct VMA: Hashable, Sendable {
    public var start: UInt64
    public var end: UInt64
    public var flags: VMFlags
    /// `vm_page_prot`: the PTE template that faults install (see `ProtectionMap`).
    public var pageProt: PTEFlags
    /// `vm_pgoff`: offset into the file in pages (for anonymous VMAs, the virtual page number at creation).
    public var pgoff: UInt64
    public var file: FileID?
    /// `anon_vma`, assigned on the first anonymous fault (`anon_vma_prepare()`) or inherited at fork.
    public var anonVMA: AnonVMAID?
    /// The VMA's `anon_vma_chain` links more than one `anon_vma` (a VMA of a forked child): it then only merges
    /// with a neighbour sharing its exact `anon_vma` (`is_mergeable_anon_vma()`).
    public var anonVMAChained: Bool = false
    /// `vm_userfaultfd_ctx`: the userfaultfd this VMA is registered with.
    public var uffdContext: Int?
    /// `vm_policy`: a NUMA memory policy identifier (0 = default).
    public var mempolicy: Int = 0
    /// A label for /proc/PID/maps (`[stack]`, `[heap]`, an anon name) and for scenarios.
    public var name: String?
    /// `mseal()`ed: any modification fails with EPERM.
    public var sealed: Bool = false

    public init(start: UInt64, end: UInt64, flags: VMFlags, pgoff: UInt64 = 0, file: FileID? = nil) {
        self.start = start
        self.end = end
        self.flags = flags
        self.pageProt = ProtectionMap.pageProtection(for: flags)
        self.pgoff = pgoff
        self.file = file
    }

    /// Length in bytes.
    public var length: UInt64 { end - start }
    /// Length in pages.
    public var pages: UInt64 { (end - start) >> PageGeometry.pageShift }
    /// Models `vma_is_anonymous()`: no file and no special ops (shared anonymous memory is shmem, a file).
    public var isAnonymous: Bool { file == nil }
    /// Whether `address` lies inside.
    @inlinable public func contains(_ address: UInt64) -> Bool { address >= start && address < end }
    /// Models `vma_is_accessible()`.
    public var isAccessible: Bool { !flags.intersection(.accessFlags).isEmpty }
    /// The file page offset of `address`.
    public func filePage(of address: UInt64) -> UInt64 { pgoff + ((address - start) >> PageGeometry.pageShift) }
}
