import MMHardware

extension Machine {
    /// Models `madvise_willneed()`: anonymous memory and shmem only start reading back what is in swap, into the swap
    /// cache and not into the page tables, so nothing the model shows changes; a regular file gets readahead
    /// (`vfs_fadvise(POSIX_FADV_WILLNEED)` → `force_page_cache_ra()`), which fills its page cache from the range's
    /// first page, up to the end of the file and at most the machine's readahead window (`KernelConfig.readaheadPages`,
    /// the `ra_pages` that caps it as `max(bdi->io_pages, ra_pages)`; `io_pages` is not modelled), without mapping
    /// anything.
    mutating func madviseWillNeed(_ behaviour: MadviseBehaviour, _ index: Int) {
        let vma = vma(behaviour.mm, index)
        guard let file = vma.file, !files[file.rawValue].isShmem else { return }
        let first = vma.filePage(of: behaviour.start)
        let wanted = (behaviour.end - behaviour.start) >> PageGeometry.pageShift
        let last = min(first + min(wanted, config.readaheadPages), files[file.rawValue].sizePages)
        guard first < last else { return }
        for page in first..<last {
            // Readahead stops quietly when memory runs out.
            guard pageCachePage(file, page) != nil else { return }
        }
    }

    /// Models `madvise_remove()`: EINVAL for a locked VMA or one without a file, EACCES unless the mapping is shared
    /// and may be written (`vma_is_shared_maywrite()`); then the file range behind `[start, end)` is punched out
    /// (`vfs_fallocate(FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE)`): every mapping of those file pages, in every
    /// process, is zapped while private COW copies stay (`unmap_mapping_range(..., even_cows = 0)`), the pages leave the
    /// page cache, and they read as zeroes afterwards. The model's files (tmpfs, shmem, and regular files) all
    /// support hole punching.
    mutating func madviseRemove(_ behaviour: MadviseBehaviour, _ index: Int) throws(KernelErrno) {
        let vma = vma(behaviour.mm, index)
        if vma.flags.contains(.locked) { throw .EINVAL }
        guard let file = vma.file else { throw .EINVAL }
        guard vma.flags.isSuperset(of: [.shared, .mayWrite]) else { throw .EACCES }
        let first = vma.filePage(of: behaviour.start)
        let last = min(vma.filePage(of: behaviour.end), files[file.rawValue].sizePages)
        guard first < last else { return }
        if files[file.rawValue].largeFolio {
            // truncate_inode_partial_folio(): a punch inside a large folio unmaps the whole folio everywhere, zeroes
            // the punched part and tries to split it, which fails while it is dirty with buffers: the zeroed pages
            // stay in the page cache.
            unmapMappingRange(file, 0, files[file.rawValue].sizePages)
            for page in first..<last {
                files[file.rawValue].holes.insert(page)
                if let pfn = files[file.rawValue].pageCache[page] { memory.write(pfn, 0) }
            }
            return
        }
        unmapMappingRange(file, first, last)
        for page in first..<last {
            files[file.rawValue].holes.insert(page)
            if let pfn = files[file.rawValue].pageCache.removeValue(forKey: page) { pages.put(pfn) }
        }
    }

    /// Models `unmap_mapping_range()` with `even_cows` clear: each VMA of each process that maps file pages
    /// `[first, last)` of `file` has them zapped through its own mmu_gather (`unmap_mapping_range_vma()`).
    mutating func unmapMappingRange(_ file: FileID, _ first: UInt64, _ last: UInt64) {
        for mmIndex in mms.indices where mms[mmIndex] != nil {
            let mmID = MMID(rawValue: mmIndex)
            for vma in mm(mmID).vmas where vma.file == file {
                let low = max(first, vma.pgoff)
                let high = min(last, vma.pgoff + vma.pages)
                guard low < high else { continue }
                let start = vma.start + ((low - vma.pgoff) << PageGeometry.pageShift)
                let end = vma.start + ((high - vma.pgoff) << PageGeometry.pageShift)
                var gather = tlbGatherMMU(mm: mmID, cpu: runningCPU(of: mmID))
                zapRange(&gather, vma, start, end, details: .fileOnly)
                tlbFinishMMU(&gather)
            }
        }
    }
}
