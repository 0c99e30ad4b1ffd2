import MMHardware

/// The `MREMAP_*` flags of mremap(2), with the values of include/uapi/linux/mman.h.
public struct MremapFlags: OptionSet, Hashable, Sendable {
    public var rawValue: UInt64
    public init(rawValue: UInt64) { self.rawValue = rawValue }
    /// Mirrors `MREMAP_MAYMOVE`.
    public static let mayMove = MremapFlags(rawValue: 1)
    /// Mirrors `MREMAP_FIXED`.
    public static let fixed = MremapFlags(rawValue: 2)
    /// Mirrors `MREMAP_DONTUNMAP`.
    public static let dontUnmap = MremapFlags(rawValue: 4)
}

/// One mremap request as it travels through the kernel, `struct vma_remap_struct` of mm/mremap.c.
struct RemapRequest {
    var address: UInt64
    var oldLength: UInt64
    var newLength: UInt64
    let flags: MremapFlags
    var newAddress: UInt64
    /// `delta`: how far old and new lengths differ, set once by `check_prep_vma()`.
    var delta: UInt64 = 0
    /// `charged`: pages charged to the commit limit.
    var charged: Int64 = 0
    /// `populate_expand`: an mlocked VMA grew, so the new part is faulted in at the end.
    var populateExpand = false

    /// Models `vrm_implies_new_addr()`: MREMAP_FIXED or MREMAP_DONTUNMAP always choose a target address.
    var impliesNewAddress: Bool { !flags.isDisjoint(with: [.fixed, .dontUnmap]) }
    /// Models `vrm_remap_type()` giving `MREMAP_EXPAND`.
    var isExpand: Bool { newLength > oldLength }
    /// Models `vrm_remap_type()` giving `MREMAP_SHRINK`.
    var isShrink: Bool { newLength < oldLength }
    /// Models `vrm_overlaps()`: the source and target ranges intersect.
    var overlaps: Bool { address &+ oldLength > newAddress && newAddress &+ newLength > address }
    /// Models `vrm_move_only()`: a MREMAP_FIXED move without resize, which may span several VMAs.
    var isMoveOnly: Bool { flags.contains(.fixed) && oldLength == newLength }
}

extension Machine {
    /// mremap(2): models `sys_mremap()` → `do_mremap()` of mm/mremap.c (6.17+ structure: parameter checks first,
    /// ending with the `max_map_count` headroom check of requests with a target, then a multi-VMA `remap_move()` for fixed moves without
    /// resize, else `check_prep_vma()` and `mremap_to()` or `mremap_at()`). Returns the (possibly new) address of
    /// the mapping or throws the errno. Hugetlb alignment and userfaultfd events are not modelled.
    public mutating func mremap(
        _ task: TaskID, _ oldAddress: UInt64, _ oldLength: UInt64, _ newLength: UInt64, flags: UInt64,
        newAddress: UInt64
    ) throws(KernelErrno) -> UInt64 {
        let mmID = tasks[task.rawValue].mm
        currentCPU = tasks[task.rawValue].cpu
        defer { currentCPU = nil }
        let pageMask = PageGeometry.pageSize - 1
        var request = RemapRequest(
            address: oldAddress, oldLength: (oldLength &+ pageMask) & ~pageMask,
            newLength: (newLength &+ pageMask) & ~pageMask, flags: MremapFlags(rawValue: flags),
            newAddress: newAddress)
        try checkMremapParams(request)
        // The last check of check_mremap_params(), for a request with a target address only: both the target and
        // the source may be split in three before they are unmapped, so two more VMAs must still leave move_vma()
        // its headroom.
        if request.impliesNewAddress && !mapCountHeadroom(mmID, extra: 2) { throw .ENOMEM }
        let result: UInt64
        if request.isMoveOnly {
            result = try remapMove(mmID, &request)
        } else {
            let index = mm(mmID).vmas.index(containing: request.address)
            try checkPrepVMA(mmID, index, &request)
            result =
                request.impliesNewAddress
                ? try mremapTo(mmID, &request) : try mremapAt(mmID, index!, &request)
        }
        if request.populateExpand {
            // mm_populate() of the added part: errors ignored, nothing for VM_LOCKONFAULT.
            mmPopulate(task, request.newAddress + request.oldLength, request.delta, ignoreErrors: true)
        }
        return result
    }

