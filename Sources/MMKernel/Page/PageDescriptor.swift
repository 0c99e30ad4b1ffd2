/// Per-frame state the kernel keeps in `struct page` / `struct folio`, kept to 16 bytes so that a populated page
/// costs its PTE, its contents token and this.
public struct PageDescriptor: Hashable, Sendable {
    /// `_refcount`: references that keep the frame allocated (mappings, the page cache, gathers in flight).
    public var refcount: Int32 = 0
    /// `_mapcount` + 1: how many PTEs or PMDs map the frame.
    public var mapcount: Int32 = 0
    public var flags: PageFlags = []
    /// For page-cache pages, the owning file; for anon pages, the owning `anon_vma`.
    public var owner: Int32 = 0

    public init() {}
}

/// Page and folio flags that matter to the model.
public struct PageFlags: OptionSet, Hashable, Sendable {
    public var rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    /// Handed out by the allocator.
    @inlinable public static var allocated: PageFlags { PageFlags(rawValue: 1 << 0) }
    /// `PageAnon`: an anonymous page.
    @inlinable public static var anon: PageFlags { PageFlags(rawValue: 1 << 1) }
    /// `PageAnonExclusive`: mapped by exactly one process, so a write fault may reuse it instead of copying.
    @inlinable public static var anonExclusive: PageFlags { PageFlags(rawValue: 1 << 2) }
    /// The shared zero page (or one of the huge zero page's frames).
    @inlinable public static var zeroPage: PageFlags { PageFlags(rawValue: 1 << 3) }
    /// Head frame of a PMD-sized folio.
    @inlinable public static var head: PageFlags { PageFlags(rawValue: 1 << 4) }
    /// Tail frame of a PMD-sized folio.
    @inlinable public static var tail: PageFlags { PageFlags(rawValue: 1 << 5) }
    /// In a file's page cache.
    @inlinable public static var pageCache: PageFlags { PageFlags(rawValue: 1 << 6) }
    /// `PG_lazyfree` after MADV_FREE: reclaim may drop it while it stays clean.
    @inlinable public static var lazyFree: PageFlags { PageFlags(rawValue: 1 << 7) }
    /// `PG_dirty` at the folio level (set when a dirty PTE is zapped or a shared page is written).
    @inlinable public static var dirty: PageFlags { PageFlags(rawValue: 1 << 8) }
    /// `PG_readahead` on a page-cache page: the page readahead marked so that a fault reaching it starts the next
    /// asynchronous window; fault-around leaves such a page for the fault handler to find.
    @inlinable public static var readahead: PageFlags { PageFlags(rawValue: 1 << 9) }
}
