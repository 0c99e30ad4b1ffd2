import MMHardware

extension Machine {
    /// Models x86 `do_user_addr_fault()`: finds the VMA (growing a `VM_GROWSDOWN` stack if the address is just
    /// below one), applies `access_error()`, and hands the fault to `handle_mm_fault()`. `foreign` marks a fault
    /// taken on behalf of another mm (`get_user_pages_remote()`, as exec's `copy_strings()` does), which the
    /// caller's PKRU does not restrict.
    mutating func handleUserFault(
        _ task: TaskID, _ address: UInt64, _ error: PageFaultError, foreign: Bool = false
    ) -> FaultResolution {
        let mmID = tasks[task.rawValue].mm
        currentCPU = tasks[task.rawValue].cpu
        defer { currentCPU = nil }
        guard address < PageGeometry.taskSize else { return .segvMapError }
        var index = mm(mmID).vmas.firstIndex(endingAfter: address)
        guard index < vmaCount(mmID) else { return .segvMapError }
        var grew = false
        let found = vma(mmID, index)
        if found.start > address {
            guard found.flags.contains(.growsDown), expandStack(mmID, index, address) else {
                return .segvMapError
            }
            grew = true
            index = mm(mmID).vmas.firstIndex(endingAfter: address)
        }
        let target = vma(mmID, index)
        if accessError(task, error, target, foreign: foreign) {
            return badAreaAccessFromPKeys(task, error, target, foreign: foreign) ? .segvPKeyError : .segvAccessError
        }
        let resolution = handleMMFault(mmID, index, address, error)
        return grew && resolution != .sigbus ? .stackExpansion : resolution
    }

    /// Models x86 `access_error()` in arch/x86/mm/fault.c: whether the VMA forbids the access that faulted. A
    /// protection-key fault is always an error (never a COW to resolve), and so is an access the thread's PKRU
    /// forbids on a page not yet present, so that the fault does not map a page only to fault on its key next.
    func accessError(_ task: TaskID, _ error: PageFaultError, _ vma: VMA, foreign: Bool) -> Bool {
        if error.contains(.protectionKey) { return true }
        let write = error.contains(.write)
        let execute = error.contains(.instruction)
        if !vmaAccessPermitted(task, vma, write: write, execute: execute, foreign: foreign) { return true }
        return Machine.accessError(error, vma)
    }

    /// Models x86 `bad_area_access_from_pkeys()`: whether an access error is the protection keys' doing, so that
    /// the signal says `SEGV_PKUERR` rather than `SEGV_ACCERR`. Never without protection keys.
    func badAreaAccessFromPKeys(_ task: TaskID, _ error: PageFaultError, _ vma: VMA, foreign: Bool) -> Bool {
        guard config.pku else { return false }
        if error.contains(.protectionKey) { return true }
        let write = error.contains(.write)
        let execute = error.contains(.instruction)
        return !vmaAccessPermitted(task, vma, write: write, execute: execute, foreign: foreign)
    }

    /// The part of x86 `access_error()` that only looks at the VMA's flags.
    static func accessError(_ error: PageFaultError, _ vma: VMA) -> Bool {
        if error.contains(.protectionKey) { return true }
        if error.contains(.write) { return !vma.flags.contains(.write) }
        // An instruction fetch or read that hit a present page the hardware refused: a real protection error.
        if error.contains(.protection) { return true }
        return !vma.isAccessible
    }

