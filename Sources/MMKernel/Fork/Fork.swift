import MMHardware

extension Machine {
    /// fork(2): models `dup_mm()` → `dup_mmap()`. The child gets a copy of every VMA except `VM_DONTCOPY` ones, each
    /// with its own `anon_vma` chained to the parent's; for VMAs that need it (`vma_needs_copy()`), page-table entries
    /// are copied, and private writable anonymous pages are write-protected in both processes and lose their
    /// exclusive mark, so the next write to either side copies. The parent's TLB is then flushed (`flush_tlb_mm()`).
    /// Returns the child's first thread, pinned to `cpu`.
    public mutating func fork(_ task: TaskID, childName: String, cpu: CPUID) throws(KernelErrno) -> TaskID {
        let parentMM = tasks[task.rawValue].mm
        currentCPU = tasks[task.rawValue].cpu
        defer { currentCPU = nil }
        let childMM = newMM()
        // arch_dup_pkeys() and mm_init(): the child inherits the allocated protection keys, the execute-only key,
        // MDWE unless PR_MDWE_NO_INHERIT (mmf_init_flags()), and of def_flags only VM_INIT_DEF_MASK (not
        // mlockall(MCL_FUTURE)); `locked_vm` starts at 0, as the copied VMAs lose VM_LOCKED below.
        let parent = mm(parentMM)
        withMM(childMM) { child in
            child.pkeyAllocationMap = parent.pkeyAllocationMap
            child.executeOnlyPKey = parent.executeOnlyPKey
            child.mdwe = parent.mdwe.inherited
            child.defaultFlags = parent.defaultFlags.intersection(.initDefaultMask)
        }
        let parentVMAs = parent.vmas
        var charged: Int64 = 0
        for (index, vma) in parentVMAs.enumerated() where !vma.flags.contains(.dontCopy) {
            if vma.flags.contains(.account) {
                guard vmEnoughMemory(Int64(vma.pages), for: parentMM) else {
                    vmUnaccountMemory(charged)
                    throw .ENOMEM
                }
                charged += Int64(vma.pages)
            }
            var copy = vma
            copy.flags.remove([.locked, .lockOnFault])
            copy.uffdContext = nil
            copy.flags.remove([.uffdWP, .uffdMissing])
            if vma.anonVMA != nil {
                copy.anonVMA = newAnonVMA()
                copy.anonVMAChained = true
            }
            if vma.flags.contains(.wipeOnFork) { copy.anonVMA = nil }
            copy.pageProt = pageProtection(for: copy)
            withMM(childMM) { mm in
                mm.vmas.insert(copy)
                mm.accounting.account(copy.flags, pages: Int64(copy.pages))
            }
            // vma_needs_copy() asks about the child VMA, whose uffd-wp registration was just dropped.
            let needsCopy = !copy.flags.intersection([.pfnMap, .mixedMap, .uffdWP]).isEmpty || vma.anonVMA != nil
            if needsCopy && !vma.flags.contains(.wipeOnFork) {
                copyPageRange(parentMM, childMM, index, copy)
            }
        }
        flushTLBMM(initiator: runningCPU(of: parentMM), mm: parentMM)
        // copy_thread(): the child's PKRU is the parent's, read from the register; copy_process(): the child
        // thread's task_struct, personality included, is a copy of the parent's.
        return createThread(name: childName, mm: childMM, cpu: cpu, parent: task)
    }

