import MMHardware

extension Machine {
    /// mmap(2): models x86 `sys_mmap()` → `ksys_mmap_pgoff()` → `do_mmap()` → `mmap_region()`, with every check in
    /// the kernel's order. Returns the mapped address or throws the errno. `file` stands for the fd (nil = -1).
    public mutating func mmap(
        _ task: TaskID, address hint: UInt64, length: UInt64, prot: Protection, flags: MapFlags, file: FileID?,
        offset: UInt64
    ) throws(KernelErrno) -> UInt64 {
        let mmID = tasks[task.rawValue].mm
        currentCPU = tasks[task.rawValue].cpu
        defer { currentCPU = nil }
        guard offset & (PageGeometry.pageSize - 1) == 0 else { throw .EINVAL }
        let anonymous = flags.contains(.anonymous)
        var backing: SimFile?
        var length = length
        // The huge page size of an anonymous MAP_HUGETLB mapping that passed its size check.
        var hugePageSize: UInt64?
        if !anonymous {
            guard let file, file.rawValue >= 0, file.rawValue < files.count else { throw .EBADF }
            backing = files[file.rawValue]
            // ksys_mmap_pgoff(): MAP_HUGETLB needs a hugetlbfs file, and the model has none.
            if flags.contains(.hugetlb) { throw .EINVAL }
        } else if flags.contains(.hugetlb) {
            // ksys_mmap_pgoff(): the size field must name a huge page size (0: the default); the length is
            // rounded up to it before do_mmap() sees it.
            let sizeLog = (flags.rawValue >> MapFlags.hugeShift) & MapFlags.hugeMask
            let shift = sizeLog == 0 ? 21 : sizeLog
            guard config.hugePageShifts.contains(Int(shift)) else { throw .EINVAL }
            let size: UInt64 = 1 << shift
            length = (length &+ size - 1) & ~(size - 1)
            guard length != 0 else { throw .EINVAL }
            hugePageSize = size
        }
        let pgoff = offset >> PageGeometry.pageShift
        var mapFlags = flags
        guard length != 0 else { throw .EINVAL }
        if mapFlags.contains(.fixedNoReplace) { mapFlags.insert(.fixed) }
        var address = hint
        if !mapFlags.contains(.fixed) {
            address = PageGeometry.alignDown(hint, PageGeometry.pageSize)
            if address != 0 && address < config.mmapMinAddress {
                address = PageGeometry.alignUp(config.mmapMinAddress, PageGeometry.pageSize)
            }
        }
        length = PageGeometry.alignUp(length, PageGeometry.pageSize)
        guard length != 0 else { throw .ENOMEM }
        let pages = length >> PageGeometry.pageShift
        guard pgoff &+ pages >= pgoff else { throw .EOVERFLOW }
        guard mm(mmID).mapCount <= config.maxMapCount else { throw .ENOMEM }
        // Exactly PROT_EXEC asks for the execute-only key (`execute_only_pkey()`, 0 if none is free) before the
        // address is chosen, so the key stays allocated even if the call fails after this point.
        var pkey = 0
        if prot.rawValue == Protection.exec.rawValue { pkey = executeOnlyPKey(task) ?? 0 }
        if let hugePageSize, mapFlags.contains(.fixed) {
            // hugetlb_get_unmapped_area() → prepare_hugepage_range(): a fixed address must be huge-aligned.
            guard address & (hugePageSize - 1) == 0 else { throw .EINVAL }
        }
        let mapType = flags.rawValue & MapFlags.typeMask
        address = try getUnmappedArea(
            mmID, address, length, mapFlags, anonymousPrivate: anonymous && mapType == MapFlags.private.rawValue)
        if flags.contains(.fixedNoReplace) && mm(mmID).vmas.firstIndex(intersecting: address, address + length) != nil {
            throw .EEXIST
        }
        var prot = prot
        if prot.contains(.read) && readImpliesExec(task) && !(backing?.noexec ?? false) { prot.insert(.exec) }
        var vmFlags = VMFlags.fromProt(prot, pkey: pkey).union([.mayRead, .mayWrite, .mayExec]).union(
            mm(mmID).defaultFlags)
        if mapFlags.contains(.growsDown) { vmFlags.insert(.growsDown) }
        if mapFlags.contains(.locked) { vmFlags.insert(.locked) }
        if mapFlags.contains(.stack) { vmFlags.insert(.noHugePage) }
        // calc_vm_flag_bits() turns MAP_SYNC into VM_SYNC whatever the mapping type (MAP_SHARED drops the flag
        // only afterwards).
        if mapFlags.contains(.sync) { vmFlags.insert(.sync) }
        // MAP_LOCKED needs can_do_mlock(); a locked mapping (MAP_LOCKED or mlockall(MCL_FUTURE)) must fit
        // RLIMIT_MEMLOCK unless the process has CAP_IPC_LOCK (mlock_future_ok()).
        if mapFlags.contains(.locked) && !canDoMlock { throw .EPERM }
        if !mlockFutureOK(mmID, vmFlags, length) { throw .EAGAIN }
        var filePgoff = pgoff
        if let backing {
            guard Machine.fileMmapOK(pgoff, length) else { throw .EOVERFLOW }
            switch mapType {
            case MapFlags.shared.rawValue, MapFlags.sharedValidate.rawValue:
                // MAP_SHARED drops unknown flags (LEGACY_MAP_MASK); MAP_SHARED_VALIDATE refuses them, except MAP_SYNC
                // on a file system that declares it (FOP_MMAP_SYNC: ext4 and xfs, whose mmap hook then refuses it
                // without DAX).
                let validMask = MapFlags.legacyMask | (backing.refusesSync ? MapFlags.sync.rawValue : 0)
                if mapType == MapFlags.sharedValidate.rawValue && flags.rawValue & ~validMask != 0 {
                    throw .EOPNOTSUPP
                }
                if prot.contains(.write) && !backing.writable { throw .EACCES }
                vmFlags.formUnion([.shared, .mayShare])
                if !backing.writable { vmFlags.subtract([.mayWrite, .shared]) }
                fallthrough
            case MapFlags.private.rawValue:
                if !backing.readable { throw .EACCES }
                if backing.noexec {
                    if vmFlags.contains(.exec) { throw .EPERM }
                    vmFlags.remove(.mayExec)
                }
                if vmFlags.contains(.growsDown) { throw .EINVAL }
            default:
                throw .EINVAL
            }
        } else {
            switch mapType {
            case MapFlags.shared.rawValue:
                // Anonymous memory has no MAP_SHARED_VALIDATE: MAP_SHARED, MAP_PRIVATE and MAP_DROPPABLE only.
                if vmFlags.contains(.growsDown) { throw .EINVAL }
                filePgoff = 0
                vmFlags.formUnion([.shared, .mayShare])
            case MapFlags.droppable.rawValue:
                // A droppable mapping cannot be locked, huge or a stack; it is never reserved, copied on fork or
                // dumped.
                if flags.contains(.locked) || flags.contains(.hugetlb) || vmFlags.contains(.growsDown) {
                    throw .EINVAL
                }
                vmFlags.formUnion([.droppable, .noReserve, .wipeOnFork, .dontDump])
                filePgoff = address >> PageGeometry.pageShift
            case MapFlags.private.rawValue:
                filePgoff = address >> PageGeometry.pageShift
            default:
                throw .EINVAL
            }
        }
        if mapFlags.contains(.noReserve) && config.overcommitMode != 2 { vmFlags.insert(.noReserve) }
        if let backing, backing.sealWrite, vmFlags.contains(.shared) {
            // memfd write seals (`memfd_check_seals_mmap()`): no shared writable mapping, and no mprotect to one.
            if vmFlags.contains(.write) { throw .EPERM }
            vmFlags.remove(.mayWrite)
        }
        if hugePageSize != nil {
            // Past its checks the mapping needs huge pages the model's pool does not have: hugetlbfs_file_mmap() →
            // hugetlb_reserve_pages() fails once the replaced range is cleared (MAP_NORESERVE huge mappings, which
            // would succeed, are not modelled).
            _ = try gatherSplits(mmID, address, address + length)
            try unmapRange(mmID, address, address + length)
            throw .ENOMEM
        }
        // do_mmap() decides to populate from the flags it computed (VM_LOCKED from MAP_LOCKED or mlockall's
        // def_flags); __mmap_complete() then drops VM_LOCKED/VM_LOCKONFAULT from a droppable VMA, which is populated
        // all the same, and fully, as an unlocked VMA is.
        let populateLocked = vmFlags.contains(.locked)
        if vmFlags.contains(.droppable) { vmFlags.subtract(.lockedMask) }
        let mapped = try mmapRegion(mmID, address, length, vmFlags, filePgoff, file: anonymous ? nil : file)
        if populateLocked || flags.intersection([.populate, .nonBlock]) == .populate {
            // vm_mmap_pgoff() → mm_populate(): errors ignored; a VM_LOCKONFAULT mapping stays unpopulated.
            mmPopulate(task, mapped, length, ignoreErrors: true)
        }
        return mapped
    }