    /// Models `expand_downwards()`: moves the stack VMA's start down to the faulting page, keeping `stack_guard_gap`
    /// below it and within `RLIMIT_STACK`; the VMA gets an anon_vma first.
    mutating func expandStack(_ mmID: MMID, _ index: Int, _ address: UInt64) -> Bool {
        let page = PageGeometry.alignDown(address, PageGeometry.pageSize)
        let vma = vma(mmID, index)
        if page < config.mmapMinAddress { return false }
        if index > 0 {
            let previous = self.vma(mmID, index - 1)
            if !previous.flags.contains(.growsDown) && previous.isAccessible
                && page - previous.end < config.stackGuardGap
            {
                return false
            }
        }
        // The stack gets its anon_vma before the growth is accounted (anon_vma_prepare() in expand_downwards()),
        // even if acct_stack_growth() then refuses: moved or split later, its pieces keep their pgoff.
        _ = anonVMAPrepare(mmID, index)
        if vma.end - page > config.stackLimit { return false }
        // acct_stack_growth(): a locked stack may only grow within RLIMIT_MEMLOCK.
        if !mlockFutureOK(mmID, vma.flags, vma.start - page) { return false }
        let grow = Int64((vma.start - page) >> PageGeometry.pageShift)
        if vma.flags.contains(.account) {
            guard vmEnoughMemory(grow, for: mmID) else { return false }
        }
        withMM(mmID) { mm in
            mm.vmas.update(index) { vma in
                vma.start = page
                vma.pgoff -= UInt64(grow)
            }
            mm.accounting.account(vma.flags, pages: grow)
            if vma.flags.contains(.locked) { mm.accounting.lockedVM += grow }
        }
        return true
    }

    /// Models `handle_mm_fault()` → `__handle_mm_fault()`: the PMD level (THP faults, huge write-protect and NUMA
    /// faults) and then `handle_pte_fault()`.
    mutating func handleMMFault(
        _ mmID: MMID, _ index: Int, _ address: UInt64, _ error: PageFaultError
    )
        -> FaultResolution
    {
        let vma = mm(mmID).vmas[index]
        let write = error.contains(.write)
        let haddr = PageGeometry.alignDown(address, PageGeometry.pmdSize)
        guard let pmdSlot = pmdSlot(mmID, address, allocate: true) else { return .sigbus }
        let pmd = pageTables[pmdSlot.table, pmdSlot.index]
        if pmd.isNone && thpEligible(vma, haddr) {
            if let resolution = doHugePMDAnonymousPage(mmID, index, pmdSlot, haddr, write: write) {
                return resolution
            }
        } else if pmd.isHuge && pmd.isPresent {
            if pmd.isProtNone {
                return doHugePMDNumaPage(mmID, vma, pmdSlot)
            }
            if write && !pmd.isWritable {
                if let resolution = doHugePMDWPPage(mmID, vma, pmdSlot, haddr) { return resolution }
            } else {
                var young = pmd.setting(.accessed)
                if write { young = mkdirty(young) }
                pageTables[pmdSlot.table, pmdSlot.index] = young
                return .spurious
            }
        }
        // A file fault finds the PMD still empty when no page table covers the address yet (do_fault() runs
        // before anything allocates one), which limits fault-around.
        let tableExisted = existingPTESlot(mmID, address) != nil
        guard let slot = pteSlot(mmID, address, allocate: true) else { return .sigbus }
        let pte = pageTables[slot.table, slot.index]
        if pte.isNone {
            if vma.isAnonymous { return doAnonymousPage(mmID, index, slot, write: write) }
            let resolution = doFault(mmID, index, slot, address, write: write, tableExisted: tableExisted)
            // A file fault allocates its page table only to map something (finish_fault(), or fault-around's
            // pmd_install()): one that maps nothing, such as a SIGBUS past the end, leaves the PMD empty.
            if !tableExisted && pageTables.isEmpty(slot.table), let pmd = existingPMDSlot(mmID, address) {
                pageTables[pmd.table, pmd.index] = .none
                pageTables.free(slot.table)
            }
            return resolution
        }
        if pte.isSwap { return doSwapPage(mmID, vma, slot, address, pte, write: write) }
        if pte.isProtNone { return doNumaPage(vma, slot, pte) }
        if write && !pte.isWritable { return doWPPage(mmID, index, slot, address, pte) }
        // The PTE already allows the access: a stale TLB entry faulted. Refresh A (and D) like
        // `ptep_set_access_flags()`; the fault itself dropped the stale entry.
        var young = pte.setting(.accessed)
        if write { young = mkdirty(young) }
        pageTables[slot.table, slot.index] = young
        return .spurious
    }

