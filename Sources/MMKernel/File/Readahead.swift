import MMHardware

/// The readahead state of an open file. Models `struct file_ra_state` (include/linux/fs.h) as mmap faults use it:
/// the current window `[start, start + size)`, its asynchronous tail `asyncSize` (the window's page that starts
/// the next read carries `PG_readahead`), and `mmap_miss`, the count of page-cache misses against hits that turns
/// read-around off for a file faulted mostly at random.
public struct FileReadahead: Hashable, Sendable {
    /// `start`: the first page of the current window.
    public var start: UInt64 = 0
    /// `size`: the pages of the current window.
    public var size: UInt64 = 0
    /// `async_size`: how many pages of the window's tail are left when the marked page is reached.
    public var asyncSize: UInt64 = 0
    /// `mmap_miss`: raised by each mmap page-cache miss, lowered by each hit and by every page fault-around maps.
    public var mmapMiss: UInt16 = 0
    /// `order`: the folio order of the window's reads. A synchronous read starts at 0 and each asynchronous window
    /// asks for 2 more (c4602f9fa77f, 6.17), so a file read on sequentially comes in ever larger folios.
    public var order: UInt64 = 0
    /// The folios readahead marked with `PG_readahead` (first page → pages), so that a fault on any page of one
    /// finds the folio's extent. The model's page cache holds single pages; a large folio is a run of them, and
    /// only its mark is carried at folio granularity (fault-around skips every page of a marked folio).
    public var markedFolios: [UInt64: UInt64] = [:]

    public init() {}
}

extension Machine {
    /// `MMAP_LOTSAMISS` in mm/filemap.c: more misses than this and mmap read-around stops.
    static let mmapLotsAMiss: UInt16 = 100

    /// Models `do_sync_mmap_readahead()` in mm/filemap.c, run by a fault that missed the page cache of a regular
    /// file at `page`:
    /// - `VM_RAND_READ` (MADV_RANDOM) reads nothing ahead, unless the VMA is also executable; nor does a file
    ///   whose window (`readaheadPages`) is 0;
    /// - `VM_SEQ_READ` (MADV_SEQUENTIAL) reads forward from the page (`page_cache_sync_ra()`);
    /// - otherwise, once `mmap_miss` has passed `MMAP_LOTSAMISS`, nothing;
    /// - an executable VMA reads the window forward from the page, within the VMA, with no asynchronous tail
    ///   (3b61a3f08949, 6.16; x86's `exec_folio_order()` is 0);
    /// - anything else is read-around: the window centred on the page (starting at most half a window before it),
    ///   its last quarter asynchronous.
    ///
    /// The `VM_HUGEPAGE` branch, which reads PMD-sized folios that `filemap_map_pages()` may then map with a PMD, is
    /// not modelled: such a VMA is read around like any other and its pages are mapped by PTEs.
    mutating func doSyncMmapReadahead(_ vma: VMA, _ file: FileID, _ page: UInt64) {
        let raPages = config.readaheadPages
        if vma.flags.contains(.randRead) && !vma.flags.contains(.exec) { return }
        guard raPages > 0 else { return }
        if vma.flags.contains(.seqRead) {
            pageCacheSyncRA(file, page, request: raPages)
            return
        }
        var miss = files[file.rawValue].readahead.mmapMiss
        if miss < Machine.mmapLotsAMiss * 10 {
            miss += 1
            files[file.rawValue].readahead.mmapMiss = miss
        }
        if miss > Machine.mmapLotsAMiss { return }
        var ra = files[file.rawValue].readahead
        if vma.flags.contains(.exec) {
            ra.start = max(page, vma.pgoff)
            ra.size = min(ra.start + raPages, vma.pgoff + vma.pages) - ra.start
            ra.asyncSize = 0
        } else {
            ra.start = page > raPages / 2 ? page - raPages / 2 : 0
            ra.size = raPages
            ra.asyncSize = raPages / 4
        }
        ra.order = 0
        files[file.rawValue].readahead = ra
        pageCacheRAOrder(file)
    }