    /// Models `file_mmap_ok()` for regular files and shmem (`file_mmap_size_max()` = `MAX_LFS_FILESIZE`): the
    /// mapping must end within the largest file offset, else mmap fails with EOVERFLOW.
    static func fileMmapOK(_ pgoff: UInt64, _ length: UInt64) -> Bool {
        let maxSize = UInt64(Int64.max)
        if length > maxSize { return false }
        return pgoff <= (maxSize - length) >> PageGeometry.pageShift
    }

    /// Models `mmap_region()`: RLIMIT checks, unmapping what MAP_FIXED replaces, the commit charge of a private
    /// writable mapping, merging with an adjacent compatible VMA or inserting a new one, and `vm_stat_account()`.
    mutating func mmapRegion(
        _ mmID: MMID, _ address: UInt64, _ length: UInt64, _ flags: VMFlags, _ pgoff: UInt64, file: FileID?
    ) throws(KernelErrno) -> UInt64 {
        // map_deny_write_exec() with the new flags as old and new: under MDWE no mapping starts writable and
        // executable.
        if mm(mmID).denyWriteExecute && mapDenyWriteExec(old: flags, new: flags) { throw .EACCES }
        let pages = Int64(length >> PageGeometry.pageShift)
        let end = address + length
        var overlap: Int64 = 0
        var accounted: Int64 = 0
        for index in mm(mmID).vmas.indices(intersecting: address, end) {
            let vma = mm(mmID).vmas[index]
            let covered = Int64((min(vma.end, end) - max(vma.start, address)) >> PageGeometry.pageShift)
            overlap += covered
            if vma.flags.contains(.account) { accounted += covered }
        }
        // __mmap_region() gathers the VMAs being replaced (vms_gather_munmap_vmas()) before any limit or commit
        // check: a sealed one refuses with EPERM, and the splits at the range's ends stay whatever fails later.
        _ = try gatherSplits(mmID, address, end)
        guard mayExpandVM(mm(mmID), flags, pages - overlap) else { throw .ENOMEM }
        var vmFlags = flags
        if config.softDirty { vmFlags.insert(.softDirty) }
        // accountable_mapping(): charge only what the replaced VMAs had not already charged (`vms.nr_accounted`),
        // and before unmapping them, so that a refused charge leaves the old mappings in place (`abort_munmap`).
        let accountable = vmFlags.intersection([.noReserve, .shared, .write, .hugetlb]) == .write
        let charge = pages - accounted
        if accountable {
            if charge != 0 { guard vmEnoughMemory(charge, for: mmID) else { throw .ENOMEM } }
            vmFlags.insert(.account)
        }
        do {
            try unmapRange(mmID, address, end)
        } catch {
            if accountable { vmUnaccountMemory(charge) }
            throw error
        }
        // The file system's mmap hook runs once the replaced range is cleared; a refusal leaves the range a gap
        // (`vms_abort_munmap_vmas()` cannot restore VMAs whose page tables are gone) and gives the charge back.
        if let file, !vmFlags.isDisjoint(with: .sync), files[file.rawValue].refusesSync {
            if accountable { vmUnaccountMemory(charge) }
            throw .EOPNOTSUPP
        }
        // The replaced VMAs' charge carries over to the new one (the kernel zeroes `vms.nr_accounted`), but the
        // unmap just gave it back: take it again.
        if accountable { committedPages += accounted }
        var backing = file
        if file == nil && vmFlags.contains(.shared) && !vmFlags.contains(.noReserve) {
            // shmem_zero_setup() → shmem_acct_size(): the shmem object is charged to the commit limit once the
            // replaced range is cleared, so a refusal leaves a gap. The model does not track the object's charge
            // for its lifetime: it only asks whether the charge would be granted.
            guard vmEnoughMemory(pages, for: mmID) else { throw .ENOMEM }
            vmUnaccountMemory(pages)
        }
        if file == nil && vmFlags.contains(.shared) {
            // shmem_zero_setup(): shared anonymous memory is an unlinked shmem file of the mapping's size.
            backing = createFile(name: "/dev/zero (deleted)", sizePages: UInt64(pages), isShmem: true)
            files[backing!.rawValue].zeroFilled = true
        }
        var vma = VMA(start: address, end: end, flags: vmFlags, pgoff: pgoff, file: backing)
        vma.pageProt = pageProtection(for: vma)
        insertMerging(mmID, vma)
        withMM(mmID) { mm in
            mm.accounting.account(vmFlags, pages: pages)
            if vmFlags.contains(.locked) { mm.accounting.lockedVM += pages }
        }
        return address
    }