    /// Models `copy_page_range()` for one VMA: `copy_pte_range()`/`copy_huge_pmd()` — COW mappings are
    /// write-protected on both sides (`ptep_set_wrprotect()`), every mapped page gains a mapping.
    private mutating func copyPageRange(_ parentMM: MMID, _ childMM: MMID, _ index: Int, _ childVMA: VMA) {
        let vma = mm(parentMM).vmas[index]
        let cow = vma.flags.isCOWMapping
        for step in pmdSteps(parentMM, vma.start, vma.end) {
            let pmd = pageTables[step.slot.table, step.slot.index]
            if pmd.isHuge && pmd.isPresent {
                // copy_huge_pmd(): the parent's PMD is write-protected; the child's copy is also old, and keeps
                // uffd-wp only if the child VMA is registered for it.
                var entry = pmd
                if cow {
                    entry = entry.clearing(.writable)
                    pageTables[step.slot.table, step.slot.index] = entry
                }
                if !pages.isZero(pmd.pfn) {
                    let flags = pages[pmd.pfn].flags
                    for pfn in pages.pmdAccountedFrames(pmd.pfn) {
                        pages[pfn].mapcount += 1
                        pages[pfn].flags.remove(.anonExclusive)
                        pages.get(pfn)
                    }
                    adjustRSS(childMM, flags, childVMA, by: 512)
                }
                entry = entry.clearing(.accessed)
                if !childVMA.flags.contains(.uffdWP) { entry = entry.clearing(.uffdWP) }
                if let slot = pmdSlot(childMM, step.start, allocate: true) {
                    pageTables[slot.table, slot.index] = entry
                }
                continue
            }
            guard pmd.hardwarePresent, !pmd.isHuge else { continue }
            let table = PageTableArena.child(of: pmd)
            let base = PageGeometry.alignDown(step.start, PageGeometry.pmdSize)
            let first = PageGeometry.index(step.start, level: 1)
            let count = Int((step.end - step.start) >> PageGeometry.pageShift)
            for slotIndex in first..<(first + count) {
                var pte = pageTables[table, slotIndex]
                if pte.isNone { continue }
                if pte.isPresent && !pte.isSpecial {
                    if cow && pte.isWritable {
                        pte = pte.clearing(.writable)
                        pageTables[table, slotIndex] = pte
                    }
                    pages[pte.pfn].mapcount += 1
                    pages[pte.pfn].flags.remove(.anonExclusive)
                    pages.get(pte.pfn)
                    adjustRSS(childMM, pages[pte.pfn].flags, childVMA, by: 1)
                }
                var childPTE = pte
                if pte.isPresent {
                    // __copy_present_ptes(): the child's copy starts old, and clean in a shared mapping.
                    if vma.flags.contains(.shared) { childPTE = childPTE.clearing(.dirty) }
                    childPTE = childPTE.clearing(.accessed)
                    if !childVMA.flags.contains(.uffdWP) { childPTE = childPTE.clearing(.uffdWP) }
                } else if var entry = SwapEntry(pte: pte) {
                    if case .swap = entry.kind {
                        // swap_duplicate(): both processes now refer to the swapped page, which is exclusive to
                        // neither. The model gives the child its own slot holding the same contents.
                        entry.exclusive = false
                        pageTables[table, slotIndex] = entry.pte
                        let offset = duplicateSwapSlot(entry.offset)
                        entry.offset = offset
                    }
                    guard let copied = Machine.copyNonPresentEntry(entry, childUffdWP: childVMA.flags.contains(.uffdWP))
                    else { continue }
                    childPTE = copied
                }
                let address = base + UInt64(slotIndex) << PageGeometry.pageShift
                if let slot = pteSlot(childMM, address, allocate: true) {
                    pageTables[slot.table, slot.index] = childPTE
                }
            }
        }
    }

    /// Models the entry half of `copy_nonpresent_pte()`: a PTE marker is copied through `copy_pte_marker()`, which
    /// keeps guard and poison bits and the uffd-wp bit only for a child VMA registered for uffd-wp (nil when nothing
    /// is left); any other entry is copied with its uffd-wp bit cleared unless the child keeps uffd-wp.
    static func copyNonPresentEntry(_ entry: SwapEntry, childUffdWP: Bool) -> PTE? {
        var copy = entry
        if entry.kind == .marker {
            var marker = PTEMarker(rawValue: entry.offset).intersection([.guardRegion, .poisoned])
            if childUffdWP { marker.formUnion(PTEMarker(rawValue: entry.offset).intersection(.uffdWP)) }
            if marker.isEmpty { return nil }
            copy.offset = marker.rawValue
        } else if !childUffdWP {
            copy.uffdWP = false
        }
        return copy.pte
    }
}