    /// Models `check_mremap_params()`: the checks that need no VMA — flags, alignment, lengths, and for a chosen
    /// target its range, alignment, MREMAP_MAYMOVE, DONTUNMAP's equal lengths and no overlap with the source.
    func checkMremapParams(_ request: RemapRequest) throws(KernelErrno) {
        let taskSize = PageGeometry.taskSize
        let pageMask = PageGeometry.pageSize - 1
        guard request.flags.isSubset(of: [.mayMove, .fixed, .dontUnmap]) else { throw .EINVAL }
        guard request.address & pageMask == 0 else { throw .EINVAL }
        guard request.newLength != 0, request.newLength <= taskSize else { throw .EINVAL }
        guard request.impliesNewAddress else { return }
        guard request.newAddress <= taskSize - request.newLength else { throw .EINVAL }
        guard request.newAddress & pageMask == 0 else { throw .EINVAL }
        guard request.flags.contains(.mayMove) else { throw .EINVAL }
        if request.flags.contains(.dontUnmap) && request.oldLength != request.newLength { throw .EINVAL }
        if request.overlaps { throw .EINVAL }
    }

    /// The map-count headroom of 6.18's mm/mremap.c: `prep_move_vma()` refuses a move when `map_count >=
    /// max_map_count - 3` (the unmap of the source may split one VMA into three), and `check_mremap_params()`
    /// refuses a request with a target address when `map_count + 2` reaches that bound. No check guards an
    /// in-place resize.
    func mapCountHeadroom(_ mmID: MMID, extra: Int) -> Bool {
        mm(mmID).mapCount + extra < config.maxMapCount - 3
    }

    /// Models `check_prep_vma()`: the VMA must exist (EFAULT) and not be sealed (EPERM); for a request that maps
    /// new space (growth or a move) the source range must stay inside the VMA (EFAULT), a private mapping cannot be
    /// duplicated with old length 0 (EINVAL), and growth must fit the file offset (EINVAL), not be of a
    /// VM_DONTEXPAND/VM_PFNMAP VMA (EFAULT), and pass `may_expand_vm()` (ENOMEM).
    func checkPrepVMA(_ mmID: MMID, _ index: Int?, _ request: inout RemapRequest) throws(KernelErrno) {
        guard let index else { throw .EFAULT }
        let vma = mm(mmID).vmas[index]
        if vma.sealed { throw .EPERM }
        request.delta =
            request.oldLength > request.newLength
            ? request.oldLength - request.newLength : request.newLength - request.oldLength
        if !request.impliesNewAddress { request.newAddress = request.address }
        guard request.isExpand || request.impliesNewAddress else { return }
        if request.oldLength == 0 && vma.flags.isDisjoint(with: [.shared, .mayShare]) { throw .EINVAL }
        if request.flags.contains(.dontUnmap) && !vma.flags.isDisjoint(with: [.dontExpand, .pfnMap]) {
            throw .EINVAL
        }
        let oldLength = request.isShrink ? request.newLength : request.oldLength
        if oldLength > vma.end - request.address { throw .EFAULT }
        if request.newLength == oldLength { return }
        if vma.flags.contains(.locked) { request.populateExpand = true }
        let pgoff = vma.filePage(of: request.address)
        if pgoff &+ (request.newLength >> PageGeometry.pageShift) < pgoff { throw .EINVAL }
        if !vma.flags.isDisjoint(with: [.dontExpand, .pfnMap]) { throw .EFAULT }
        guard mlockFutureOK(mmID, vma.flags, request.delta) else { throw .EAGAIN }
        guard mayExpandVM(mm(mmID), vma.flags, Int64(request.delta >> PageGeometry.pageShift)) else {
            throw .ENOMEM
        }
    }