    /// Models `vma_set_page_prot()`: the protection template, without RW when the VMA wants write-notify so that the
    /// first write to each page faults.
    func pageProtection(for vma: VMA) -> PTEFlags {
        var flags = vma.flags
        if wantsWriteNotify(vma) { flags.remove(.shared) }
        return ProtectionMap.pageProtection(for: flags)
    }

    /// Models `vma_wants_writenotify()`: shared writable VMAs of files with writeback, or with soft-dirty tracking
    /// armed, or registered for uffd-wp, need their first write to fault.
    func wantsWriteNotify(_ vma: VMA) -> Bool {
        guard vma.flags.isSuperset(of: [.write, .shared]) else { return false }
        if vma.flags.contains(.pfnMap) { return false }
        if config.softDirty && !vma.flags.contains(.softDirty) && !vma.flags.contains(.hugetlb) { return true }
        if vma.flags.contains(.uffdWP) { return true }
        guard let file = vma.file else { return false }
        return files[file.rawValue].needsDirtyAccounting
    }

    /// Models `vma_merge_new_range()` + `vma_link()`: the new VMA is absorbed by an adjacent compatible neighbour
    /// (or joins both), else inserted on its own.
    mutating func insertMerging(_ mmID: MMID, _ vma: VMA) {
        withMM(mmID) { mm in
            let index = mm.vmas.firstIndex(endingAfter: vma.start)
            let previous = index > 0 ? mm.vmas[index - 1] : nil
            let next = index < mm.vmas.count ? mm.vmas[index] : nil
            let left = previous.map { $0.canMerge(withNext: vma) } ?? false
            let right = next.map { vma.canMerge(withNext: $0) } ?? false
            if left, right, let previous, let next, VMA.anonVMAsCompatible(previous, next) {
                var merged = previous
                merged.end = next.end
                (merged.anonVMA, merged.anonVMAChained) = VMA.mergedAnonVMA(previous, next)
                mm.vmas.replace((index - 1)..<(index + 1), with: [merged])
            } else if left {
                mm.vmas.update(index - 1) { $0.end = vma.end }
            } else if right {
                mm.vmas.update(index) {
                    $0.start = vma.start
                    $0.pgoff = vma.pgoff
                }
            } else {
                mm.vmas.insert(vma)
            }
        }
    }
}