    /// Models `pte_mkdirty()`: D, plus soft-dirty when `CONFIG_MEM_SOFT_DIRTY` is on.
    func mkdirty(_ pte: PTE) -> PTE {
        config.softDirty ? pte.setting([.dirty, .softDirty]) : pte.setting(.dirty)
    }

    /// Models `maybe_mkwrite()` after `pte_mkdirty()`: writable and dirty if the VMA allows writes.
    func mkwriteDirty(_ pte: PTE, _ vma: VMA) -> PTE {
        vma.flags.contains(.write) ? mkdirty(pte).setting(.writable) : pte
    }

    /// Models `anon_vma_prepare()`: gives the VMA an `anon_vma` on its first anonymous page.
    /// Like the kernel, it first tries to share a neighbour's (`find_mergeable_anon_vma()`), so that VMAs that
    /// differ only in protection can merge again later.
    mutating func anonVMAPrepare(_ mmID: MMID, _ index: Int) -> AnonVMAID {
        let vma = vma(mmID, index)
        if let existing = vma.anonVMA { return existing }
        var id: AnonVMAID?
        if index + 1 < vmaCount(mmID) { id = reusableAnonVMA(self.vma(mmID, index + 1), lower: vma, upper: nil) }
        if id == nil && index > 0 { id = reusableAnonVMA(self.vma(mmID, index - 1), lower: nil, upper: vma) }
        let chosen = id ?? newAnonVMA()
        withMM(mmID) { $0.vmas.update(index) { $0.anonVMA = chosen } }
        return chosen
    }

    /// Models `reusable_anon_vma()` with `anon_vma_compatible()`: `neighbour`'s anon_vma may be shared when the two
    /// VMAs are adjacent, map the same file (none) with contiguous offsets and the same policy, differ at most in
    /// their access flags (and VM_SOFTDIRTY), and the neighbour's anon_vma chain is not a forked one.
    func reusableAnonVMA(_ neighbour: VMA, lower: VMA?, upper: VMA?) -> AnonVMAID? {
        guard let anonVMA = neighbour.anonVMA, !neighbour.anonVMAChained else { return nil }
        let low = lower ?? neighbour
        let high = upper ?? neighbour
        let ignored = VMFlags.accessFlags.union(.softDirty)
        guard low.end == high.start, low.file == high.file, low.mempolicy == high.mempolicy,
            low.flags.subtracting(ignored) == high.flags.subtracting(ignored),
            high.pgoff == low.pgoff + low.pages
        else { return nil }
        return anonVMA
    }

    /// Marks a newly mapped anonymous page (models `folio_add_new_anon_rmap()` with `RMAP_EXCLUSIVE`).
    mutating func addNewAnonRmap(_ pfn: PFN, _ anonVMA: AnonVMAID) {
        pages[pfn].flags.formUnion([.anon, .anonExclusive])
        pages[pfn].mapcount = 1
        pages[pfn].owner = Int32(truncatingIfNeeded: anonVMA.rawValue)
    }

    /// Models `can_change_pte_writable()` and, with `huge`, `can_change_pmd_writable()`: whether an entry in a
    /// writable VMA may be made writable in place, without the write fault that would otherwise do it.
    func canChangeWritable(_ vma: VMA, _ entry: PTE, huge: Bool = false) -> Bool {
        guard vma.flags.contains(.write), !entry.isProtNone else { return false }
        if config.softDirty && !vma.flags.contains(.softDirty) && !entry.contains(.softDirty) { return false }
        if vma.flags.contains(.uffdWP) && entry.contains(.uffdWP) { return false }
        if !vma.flags.contains(.shared) {
            let frame = huge ? entry.hugePFN : entry.pfn
            // The zero page (special in a PTE, the huge zero folio in a PMD) is never exclusive anonymous memory.
            guard huge ? !pages.isZero(frame) : !entry.isSpecial else { return false }
            return pages[frame].flags.isSuperset(of: [.anon, .anonExclusive])
        }
        return entry.isDirty
    }
}
