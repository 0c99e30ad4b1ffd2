import MMHardware

extension Machine {
    /// mlock(2) (`flags` 0) and mlock2(2): models `sys_mlock2()` → `do_mlock()` in mm/mlock.c. The flags are an
    /// `int`, so only their low 32 bits count, and any bit but `MLOCK_ONFAULT` is EINVAL. Then, in the kernel's
    /// order: EPERM unless `can_do_mlock()`; the start is rounded down to its page and the length up to cover the
    /// last byte (`PAGE_ALIGN(len + offset_in_page(start))`, wrapping like the kernel's unsigned arithmetic);
    /// without `CAP_IPC_LOCK`, ENOMEM if the pages not yet locked would take `locked_vm` past `RLIMIT_MEMLOCK`; then
    /// `apply_vma_lock_flags()` (EINVAL for a wrapping range, ENOMEM for a hole, leaving the VMAs before it locked),
    /// and without MLOCK_ONFAULT `__mm_populate()`, whose errors mlock reports as POSIX wants (EFAULT → ENOMEM,
    /// ENOMEM → EAGAIN) after the VMAs are already locked.
    public mutating func mlock(_ task: TaskID, _ start: UInt64, _ length: UInt64, flags: UInt64) throws(KernelErrno) {
        let requested = Int32(truncatingIfNeeded: flags)
        if requested & ~MlockFlags.onFault != 0 { throw .EINVAL }
        var lockFlags: VMFlags = .locked
        if requested & MlockFlags.onFault != 0 { lockFlags.insert(.lockOnFault) }
        try doMlock(task, start, length, lockFlags)
    }

    /// munlock(2): models `sys_munlock()`: the same rounding as mlock, no limit or capability check, then
    /// `apply_vma_lock_flags()` clearing `VM_LOCKED`/`VM_LOCKONFAULT` (VMAs merge again where they now match).
    public mutating func munlock(_ task: TaskID, _ start: UInt64, _ length: UInt64) throws(KernelErrno) {
        let mmID = tasks[task.rawValue].mm
        currentCPU = tasks[task.rawValue].cpu
        defer { currentCPU = nil }
        let (alignedStart, alignedLength) = Machine.mlockRange(start, length)
        try applyVMALockFlags(mmID, alignedStart, alignedLength, [])
    }

    /// Models `do_mlock()`.
    mutating func doMlock(_ task: TaskID, _ start: UInt64, _ length: UInt64, _ lockFlags: VMFlags) throws(KernelErrno) {
        let mmID = tasks[task.rawValue].mm
        currentCPU = tasks[task.rawValue].cpu
        defer { currentCPU = nil }
        guard canDoMlock else { throw .EPERM }
        let (alignedStart, alignedLength) = Machine.mlockRange(start, length)
        let limit = memlockLimitPages
        var locked = (alignedLength >> PageGeometry.pageShift) &+ UInt64(max(0, mm(mmID).accounting.lockedVM))
        if locked > limit && !config.capIPCLock {
            // Pages of the range that are locked already are in locked_vm: they do not count twice.
            locked &-= countMMMlockedPageNr(mmID, alignedStart, alignedLength)
        }
        guard locked <= limit || config.capIPCLock else { throw .ENOMEM }
        try applyVMALockFlags(mmID, alignedStart, alignedLength, lockFlags)
        if let error = mmPopulate(task, alignedStart, alignedLength, ignoreErrors: false) {
            // __mlock_posix_error_return()
            switch error {
            case .EFAULT: throw .ENOMEM
            case .ENOMEM: throw .EAGAIN
            default: throw error
            }
        }
    }

    /// The range mlock and munlock work on: the start rounded down to its page, the length rounded up so that the
    /// last byte stays covered, both with the kernel's wrapping unsigned arithmetic (a huge length may wrap to a
    /// small one).
    static func mlockRange(_ start: UInt64, _ length: UInt64) -> (start: UInt64, length: UInt64) {
        let mask = PageGeometry.pageSize - 1
        let length = (length &+ (start & mask) &+ mask) & ~mask
        return (start & ~mask, length)
    }

    /// Models `count_mm_mlocked_page_nr()`: how many pages of `[start, start + length)` lie in VMAs already
    /// `VM_LOCKED` (the end saturates at the top of the address space).
    func countMMMlockedPageNr(_ mmID: MMID, _ start: UInt64, _ length: UInt64) -> UInt64 {
        let end = UInt64.max - length < start ? UInt64.max : start + length
        var count: UInt64 = 0
        for index in mm(mmID).vmas.indices(intersecting: start, end) {
            let vma = vma(mmID, index)
            guard vma.flags.contains(.locked) else { continue }
            count += min(vma.end, end) - max(vma.start, start)
        }
        return count >> PageGeometry.pageShift
    }

    /// Models `apply_vma_lock_flags()`: gives every VMA of `[start, start + length)` the lock flags `lockFlags` in
    /// place of its own through `mlock_fixup()`. A wrapping range is EINVAL, an empty one does nothing; the start
    /// must lie in a VMA and the VMAs must follow each other without a hole (ENOMEM, with the VMAs before the hole
    /// already changed); a failed split ends the call with its errno.
    mutating func applyVMALockFlags(
        _ mmID: MMID, _ start: UInt64, _ length: UInt64, _ lockFlags: VMFlags
    ) throws(KernelErrno) {
        let end = start &+ length
        if end < start { throw .EINVAL }
        if end == start { return }
        guard var index = mm(mmID).vmas.index(containing: start) else { throw .ENOMEM }
        var processed = vma(mmID, index).start
        var segmentStart = start
        while index < vmaCount(mmID) && vma(mmID, index).start < end {
            let vma = vma(mmID, index)
            if vma.start != processed { throw .ENOMEM }
            let newFlags = vma.flags.subtracting(.lockedMask).union(lockFlags)
            let result = try mlockFixup(mmID, index, segmentStart, min(vma.end, end), newFlags)
            // Continue after the VMA that now holds the segment: a merge may have made it reach past `end`.
            processed = self.vma(mmID, result).end
            index = result + 1
            segmentStart = processed
        }
        if processed < end { throw .ENOMEM }
    }
}
