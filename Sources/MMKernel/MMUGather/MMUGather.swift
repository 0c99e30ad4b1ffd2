import MMHardware

/// `struct mmu_gather` (include/asm-generic/tlb.h, mm/mmu_gather.c): the range of TLB entries a page-table operation
/// has made stale, which levels were cleared, and the pages and tables that must not be reused before the flush.
public struct MMUGather: Sendable {
    public let mm: MMID
    /// The CPU the operation runs on (it issues the flush).
    public let cpu: CPUID
    public var start: UInt64 = PageGeometry.taskSize
    public var end: UInt64 = 0
    /// `fullmm`: the whole address space is going away (or nested gathers forced a full flush).
    public var fullMM = false
    /// `need_flush_all`.
    public var needFlushAll = false
    /// `freed_tables`: page-table pages were freed, so lazy CPUs must be flushed too.
    public var freedTables = false
    public var clearedPTEs = false
    public var clearedPMDs = false
    public var clearedPUDs = false
    public var clearedP4Ds = false
    /// `vma_exec`, `vma_huge`, `vma_pfn`: assigned by `tlb_start_vma()` for each VMA; not reset by a range reset.
    public var vmaExec = false
    public var vmaHuge = false
    public var vmaPFN = false
    /// Pages whose last reference drops after the flush (`__tlb_remove_page()` batches).
    public var pages: [PFN] = []
    /// Page-table frames to free after the flush (`tlb_remove_table()`).
    public var tables: [TableID] = []
    /// `page_size` (only with `MMU_GATHER_PAGE_SIZE`): the page size recorded since the last flush, 0 if none.
    public var pageSize: UInt64 = 0
    /// Flushes this gather has issued.
    public var flushes: [FlushRequest] = []

    init(mm: MMID, cpu: CPUID, fullMM: Bool) {
        self.mm = mm
        self.cpu = cpu
        self.fullMM = fullMM
        if fullMM { resetRange() }
    }

    /// Models `__tlb_adjust_range()`: one interval only, so holes between recorded entries are included.
    public mutating func adjustRange(_ address: UInt64, _ size: UInt64) {
        start = min(start, address)
        end = max(end, address + size)
    }

    /// Models `tlb_flush_pte_range()`.
    public mutating func flushPTERange(_ address: UInt64, _ size: UInt64) {
        adjustRange(address, size)
        clearedPTEs = true
    }

    /// Models `tlb_flush_pmd_range()`.
    public mutating func flushPMDRange(_ address: UInt64, _ size: UInt64) {
        adjustRange(address, size)
        clearedPMDs = true
    }

    /// Models `tlb_flush_pud_range()`.
    public mutating func flushPUDRange(_ address: UInt64, _ size: UInt64) {
        adjustRange(address, size)
        clearedPUDs = true
    }

    /// Models `tlb_flush_p4d_range()`.
    public mutating func flushP4DRange(_ address: UInt64, _ size: UInt64) {
        adjustRange(address, size)
        clearedP4Ds = true
    }

    /// Models `__tlb_reset_range()`: forgets the range and cleared levels, keeps the `vma_*` bits.
    public mutating func resetRange() {
        if fullMM {
            start = UInt64.max
            end = UInt64.max
        } else {
            start = PageGeometry.taskSize
            end = 0
        }
        freedTables = false
        pageSize = 0
        clearedPTEs = false
        clearedPMDs = false
        clearedPUDs = false
        clearedP4Ds = false
    }

    /// Models `tlb_get_unmap_shift()`: the stride of the flush, from the lowest level cleared.
    public var unmapShift: UInt64 {
        if clearedPTEs { return PageGeometry.pageShift }
        if clearedPMDs { return PageGeometry.pmdShift }
        if clearedPUDs { return PageGeometry.pudShift }
        if clearedP4Ds { return PageGeometry.pgdirShift }
        return PageGeometry.pageShift
    }

    /// Whether anything recorded needs a TLB flush.
    public var needsFlush: Bool { freedTables || clearedPTEs || clearedPMDs || clearedPUDs || clearedP4Ds }

    /// Models `tlb_start_vma()` → `tlb_update_vma_flags()` (6.0–6.17): remembers the kind of this VMA; every flag,
    /// `vma_pfn` included, is assigned afresh for each VMA.
    public mutating func startVMA(_ vma: VMA) {
        guard !fullMM else { return }
        vmaExec = vma.flags.contains(.exec)
        vmaHuge = vma.flags.contains(.hugetlb)
        vmaPFN = !vma.flags.intersection([.pfnMap, .mixedMap]).isEmpty
    }
}

extension Machine {
    /// Models `tlb_gather_mmu()`: starts a gather on `mm` and raises `tlb_flush_pending`.
    public mutating func tlbGatherMMU(mm: MMID, cpu: CPUID, fullMM: Bool = false) -> MMUGather {
        withMM(mm) { $0.tlbFlushPending += 1 }
        return MMUGather(mm: mm, cpu: cpu, fullMM: fullMM)
    }