    /// Models `page_cache_sync_ra()` in mm/readahead.c for an mmap fault, which never records a previous position:
    /// at the file's first page it starts a fresh window of `request` pages whose second half is asynchronous;
    /// anywhere else it reads `request` pages from the page with no asynchronous tail and leaves the window alone
    /// (the "standalone, small random read" case, since a cached run behind the page can be at most a window long).
    mutating func pageCacheSyncRA(_ file: FileID, _ page: UInt64, request: UInt64) {
        guard page == 0 else {
            doPageCacheRA(file, start: page, count: request, asyncSize: 0)
            return
        }
        var ra = files[file.rawValue].readahead
        ra.start = 0
        ra.size = request
        ra.asyncSize = request / 2
        ra.order = 0
        files[file.rawValue].readahead = ra
        pageCacheRAOrder(file)
    }

    /// Models `do_async_mmap_readahead()` in mm/filemap.c, run by a fault that found `pfn` (page `page` of a
    /// regular file) in the page cache: a hit lowers `mmap_miss`; a page marked `PG_readahead` starts the next
    /// window (`page_cache_async_ra()`). Nothing at all under `VM_RAND_READ` or without a window, and then the mark
    /// stays. Returns whether readahead ran, which drops the fault's lock for the I/O, so that the fault is retried.
    mutating func doAsyncMmapReadahead(_ vma: VMA, _ file: FileID, _ page: UInt64, _ pfn: PFN) -> Bool {
        let raPages = config.readaheadPages
        if vma.flags.contains(.randRead) || raPages == 0 { return false }
        if files[file.rawValue].readahead.mmapMiss > 0 { files[file.rawValue].readahead.mmapMiss -= 1 }
        guard pages[pfn].flags.contains(.readahead) else { return false }
        pageCacheAsyncRA(file, page, pfn, request: raPages)
        return true
    }

    /// Models `page_cache_async_ra()` in mm/readahead.c: clears the mark of the page's folio; if the page is where
    /// the current window expected it (the window's asynchronous start, rounded down to the folio), the window moves
    /// on by its size and grows (`get_next_ra_size()`); otherwise a new window starts at the first page missing
    /// after this one (when that is within a window's reach). Either way the whole window is asynchronous, its
    /// folios two orders larger than the last window's, and its end is trimmed to their alignment.
    mutating func pageCacheAsyncRA(_ file: FileID, _ page: UInt64, _ pfn: PFN, request: UInt64) {
        let folio = clearReadaheadMark(file, page, pfn)
        let maxPages = config.readaheadPages
        var ra = files[file.rawValue].readahead
        if page == PageGeometry.alignDown(ra.start + ra.size - ra.asyncSize, folio) {
            ra.start += ra.size
            ra.size = max(ra.size, Machine.nextRASize(ra.size, max: maxPages))
        } else {
            // page_cache_next_miss(): the first page after `page` not in the cache, looking a window ahead.
            var start = page + 1
            while start <= page + maxPages && files[file.rawValue].pageCache[start] != nil { start += 1 }
            guard start - page <= maxPages else { return }
            ra.start = start
            ra.size = Machine.nextRASize(start - page + request, max: maxPages)
        }
        ra.order += 2
        let align: UInt64 = 1 << min(ra.order, UInt64(maxPages.trailingZeroBitCount))
        let end = ra.start + ra.size
        let alignedEnd = PageGeometry.alignDown(end, align)
        if alignedEnd > ra.start { ra.size -= end - alignedEnd }
        ra.asyncSize = ra.size
        files[file.rawValue].readahead = ra
        pageCacheRAOrder(file)
    }

    /// Clears `PG_readahead` on the folio holding page `page` (frame `pfn`) of `file`; returns its size in pages.
    mutating func clearReadaheadMark(_ file: FileID, _ page: UInt64, _ pfn: PFN) -> UInt64 {
        pages[pfn].flags.remove(.readahead)
        let marked = files[file.rawValue].readahead.markedFolios
        guard let (first, count) = marked.first(where: { page >= $0.key && page - $0.key < $0.value }) else {
            return 1
        }
        files[file.rawValue].readahead.markedFolios[first] = nil
        for index in first..<first + count {
            if let frame = files[file.rawValue].pageCache[index] { pages[frame].flags.remove(.readahead) }
        }
        return count
    }