    /// Models `remap_move()`: a MREMAP_FIXED move without resize moves every VMA of the source range (which must
    /// start on a mapping: EFAULT), keeping the gaps between them; each piece is checked and moved on its own.
    mutating func remapMove(_ mmID: MMID, _ request: inout RemapRequest) throws(KernelErrno) -> UInt64 {
        let start = request.address
        let end = start &+ request.oldLength
        var target = request.newAddress
        var result: UInt64?
        var lastEnd: UInt64 = 0
        var cursor = start
        // The kernel's iterator resumes after the last VMA it moved and stops at `end`, even if a merge at the target
        // made a VMA reach back over that point (a MREMAP_DONTUNMAP source can merge with its own copy).
        while cursor < end, let index = mm(mmID).vmas.firstIndex(intersecting: cursor, end) {
            let vma = mm(mmID).vmas[index]
            if result == nil && start < vma.start { throw .EFAULT }
            // vma_multi_allowed(): a VMA armed for userfaultfd can only be moved alone.
            if vma.uffdContext != nil && (result != nil || vma.end < end) { throw .EFAULT }
            // Unsigned arithmetic as in the kernel: a bogus target is refused by the checks that follow.
            let offset = result == nil ? 0 : vma.start &- lastEnd
            lastEnd = vma.end
            let address = max(vma.start, start)
            let length = min(end, vma.end) - address
            var piece = RemapRequest(
                address: address, oldLength: length, newLength: length, flags: request.flags,
                newAddress: target &+ offset)
            try checkPrepVMA(mmID, index, &piece)
            let moved = try mremapTo(mmID, &piece)
            if result == nil { result = moved }
            target = moved &+ length
            cursor = vma.end
        }
        guard let result else { throw .EFAULT }
        request.newAddress = result
        return result
    }

    /// Models `mremap_to()`: MREMAP_FIXED first unmaps the target (as MAP_FIXED does) and looks the source up
    /// again (EFAULT if gone); a shrink unmaps the tail first; MREMAP_DONTUNMAP must fit `may_expand_vm()` for the
    /// whole copy; then the target address is chosen and the VMA moved.
    mutating func mremapTo(_ mmID: MMID, _ request: inout RemapRequest) throws(KernelErrno) -> UInt64 {
        if request.flags.contains(.fixed) {
            try unmapRange(mmID, request.newAddress, request.newAddress + request.newLength)
            guard mm(mmID).vmas.index(containing: request.address) != nil else { throw .EFAULT }
        }
        if request.isShrink {
            try shrinkVMA(mmID, request)
            request.oldLength = request.newLength
        }
        guard let index = mm(mmID).vmas.index(containing: request.address) else { throw .EFAULT }
        if request.flags.contains(.dontUnmap) {
            let vma = mm(mmID).vmas[index]
            guard mayExpandVM(mm(mmID), vma.flags, Int64(request.oldLength >> PageGeometry.pageShift)) else {
                throw .ENOMEM
            }
        }
        try setNewAddress(mmID, index, &request)
        return try moveVMA(mmID, index, &request)
    }

    /// Models `shrink_vma()`: unmaps `[address + new_len, address + old_len)`.
    mutating func shrinkVMA(_ mmID: MMID, _ request: RemapRequest) throws(KernelErrno) {
        try unmapRange(mmID, request.address + request.newLength, request.address + request.oldLength)
        guard mm(mmID).vmas.index(containing: request.address) != nil else { throw .EFAULT }
    }

    /// Models `mremap_at()`: no resize returns the address; a shrink unmaps the tail; growth goes to
    /// `expand_vma()`.
    mutating func mremapAt(_ mmID: MMID, _ index: Int, _ request: inout RemapRequest) throws(KernelErrno) -> UInt64 {
        if request.isShrink {
            try shrinkVMA(mmID, request)
            return request.address
        }
        guard request.isExpand else { return request.address }
        return try expandVMA(mmID, index, &request)
    }