    /// The gather of a `change_protection()` caller (mprotect, exec's stack setup, UFFDIO_WRITEPROTECT, NUMA
    /// hinting). The seed patch 4a18419f71cd introduced these gathers; before it the callers had none and
    /// `change_protection_range()` raised `tlb_flush_pending` and flushed by itself. So under the `before` scheme
    /// the returned gather is only a carrier for the issued flushes: it raises nothing and is never finished, and a
    /// concurrent gather on the mm cannot turn such a call into a nested full flush.
    mutating func protectionGather(mm: MMID, cpu: CPUID) -> MMUGather {
        config.scheme.usesGather ? tlbGatherMMU(mm: mm, cpu: cpu) : MMUGather(mm: mm, cpu: cpu, fullMM: false)
    }

    /// Ends a gather from `protectionGather(mm:cpu:)`: `tlb_finish_mmu()` under the gather schemes, nothing under
    /// `before`.
    mutating func finishProtectionGather(_ gather: inout MMUGather) {
        if config.scheme.usesGather { tlbFinishMMU(&gather) }
    }

    /// Models `tlb_flush()` on x86: one `flush_tlb_mm_range()` over the gathered range at the unmap stride.
    mutating func tlbFlush(_ gather: inout MMUGather) {
        let full = gather.fullMM || gather.needFlushAll
        let request = flushTLBMMRange(
            initiator: gather.cpu, mm: gather.mm, start: full ? 0 : gather.start, end: full ? tlbFlushAll : gather.end,
            strideShift: gather.unmapShift, freedTables: gather.freedTables)
        gather.flushes.append(request)
    }

    /// Models `tlb_flush_mmu_tlbonly()`: flushes if anything was recorded, then resets the range.
    public mutating func tlbFlushMMUTLBOnly(_ gather: inout MMUGather) {
        guard gather.needsFlush else { return }
        tlbFlush(&gather)
        gather.resetRange()
    }

    /// Models `tlb_flush_mmu()`: the TLB flush, then the batched pages and tables are released — only now may
    /// their frames be reused, because no CPU can still reach them through a stale entry.
    public mutating func tlbFlushMMU(_ gather: inout MMUGather) {
        tlbFlushMMUTLBOnly(&gather)
        for pfn in gather.pages { pages.put(pfn) }
        gather.pages.removeAll(keepingCapacity: true)
        for table in gather.tables { pageTables.free(table) }
        gather.tables.removeAll(keepingCapacity: true)
    }

    /// Models `__tlb_remove_page()`: queues a page reference to drop after the flush; a full batch forces a flush
    /// now (as `zap_pte_range()` does when the batch allocation gives out).
    public mutating func tlbRemovePage(_ gather: inout MMUGather, _ pfn: PFN) {
        gather.pages.append(pfn)
        if gather.pages.count >= config.gatherBatchLimit { tlbFlushMMU(&gather) }
    }

    /// Models `tlb_change_page_size()`: with `MMU_GATHER_PAGE_SIZE` a change of recorded page size flushes what was
    /// gathered so far; on x86 (without it) this does nothing, so 4 KiB and 2 MiB changes share one range.
    public mutating func tlbChangePageSize(_ gather: inout MMUGather, _ size: UInt64) {
        guard config.gatherPageSize else { return }
        if gather.pageSize != 0 && gather.pageSize != size && !gather.fullMM && !gather.needFlushAll {
            tlbFlushMMU(&gather)
        }
        gather.pageSize = size
    }

    /// Models `tlb_end_vma()`: without `MMU_GATHER_MERGE_VMAS` every VMA's changes are flushed at its end. With it
    /// (x86) nothing, except that in the 6.x generic version (the `merged` era) a PFNMAP or MIXEDMAP VMA is flushed
    /// at its end; the 5.x x86 `tlb_end_vma()` (`before`, `seed`) was empty.
    public mutating func tlbEndVMA(_ gather: inout MMUGather, _ vma: VMA) {
        guard !gather.fullMM else { return }
        if config.mergeVMAs {
            guard config.scheme == .merged, gather.vmaPFN else { return }
        }
        tlbFlushMMUTLBOnly(&gather)
    }

    /// Models `tlb_finish_mmu()`: if another gather is live on the mm (`mm_tlb_flush_nested()`), forces a full flush
    /// with `freed_tables` — it may have skipped entries this one changed; then flushes, frees, and drops
    /// `tlb_flush_pending`. Returns the flushes the gather issued over its lifetime.
    @discardableResult
    public mutating func tlbFinishMMU(_ gather: inout MMUGather) -> [FlushRequest] {
        if mm(gather.mm).tlbFlushPending > 1 {
            gather.fullMM = true
            gather.resetRange()
            gather.freedTables = true
        }
        tlbFlushMMU(&gather)
        withMM(gather.mm) { $0.tlbFlushPending -= 1 }
        return gather.flushes
    }
}