    /// Models `get_next_ra_size()` in mm/readahead.c: a small window quadruples, a middling one doubles, a large
    /// one becomes the maximum.
    static func nextRASize(_ current: UInt64, max: UInt64) -> UInt64 {
        if current < max / 16 { return 4 * current }
        if current <= max / 2 { return 2 * current }
        return max
    }

    /// The largest folio order the page cache uses (`MAX_PAGECACHE_ORDER` on x86-64: a PMD).
    static let maxPageCacheOrder: UInt64 = 9

    /// Models `page_cache_ra_order()` in mm/readahead.c for the file's current window (the model's regular files
    /// support large folios, as ext4 and xfs do in 6.18): folios of the window's order (at most the window's size
    /// and `MAX_PAGECACHE_ORDER`; smaller where the index is not aligned to it or the file ends first) are read in
    /// from its start; the folio holding the window's asynchronous start gets `PG_readahead`. A page already
    /// cached ends that loop (`filemap_add_folio()` fails) and the rest of the window is read page by page
    /// (`do_page_cache_ra()`). The model's files read synchronously (like the holes of a sparse file, which need no
    /// I/O), so every page read is uptodate and unlocked at once. Readahead stops quietly when memory runs out.
    mutating func pageCacheRAOrder(_ file: FileID) {
        var ra = files[file.rawValue].readahead
        let size = files[file.rawValue].sizePages
        guard ra.size > 0, size > 0 else { return }
        let limit = min(size - 1, ra.start + ra.size - 1)
        let order = min(ra.order, Machine.maxPageCacheOrder, UInt64(63 - ra.size.leadingZeroBitCount))
        ra.order = order
        files[file.rawValue].readahead = ra
        let mark = ra.start + ra.size - ra.asyncSize
        var index = ra.start
        while index <= limit {
            var folioOrder = order
            if index & ((1 << folioOrder) - 1) != 0 { folioOrder = UInt64(index.trailingZeroBitCount) }
            while folioOrder > 0 && index + (1 << folioOrder) - 1 > limit { folioOrder -= 1 }
            let count: UInt64 = 1 << folioOrder
            let folio = index..<index + count
            if folio.contains(where: { files[file.rawValue].pageCache[$0] != nil }) {
                doPageCacheRA(file, start: index, count: ra.size - (index - ra.start), asyncSize: ra.asyncSize)
                return
            }
            guard readFolio(file, folio, marked: folio.contains(mark)) else { return }
            index += count
        }
    }

    /// Models `do_page_cache_ra()` / `page_cache_ra_unbounded()` in mm/readahead.c: reads pages
    /// `[start, start + count)` of `file` one by one up to the end of the file, skipping pages already cached, and
    /// marks `PG_readahead` on the page `asyncSize` before the end if this read brought it in.
    mutating func doPageCacheRA(_ file: FileID, start: UInt64, count: UInt64, asyncSize: UInt64) {
        let end = min(start + count, files[file.rawValue].sizePages)
        guard start < end else { return }
        let mark = asyncSize > 0 && asyncSize <= count ? start + count - asyncSize : nil
        for index in start..<end where files[file.rawValue].pageCache[index] == nil {
            guard readFolio(file, index..<index + 1, marked: index == mark) else { return }
        }
    }

    /// Reads the pages of one folio into `file`'s page cache, marking them all `PG_readahead` if `marked`; false
    /// when memory ran out.
    mutating func readFolio(_ file: FileID, _ folio: Range<UInt64>, marked: Bool) -> Bool {
        // A marked folio that left the cache leaves no mark on the pages read in its place.
        if !files[file.rawValue].readahead.markedFolios.isEmpty {
            files[file.rawValue].readahead.markedFolios = files[file.rawValue].readahead.markedFolios.filter {
                $0.key + $0.value <= folio.lowerBound || $0.key >= folio.upperBound
            }
        }
        for index in folio {
            guard let pfn = pageCachePage(file, index) else { return false }
            if marked { pages[pfn].flags.insert(.readahead) }
        }
        if marked { files[file.rawValue].readahead.markedFolios[folio.lowerBound] = UInt64(folio.count) }
        return true
    }
}