    /// Models `expand_vma()`: grows in place when the range ends at the VMA's end and the space after it is free
    /// (`vrm_can_expand_in_place()`), else moves with MREMAP_MAYMOVE to a fresh address, else ENOMEM.
    mutating func expandVMA(_ mmID: MMID, _ index: Int, _ request: inout RemapRequest) throws(KernelErrno) -> UInt64 {
        if canExpandInPlace(mmID, mm(mmID).vmas[index], request) {
            try expandVMAInPlace(mmID, index, &request)
            return request.address
        }
        guard request.flags.contains(.mayMove) else { throw .ENOMEM }
        try setNewAddress(mmID, index, &request)
        return try moveVMA(mmID, index, &request)
    }

    /// Models `vrm_can_expand_in_place()` with `vma_expandable()`: the range reaches the VMA's end, the grown end
    /// does not wrap, no VMA lies in the added part, and the whole grown VMA fits below `TASK_SIZE`.
    func canExpandInPlace(_ mmID: MMID, _ vma: VMA, _ request: RemapRequest) -> Bool {
        guard vma.end - request.address == request.oldLength else { return false }
        let end = vma.end &+ request.delta
        guard end >= vma.end else { return false }
        if mm(mmID).vmas.firstIndex(intersecting: vma.end, end) != nil { return false }
        return end - vma.start <= PageGeometry.taskSize && vma.start <= PageGeometry.taskSize - (end - vma.start)
    }

    /// Models `expand_vma_in_place()`: charges the growth (`vrm_calc_charge()`), extends the VMA and merges it with
    /// a now adjacent compatible next VMA (`vma_merge_extend()`), and accounts the added pages
    /// (`vrm_stat_account()`).
    mutating func expandVMAInPlace(_ mmID: MMID, _ index: Int, _ request: inout RemapRequest) throws(KernelErrno) {
        let vma = mm(mmID).vmas[index]
        try calcCharge(mmID, vma, &request)
        let newEnd = vma.end + request.delta
        withMM(mmID) { mm in
            mm.vmas.update(index) { $0.end = newEnd }
            let grown = mm.vmas[index]
            if index + 1 < mm.vmas.count, grown.canMerge(withNext: mm.vmas[index + 1]) {
                let next = mm.vmas[index + 1]
                var merged = grown
                merged.end = next.end
                (merged.anonVMA, merged.anonVMAChained) = VMA.mergedAnonVMA(grown, next)
                mm.vmas.replace(index..<(index + 2), with: [merged])
            }
        }
        statAccount(mmID, vma.flags, request.delta)
    }

    /// Models `vrm_calc_charge()`: an accountable (VM_ACCOUNT) VMA charges the whole new length for
    /// MREMAP_DONTUNMAP, else `delta`, to the commit limit (ENOMEM if refused).
    mutating func calcCharge(_ mmID: MMID, _ vma: VMA, _ request: inout RemapRequest) throws(KernelErrno) {
        guard vma.flags.contains(.account) else { return }
        let length = request.flags.contains(.dontUnmap) ? request.newLength : request.delta
        let pages = Int64(length >> PageGeometry.pageShift)
        guard vmEnoughMemory(pages, for: mmID) else { throw .ENOMEM }
        request.charged = pages
    }

    /// Models `vrm_stat_account()`: `vm_stat_account()` and `locked_vm` for `bytes` more of a VMA with `flags`.
    mutating func statAccount(_ mmID: MMID, _ flags: VMFlags, _ bytes: UInt64) {
        let pages = Int64(bytes >> PageGeometry.pageShift)
        withMM(mmID) { mm in
            mm.accounting.account(flags, pages: pages)
            if flags.contains(.locked) { mm.accounting.lockedVM += pages }
        }
    }

