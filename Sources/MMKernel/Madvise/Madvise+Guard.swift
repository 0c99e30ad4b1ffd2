import MMHardware

extension Machine {
    /// The guard-region marker, `make_pte_marker(PTE_MARKER_GUARD)`.
    static var guardMarker: PTE { SwapEntry(kind: .marker, offset: PTEMarker.guardRegion.rawValue).pte }

    /// Models `is_guard_pte_marker()`: a PTE marker with the guard bit.
    static func isGuardMarker(_ pte: PTE) -> Bool {
        guard let entry = SwapEntry(pte: pte), entry.kind == .marker else { return false }
        return PTEMarker(rawValue: entry.offset).contains(.guardRegion)
    }

    /// Models `is_valid_guard_vma()`: no guard regions in `VM_SPECIAL` or hugetlb VMAs, nor (when installing, which
    /// zaps) in locked ones.
    static func isValidGuardVMA(_ vma: VMA, allowLocked: Bool) -> Bool {
        var disallowed = VMFlags.special.union(.hugetlb)
        if !allowLocked { disallowed.insert(.locked) }
        return vma.flags.intersection(disallowed).isEmpty
    }

    /// Models `madvise_guard_install()` (6.13+, file-backed VMAs too since 6.15): EINVAL for VMAs that cannot hold
    /// guards; the VMA gets an `anon_vma` (`anon_vma_prepare()`, so that fork copies its page tables and with them
    /// the markers); then every PTE of the range becomes a guard marker. The kernel first tries to install over empty
    /// entries only and, finding a huge PMD or any populated or non-guard entry, zaps the range
    /// (`zap_page_range_single()`, which leaves existing guard markers) and tries again: the model zaps once when
    /// needed and installs. Installing into empty entries needs no TLB flush; the zap flushes what it cleared.
    /// (An entry the zap keeps, a uffd-wp marker in a file VMA, would make the kernel restart the call forever; the
    /// model leaves such entries and installs around them.)
    mutating func madviseGuardInstall(_ behaviour: MadviseBehaviour, _ index: Int) throws(KernelErrno) {
        let mmID = behaviour.mm
        guard Machine.isValidGuardVMA(vma(mmID, index), allowLocked: false) else { throw .EINVAL }
        _ = anonVMAPrepare(mmID, index)
        let vma = vma(mmID, index)
        if guardInstallNeedsZap(mmID, behaviour.start, behaviour.end) {
            var gather = tlbGatherMMU(mm: mmID, cpu: runningCPU(of: mmID))
            zapRange(&gather, vma, behaviour.start, behaviour.end, details: .keepMarkers)
            tlbFinishMMU(&gather)
        }
        var address = behaviour.start
        while address < behaviour.end {
            if let slot = pteSlot(mmID, address, allocate: true), pageTables[slot.table, slot.index].isNone {
                pageTables[slot.table, slot.index] = Machine.guardMarker
            }
            address += PageGeometry.pageSize
        }
    }

    /// The optimistic walk of `madvise_guard_install()` (`guard_install_pmd_entry()`, `guard_install_pte_entry()`):
    /// whether the range holds a huge PMD or any entry other than an empty one or a guard marker.
    private func guardInstallNeedsZap(_ mmID: MMID, _ start: UInt64, _ end: UInt64) -> Bool {
        for step in pmdSteps(mmID, start, end) {
            let pmd = pageTables[step.slot.table, step.slot.index]
            guard pmd.hardwarePresent, !pmd.isHuge else { return true }
            let table = PageTableArena.child(of: pmd)
            let first = PageGeometry.index(step.start, level: 1)
            let count = Int((step.end - step.start) >> PageGeometry.pageShift)
            for index in first..<(first + count) {
                let pte = pageTables[table, index]
                if !pte.isNone && !Machine.isGuardMarker(pte) { return true }
            }
        }
        return false
    }

    /// Models `madvise_guard_remove()`: EINVAL for `VM_SPECIAL` and hugetlb VMAs (locked ones are fine: removing a
    /// guard discards nothing); then each guard marker in the range's existing page tables is cleared
    /// (`guard_remove_pte_entry()`), huge PMDs being skipped. Nothing was ever mapped, so nothing is flushed; the next
    /// access faults as on a never-touched page.
    mutating func madviseGuardRemove(_ behaviour: MadviseBehaviour, _ index: Int) throws(KernelErrno) {
        let mmID = behaviour.mm
        guard Machine.isValidGuardVMA(vma(mmID, index), allowLocked: true) else { throw .EINVAL }
        for step in pmdSteps(mmID, behaviour.start, behaviour.end) {
            let pmd = pageTables[step.slot.table, step.slot.index]
            guard pmd.hardwarePresent, !pmd.isHuge else { continue }
            let table = PageTableArena.child(of: pmd)
            let first = PageGeometry.index(step.start, level: 1)
            let count = Int((step.end - step.start) >> PageGeometry.pageShift)
            for index in first..<(first + count) where Machine.isGuardMarker(pageTables[table, index]) {
                pageTables[table, index] = .none
            }
        }
    }
}
