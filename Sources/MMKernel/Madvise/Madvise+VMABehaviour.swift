import MMHardware

extension Machine {
    /// Models `madvise_vma_behavior()`: the seal check, then either an advice that acts on pages (each in its own
    /// function) or a change of `vm_flags` applied by `madvise_update_vma()`, which splits the VMA at the range's
    /// edges or merges it with a neighbour that then matches.
    mutating func madviseVMABehavior(_ behaviour: inout MadviseBehaviour, _ index: Int) throws(KernelErrno) {
        let vma = vma(behaviour.mm, index)
        guard canMadviseModify(behaviour.task, vma, behaviour.advice) else { throw .EPERM }
        switch behaviour.advice {
        case .remove: return try madviseRemove(behaviour, index)
        case .willNeed: return madviseWillNeed(behaviour, index)
        case .cold: return try madviseCold(behaviour, index)
        case .pageOut: return try madvisePageOut(behaviour, index)
        case .free, .dontNeed, .dontNeedLocked: return try madviseDontNeedFree(&behaviour, index)
        case .collapse: return try madviseCollapse(behaviour, index)
        case .guardInstall: return try madviseGuardInstall(behaviour, index)
        case .guardRemove: return try madviseGuardRemove(behaviour, index)
        default: break
        }
        var flags = vma.flags
        switch behaviour.advice {
        case .normal: flags.subtract([.seqRead, .randRead])
        case .sequential:
            flags.remove(.randRead)
            flags.insert(.seqRead)
        case .random:
            flags.remove(.seqRead)
            flags.insert(.randRead)
        case .dontFork: flags.insert(.dontCopy)
        case .doFork:
            if flags.contains(.io) { throw .EINVAL }
            flags.remove(.dontCopy)
        case .wipeOnFork:
            // Only private anonymous memory can be wiped (shared anonymous memory is a shmem file).
            if vma.file != nil || flags.contains(.shared) { throw .EINVAL }
            flags.insert(.wipeOnFork)
        case .keepOnFork:
            // A droppable mapping must stay wiped on fork.
            if flags.contains(.droppable) { throw .EINVAL }
            flags.remove(.wipeOnFork)
        case .dontDump: flags.insert(.dontDump)
        case .doDump:
            if !flags.contains(.hugetlb) && !flags.intersection(.special).isEmpty { throw .EINVAL }
            // A droppable mapping is never dumped.
            if flags.contains(.droppable) { throw .EINVAL }
            flags.remove(.dontDump)
        case .mergeable, .unmergeable: flags = ksmMadvise(vma, flags, behaviour.advice)
        case .hugePage, .noHugePage: flags = Machine.hugepageMadvise(flags, behaviour.advice)
        default: break
        }
        try madviseUpdateVMA(behaviour, index, flags)
    }

    /// Models `can_madvise_modify()` (6.17+): a sealed VMA refuses discarding advice only where the user could not
    /// otherwise change the data, i.e. private anonymous memory that is not writable. File mappings, private or
    /// shared, are let through. Writable means `VM_WRITE` and a key the calling thread's PKRU lets it write
    /// (`arch_vma_access_permitted()`).
    func canMadviseModify(_ task: TaskID, _ vma: VMA, _ advice: Advice) -> Bool {
        guard vma.sealed, advice.discards, vma.isAnonymous else { return true }
        return vma.flags.contains(.write) && vmaAccessPermitted(task, vma, write: true, execute: false, foreign: false)
    }

    /// Models `madvise_update_vma()`: nothing to do if the flags do not change; otherwise `vma_modify_flags()` gives
    /// `[start, end)` the new flags, merging or splitting, and a split refused for want of resources (the
    /// `max_map_count` limit, ENOMEM) is reported as EAGAIN by `madvise_vma_behavior()`.
    private mutating func madviseUpdateVMA(
        _ behaviour: MadviseBehaviour, _ index: Int, _ flags: VMFlags
    ) throws(KernelErrno) {
        guard flags != vma(behaviour.mm, index).flags else { return }
        let (start, end, limit) = (behaviour.start, behaviour.end, config.maxMapCount)
        splitHugePMDsStraddling(behaviour.mm, index, start, end)
        do {
            _ = try withMM(behaviour.mm) { mm throws(KernelErrno) -> Int in
                try mm.modifyVMA(at: index, start, end, maxMapCount: limit) { $0.flags = flags }
            }
        } catch .ENOMEM {
            throw .EAGAIN
        }
    }

    /// Models `ksm_madvise()` (mm/ksm.c) with KSM built in: MERGEABLE sets `VM_MERGEABLE` on VMAs KSM can work on
    /// (`vma_ksm_compatible()`: not shared, PFN-mapped, I/O, unexpandable, hugetlb or mixed; DAX is not modelled)
    /// and silently ignores the rest; UNMERGEABLE clears it (there are no merged pages to break: ksmd's scanning is
    /// not modelled, and whether ksmd runs does not change the call's result). `__ksm_enter()` can only fail for
    /// want of kernel memory, which the model does not run out of.
    func ksmMadvise(_ vma: VMA, _ flags: VMFlags, _ advice: Advice) -> VMFlags {
        var flags = flags
        if advice == .mergeable {
            // vma_ksm_compatible(): shared, special, hugetlb and droppable VMAs stay out of KSM.
            let incompatible: VMFlags = [
                .shared, .mayShare, .pfnMap, .io, .dontExpand, .hugetlb, .mixedMap, .droppable,
            ]
            guard vma.flags.intersection(incompatible).isEmpty else { return flags }
            flags.insert(.mergeable)
        } else {
            flags.remove(.mergeable)
        }
        return flags
    }

    /// Models `hugepage_madvise()` (mm/khugepaged.c) on x86: HUGEPAGE sets `VM_HUGEPAGE` and clears
    /// `VM_NOHUGEPAGE`, NOHUGEPAGE the reverse; neither fails. (Registering the mm with khugepaged has no effect the
    /// model can show: khugepaged's background collapse is not modelled.)
    static func hugepageMadvise(_ flags: VMFlags, _ advice: Advice) -> VMFlags {
        var flags = flags
        if advice == .hugePage {
            flags.remove(.noHugePage)
            flags.insert(.hugePage)
        } else {
            flags.remove(.hugePage)
            flags.insert(.noHugePage)
        }
        return flags
    }
}