    /// Models `vrm_set_new_addr()`: `get_unmapped_area()` with MAP_FIXED for MREMAP_FIXED, the target as a hint
    /// for MREMAP_DONTUNMAP alone, else no hint; MAP_SHARED for a VM_MAYSHARE VMA.
    mutating func setNewAddress(_ mmID: MMID, _ index: Int, _ request: inout RemapRequest) throws(KernelErrno) {
        let vma = mm(mmID).vmas[index]
        var mapFlags: MapFlags = vma.flags.contains(.mayShare) ? .shared : .private
        if request.flags.contains(.fixed) { mapFlags.insert(.fixed) }
        let hint = request.impliesNewAddress ? request.newAddress : 0
        request.newAddress = try getUnmappedArea(
            mmID, hint, request.newLength, mapFlags,
            anonymousPrivate: vma.isAnonymous && !vma.flags.contains(.mayShare))
    }

    /// Models `move_vma()`: checks the map-count headroom (`prep_move_vma()`), charges, copies the VMA to the
    /// target (`copy_vma()`), moves the page tables of the old length (`move_page_tables()`), accounts the new
    /// length, then unmaps the source without giving its charge back (`unmap_source_vma()`), or with
    /// MREMAP_DONTUNMAP keeps it, clearing its mlock (`dontunmap_complete()`).
    mutating func moveVMA(_ mmID: MMID, _ index: Int, _ request: inout RemapRequest) throws(KernelErrno) -> UInt64 {
        guard mapCountHeadroom(mmID, extra: 0) else { throw .ENOMEM }
        let vma = mm(mmID).vmas[index]
        try calcCharge(mmID, vma, &request)
        copyVMA(mmID, vma, request)
        movePageTables(mmID, vma, from: request.address, to: request.newAddress, length: request.oldLength)
        statAccount(mmID, vma.flags, request.newLength)
        if request.flags.contains(.dontUnmap) {
            if let source = mm(mmID).vmas.index(containing: request.address) {
                withMM(mmID) { $0.vmas.update(source) { $0.flags.subtract([.locked, .lockOnFault]) } }
            }
        } else {
            unmapSourceVMA(mmID, request)
        }
        return request.newAddress
    }

    /// Models `copy_vma()`: a VMA like the source's at the target, with the file offset of the moved part (an
    /// anonymous VMA never faulted takes the target's page number instead, to merge more easily), merged with a
    /// compatible neighbour there or inserted. The commit charge was taken by the caller.
    mutating func copyVMA(_ mmID: MMID, _ vma: VMA, _ request: RemapRequest) {
        var copy = vma
        copy.start = request.newAddress
        copy.end = request.newAddress + request.newLength
        copy.pgoff = vma.filePage(of: request.address)
        if vma.isAnonymous && vma.anonVMA == nil { copy.pgoff = request.newAddress >> PageGeometry.pageShift }
        insertMerging(mmID, copy)
    }

    /// Models `unmap_source_vma()`: the source range is unmapped with VM_ACCOUNT cleared (the copy carries the
    /// charge), and VM_ACCOUNT is set again on what remains of the source VMA on either side.
    mutating func unmapSourceVMA(_ mmID: MMID, _ request: RemapRequest) {
        let start = request.address
        let end = start + request.oldLength
        guard let index = mm(mmID).vmas.index(containing: start) else { return }
        let source = mm(mmID).vmas[index]
        let accountable = source.flags.contains(.account)
        if accountable { withMM(mmID) { $0.vmas.update(index) { $0.flags.remove(.account) } } }
        // An old length of 0 (duplicating a shared mapping) makes the kernel's `do_vmi_munmap()` fail with EINVAL:
        // the error path re-charges nothing and leaves the source in place.
        guard request.oldLength != 0 else { return }
        do {
            try unmapRange(mmID, start, end)
        } catch {
            // The kernel's "OOM: unable to split" path: the charge for the length is taken again.
            if accountable { committedPages += Int64(request.oldLength >> PageGeometry.pageShift) }
            return
        }
        guard accountable else { return }
        withMM(mmID) { mm in
            if source.start < start, let left = mm.vmas.index(containing: start - 1) {
                mm.vmas.update(left) { $0.flags.insert(.account) }
            }
            if source.end > end, let right = mm.vmas.index(containing: end) {
                mm.vmas.update(right) { $0.flags.insert(.account) }
            }
        }
    }

