import MMHardware

extension Machine {
    /// Models `madvise_inject_error()` (`CONFIG_MEMORY_FAILURE`): EPERM without `CAP_SYS_ADMIN` (the default, see
    /// `KernelConfig.capSysAdmin`). With it, each page of the unrounded range `[start, end)` is first taken with
    /// `get_user_pages_fast()` (a read fault where nothing is mapped; no VMA or a failing fault is EFAULT, no memory
    /// ENOMEM), the walk advancing by the size of the page's folio, and then:
    /// - MADV_SOFT_OFFLINE (`soft_offline_page()`) migrates a small anonymous page mapped only here to a fresh frame
    ///   with the same contents and retires the old frame; other pages are left where they are;
    /// - MADV_HWPOISON (`memory_failure()`) retires the frame and leaves a hwpoison entry in this mapping, so that the
    ///   next access raises SIGBUS. The kernel also sends the caller SIGBUS (BUS_MCEERR_AR) as the call returns; the
    ///   model's madvise can only return, so that signal is not expressed. The zero page is left alone.
    mutating func madviseInjectError(
        _ task: TaskID, _ start: UInt64, _ end: UInt64, _ advice: Advice
    )
        throws(KernelErrno)
    {
        guard config.capSysAdmin else { throw .EPERM }
        let mmID = tasks[task.rawValue].mm
        var address = start
        while address < end {
            guard let index = mm(mmID).vmas.index(containing: address),
                Machine.checkVMAFlagsForPopulate(vma(mmID, index), write: false)
            else { throw .EFAULT }
            do {
                try faultInForInjection(mmID, address)
            } catch .ENOMEM {
                throw .ENOMEM
            } catch {
                throw .EFAULT
            }
            let (entry, huge) = leafEntry(mmID, address)
            if huge {
                address = address &+ PageGeometry.pmdSize
                if advice == .softOffline || pages.isZero(entry.hugePFN) { continue }
                // memory_failure() splits a THP before poisoning one of its pages.
                if let slot = pmdSlot(mmID, address &- PageGeometry.pmdSize, allocate: false) {
                    let haddr = PageGeometry.alignDown(address &- PageGeometry.pmdSize, PageGeometry.pmdSize)
                    splitHugePMD(mmID, vma(mmID, index), slot, haddr)
                    poisonPage(mmID, index, address &- PageGeometry.pmdSize)
                }
                continue
            }
            if advice == .softOffline {
                softOfflinePage(mmID, address)
            } else {
                poisonPage(mmID, index, address)
            }
            address = address &+ PageGeometry.pageSize
        }
    }

    /// `get_user_pages_fast(start, 1, 0)`'s slow path for one page: fault it in for reading unless it is present.
    private mutating func faultInForInjection(_ mmID: MMID, _ address: UInt64) throws(KernelErrno) {
        for _ in 0..<6 {
            let entry = leafEntry(mmID, address).entry
            if entry.isPresent && !entry.isProtNone { return }
            guard let index = mm(mmID).vmas.index(containing: address) else { throw .EFAULT }
            switch handleMMFault(mmID, index, address, .user) {
            case .outOfMemory: throw .ENOMEM
            case .sigbus, .segvMapError, .segvAccessError, .userfault, .userfaultMissing: throw .EFAULT
            default: continue
            }
        }
        throw .EFAULT
    }

    /// The anonymous-page case of `soft_offline_page()`: the contents move to a new frame mapped in place of the old
    /// one with the same bits (the old one was only readable through this PTE, so no flush is needed beyond the one
    /// migration does, modelled as a single-page flush), and the old frame is taken offline (never freed).
    private mutating func softOfflinePage(_ mmID: MMID, _ address: UInt64) {
        guard let slot = pteSlot(mmID, address, allocate: false) else { return }
        let pte = pageTables[slot.table, slot.index]
        guard pte.hardwarePresent, !pte.isSpecial else { return }
        let old = pages[pte.pfn]
        guard old.flags.contains(.anon), old.mapcount == 1, let new = allocatePage() else { return }
        memory.copy(from: pte.pfn, to: new)
        pages[new].flags = old.flags.union(.allocated)
        pages[new].mapcount = 1
        pages[new].owner = old.owner
        pageTables[slot.table, slot.index] = PTE(pfn: new, flags: pte.flags)
        let page = PageGeometry.alignDown(address, PageGeometry.pageSize)
        flushTLBRange(
            initiator: runningCPU(of: mmID), mm: mmID, start: page, end: page + PageGeometry.pageSize,
            freedTables: false)
        pages[pte.pfn].mapcount = 0
        pages[pte.pfn].flags.remove(.anonExclusive)
    }

    /// The mapped-page case of `memory_failure()` for this mapping: the PTE becomes a hwpoison entry (after a
    /// single-page flush), the mapping is dropped from the page's counts, and the frame is retired (never freed).
    private mutating func poisonPage(_ mmID: MMID, _ index: Int, _ address: UInt64) {
        guard let slot = pteSlot(mmID, address, allocate: false) else { return }
        let pte = pageTables[slot.table, slot.index]
        guard pte.hardwarePresent, !pte.isSpecial else { return }
        pageTables[slot.table, slot.index] = SwapEntry(kind: .hwPoison, offset: pte.pfn.rawValue).pte
        let page = PageGeometry.alignDown(address, PageGeometry.pageSize)
        flushTLBRange(
            initiator: runningCPU(of: mmID), mm: mmID, start: page, end: page + PageGeometry.pageSize,
            freedTables: false)
        pages[pte.pfn].mapcount -= 1
        pages[pte.pfn].flags.remove(.anonExclusive)
        adjustRSS(mmID, pages[pte.pfn].flags, vma(mmID, index), by: -1)
    }
}
