import MMHardware

/// A simulated open file: its open mode, the mount's `noexec`, memfd seals, and its page cache. Shared anonymous
/// mappings are backed by an anonymous shmem file of this kind, as in the kernel.
public struct SimFile: Sendable {
    public let id: FileID
    public var name: String
    /// Size in pages; faults beyond it raise SIGBUS.
    public var sizePages: UInt64
    /// `FMODE_READ`.
    public var readable: Bool
    /// `FMODE_WRITE`.
    public var writable: Bool
    /// The file lives on a `noexec` mount (`path_noexec()`).
    public var noexec: Bool
    /// memfd `F_SEAL_WRITE` / `F_SEAL_FUTURE_WRITE`.
    public var sealWrite: Bool
    /// shmem (memfd, tmpfs, or the object behind a shared anonymous mapping): no writeback, so shared writable
    /// mappings do not need write-notify.
    public var isShmem: Bool
    /// The file system's mmap hook refuses `VM_SYNC` (MAP_SYNC) without DAX, as ext4 and xfs do through
    /// `daxdev_mapping_supported()`: the mapping then fails with EOPNOTSUPP after the range it replaces was cleared.
    public var refusesSync = false
    /// Pages read as zeroes until written: the shmem object behind a shared anonymous mapping
    /// (`shmem_zero_setup()`), rather than a file with contents.
    public var zeroFilled = false
    /// The cached pages form one large folio covering the whole file (a regular file written in one write(2) on a
    /// file system with large folios, such as ext4 in 6.18), rather than one folio per page. Fault-around maps a
    /// large folio only where it lies wholly inside the range it may map.
    public var largeFolio = false
    /// Page cache: file page index → frame.
    public var pageCache: [UInt64: PFN] = [:]
    /// File pages punched out (`FALLOC_FL_PUNCH_HOLE`, as MADV_REMOVE does): they read as zeroes from then on.
    public var holes: Set<UInt64> = []
    /// The open file's readahead state (`file->f_ra`), which mmap faults share with every mapping of the file.
    public var readahead = FileReadahead()

    public init(
        id: FileID, name: String, sizePages: UInt64, readable: Bool = true, writable: Bool = true,
        noexec: Bool = false, sealWrite: Bool = false, isShmem: Bool = false
    ) {
        self.id = id
        self.name = name
        self.sizePages = sizePages
        self.readable = readable
        self.writable = writable
        self.noexec = noexec
        self.sealWrite = sealWrite
        self.isShmem = isShmem
    }

    /// The token a never-written file page holds: distinct per file and page, so reads show which page they hit
    /// (0 for a zero-filled object).
    public func initialToken(page: UInt64) -> UInt64 {
        if zeroFilled { return 0 }
        return 0xF11E_0000_0000_0000 | (UInt64(id.rawValue) << 32) | page
    }

    /// Whether a shared writable mapping of this file needs write-notify (dirty accounting): regular files with
    /// writeback do; shmem does not. Models the `mapping_can_writeback()` part of `vma_wants_writenotify()`.
    public var needsDirtyAccounting: Bool { !isShmem }
}

extension Machine {
    /// Creates a file (models `open()` of a file of `sizePages` pages with the given mode and mount flags).
    @discardableResult
    public mutating func createFile(
        name: String, sizePages: UInt64, readable: Bool = true, writable: Bool = true, noexec: Bool = false,
        sealWrite: Bool = false, isShmem: Bool = false
    ) -> FileID {
        let id = FileID(rawValue: files.count)
        files.append(
            SimFile(
                id: id, name: name, sizePages: sizePages, readable: readable, writable: writable, noexec: noexec,
                sealWrite: sealWrite, isShmem: isShmem))
        return id
    }

    /// Brings every page of `file` into its page cache, dirty, as a write(2) of the whole file does before it is mapped
    /// (`generic_perform_write()` for a regular file, `shmem_write_begin()` for shmem): each page then holds its
    /// initial token, and read faults can map it without reading it in (and fault-around finds it).
    /// With `oneFolio` the pages form one large folio (``SimFile/largeFolio``), as a single write of a whole small
    /// file gives on file systems with large folios (not shmem, whose folios are single pages unless huge).
    public mutating func cacheFilePages(_ file: FileID, oneFolio: Bool = false) {
        for page in 0..<files[file.rawValue].sizePages {
            if let pfn = pageCachePage(file, page) { pages[pfn].flags.insert(.dirty) }
        }
        files[file.rawValue].largeFolio = oneFolio
    }

    /// Finds or reads in page `index` of `file` (models `filemap_fault()`/`shmem_fault()`); nil on OOM.
    mutating func pageCachePage(_ file: FileID, _ index: UInt64) -> PFN? {
        if let pfn = files[file.rawValue].pageCache[index] { return pfn }
        guard let pfn = allocatePage() else { return nil }
        let hole = files[file.rawValue].holes.contains(index)
        memory.write(pfn, hole ? 0 : files[file.rawValue].initialToken(page: index))
        pages[pfn].flags.insert(.pageCache)
        pages[pfn].owner = Int32(file.rawValue)
        files[file.rawValue].pageCache[index] = pfn
        return pfn
    }
}