    /// Models `move_page_tables()` on x86 (no PMD/PUD realignment, no PUD-level moves): for each PMD-bounded
    /// extent, a huge PMD moves whole when the extent is a whole PMD (else it is split), a PTE table moves whole
    /// when the extent is a whole PMD and the target slot is empty (`move_normal_pmd()`, flushing the old PMD's
    /// range), and otherwise the PTEs move one by one (`move_ptes()`).
    mutating func movePageTables(_ mmID: MMID, _ vma: VMA, from oldStart: UInt64, to newStart: UInt64, length: UInt64) {
        let pmdSize = PageGeometry.pmdSize
        let oldEnd = oldStart + length
        var oldAddress = oldStart
        var newAddress = newStart
        let cpu = runningCPU(of: mmID)
        while oldAddress < oldEnd {
            var extent = PageGeometry.alignDown(oldAddress, pmdSize) + pmdSize - oldAddress
            extent = min(extent, oldEnd - oldAddress)
            extent = min(extent, PageGeometry.alignDown(newAddress, pmdSize) + pmdSize - newAddress)
            defer {
                oldAddress += extent
                newAddress += extent
            }
            guard let oldPMD = existingPMDSlot(mmID, oldAddress) else { continue }
            let entry = pageTables[oldPMD.table, oldPMD.index]
            if entry.isNone { continue }
            guard let newPMD = pmdSlot(mmID, newAddress, allocate: true) else { continue }
            if entry.isHuge || !entry.hardwarePresent {
                if extent == pmdSize && pageTables[newPMD.table, newPMD.index].isNone {
                    // move_huge_pmd(): the leaf PMD moves; a present one is flushed from the old address.
                    pageTables[oldPMD.table, oldPMD.index] = .none
                    pageTables[newPMD.table, newPMD.index] = entry
                    if entry.isPresent {
                        flushTLBRange(
                            initiator: cpu, mm: mmID, start: oldAddress, end: oldAddress + pmdSize, freedTables: false)
                    }
                    continue
                }
                guard entry.isHuge && entry.isPresent else { continue }
                splitHugePMD(mmID, vma, oldPMD, PageGeometry.alignDown(oldAddress, pmdSize))
            } else if extent == pmdSize && pageTables[newPMD.table, newPMD.index].isNone {
                // move_normal_pmd(): the whole PTE table changes hands; the old range is flushed unconditionally.
                pageTables[oldPMD.table, oldPMD.index] = .none
                pageTables[newPMD.table, newPMD.index] = entry
                flushTLBRange(
                    initiator: cpu, mm: mmID, start: oldAddress, end: oldAddress + pmdSize, freedTables: false)
                continue
            }
            movePTEs(mmID, from: oldAddress, to: newAddress, extent: extent, cpu: cpu)
        }
    }

    /// Models `move_ptes()`: every non-empty PTE of the extent moves to the target (soft-dirty marked when the
    /// kernel tracks it); if any of them was present, `flush_tlb_range()` covers the whole old extent once, after
    /// the loop and before the page-table locks drop.
    mutating func movePTEs(_ mmID: MMID, from oldStart: UInt64, to newStart: UInt64, extent: UInt64, cpu: CPUID) {
        guard let oldSlot = existingPTESlot(mmID, oldStart),
            let newSlot = pteSlot(mmID, newStart, allocate: true)
        else { return }
        let count = Int(extent >> PageGeometry.pageShift)
        var forceFlush = false
        for offset in 0..<count {
            var pte = pageTables[oldSlot.table, oldSlot.index + offset]
            if pte.isNone { continue }
            if pte.isPresent {
                forceFlush = true
                if config.softDirty { pte = pte.setting(.softDirty) }
            }
            pageTables[oldSlot.table, oldSlot.index + offset] = .none
            pageTables[newSlot.table, newSlot.index + offset] = pte
        }
        if forceFlush {
            flushTLBRange(initiator: cpu, mm: mmID, start: oldStart, end: oldStart + extent, freedTables: false)
        }
    }
}
