/// The reserved address range a sequence runs in: `pages` pages from `base`, whose first and last pages stay
/// `PROT_NONE` guards at the start, with the interior unmapped; one unmapped page lies beyond each end.
///
/// Only `[layoutFromPage, layoutFromPage + layoutPages)` is compared, so that near-limit sequences with tens of
/// thousands of VMAs compare only where their calls act.
public struct ConformWindow: Hashable, Sendable {
    /// The first address of the window (page 0, the lower guard).
    public var base: UInt64
    /// Window size in pages, guards included.
    public var pages: Int
    /// First compared page.
    public var layoutFromPage: Int
    /// Number of compared pages.
    public var layoutPages: Int

    /// A window of `pages` pages at `base`, compared whole unless a part is given.
    public init(base: UInt64, pages: Int, layoutFromPage: Int = 0, layoutPages: Int? = nil) {
        self.base = base
        self.pages = pages
        self.layoutFromPage = layoutFromPage
        self.layoutPages = layoutPages ?? pages
    }

    /// Bytes in the window.
    public var length: UInt64 { UInt64(pages) * 4096 }
    /// First compared address.
    public var layoutBase: UInt64 { base + UInt64(layoutFromPage) * 4096 }
    /// Bytes compared.
    public var layoutLength: UInt64 { UInt64(layoutPages) * 4096 }
    /// The default window address tried first: high, below the mmap area of a normal process.
    public static let preferredBase: UInt64 = 0x6f00_0000_0000
}
