import MMHardware

/// The `MADV_*` advice values of madvise(2) that the model implements.
public enum Advice: Int32, Hashable, Sendable, CaseIterable {
    case normal = 0
    case random = 1
    case sequential = 2
    case willNeed = 3
    case dontNeed = 4
    case free = 8
    case dontFork = 10
    case doFork = 11
    case hugePage = 14
    case noHugePage = 15
    case dontDump = 16
    case doDump = 17

    /// The name strace prints.
    public var name: String {
        switch self {
        case .normal: return "MADV_NORMAL"
        case .random: return "MADV_RANDOM"
        case .sequential: return "MADV_SEQUENTIAL"
        case .willNeed: return "MADV_WILLNEED"
        case .dontNeed: return "MADV_DONTNEED"
        case .free: return "MADV_FREE"
        case .dontFork: return "MADV_DONTFORK"
        case .doFork: return "MADV_DOFORK"
        case .hugePage: return "MADV_HUGEPAGE"
        case .noHugePage: return "MADV_NOHUGEPAGE"
        case .dontDump: return "MADV_DONTDUMP"
        case .doDump: return "MADV_DODUMP"
        }
    }

    /// Models `is_discard()`: advice that can throw away the contents of anonymous memory.
    public var discards: Bool { self == .dontNeed || self == .free || self == .dontFork }

    /// Looks advice up by its strace name.
    public init?(name: String) {
        guard let match = Advice.allCases.first(where: { $0.name == name }) else { return nil }
        self = match
    }
}

extension Machine {
    /// madvise(2): models `do_madvise()` → `madvise_walk_vmas()`. Unknown advice or an unaligned start is EINVAL;
    /// a range with holes is applied to the mapped parts and then reports ENOMEM.
    public mutating func madvise(
        _ task: TaskID, _ start: UInt64, _ length: UInt64, advice rawAdvice: Int32
    )
        throws(KernelErrno)
    {
        let mmID = tasks[task.rawValue].mm
        currentCPU = tasks[task.rawValue].cpu
        defer { currentCPU = nil }
        guard let advice = Advice(rawValue: rawAdvice) else { throw .EINVAL }
        guard start & (PageGeometry.pageSize - 1) == 0 else { throw .EINVAL }
        let alignedLength = PageGeometry.alignUp(length, PageGeometry.pageSize)
        guard length == 0 || alignedLength != 0 else { throw .EINVAL }
        let end = start &+ alignedLength
        guard end >= start else { throw .EINVAL }
        if end == start { return }
        var unmapped = false
        var address = start
        var index = mm(mmID).vmas.firstIndex(endingAfter: address)
        while address < end {
            guard index < vmaCount(mmID), vma(mmID, index).start < end else {
                unmapped = true
                break
            }
            let vma = vma(mmID, index)
            if vma.start > address { unmapped = true }
            let segmentStart = max(address, vma.start)
            let segmentEnd = min(end, vma.end)
            index = try madviseVMA(mmID, index, segmentStart, segmentEnd, advice)
            address = segmentEnd
            index = mm(mmID).vmas.firstIndex(endingAfter: address)
        }
        if unmapped { throw .ENOMEM }
    }

    /// Applies `advice` to `[start, end)` inside the VMA at `index`; returns the VMA's index afterwards.
    private mutating func madviseVMA(
        _ mmID: MMID, _ index: Int, _ start: UInt64, _ end: UInt64, _ advice: Advice
    )
        throws(KernelErrno) -> Int
    {
        let vma = mm(mmID).vmas[index]
        // can_madvise_modify(), before anything else: a sealed anonymous VMA that cannot be written refuses advice
        // that discards its contents.
        if vma.sealed && advice.discards && vma.isAnonymous && !vma.flags.contains(.write) { throw .EPERM }
        switch advice {
        case .dontNeed, .free:
            // madvise_dontneed_free_valid_vma(): not on locked, PFN-mapped or hugetlb VMAs.
            if !vma.flags.intersection([.locked, .pfnMap, .hugetlb]).isEmpty { throw .EINVAL }
            if advice == .free && !vma.isAnonymous { throw .EINVAL }
            var gather = tlbGatherMMU(mm: mmID, cpu: runningCPU(of: mmID))
            if advice == .dontNeed {
                zapRange(&gather, vma, start, end)
            } else {
                markLazyFree(&gather, vma, start, end)
            }
            tlbFinishMMU(&gather)
            return index
        case .willNeed:
            return index
        default:
            var flags = vma.flags
            switch advice {
            case .normal: flags.subtract([.seqRead, .randRead])
            case .random:
                flags.subtract(.seqRead)
                flags.insert(.randRead)
            case .sequential:
                flags.subtract(.randRead)
                flags.insert(.seqRead)
            case .dontFork: flags.insert(.dontCopy)
            case .doFork:
                if vma.flags.contains(.io) { throw .EINVAL }
                flags.remove(.dontCopy)
            case .hugePage:
                flags.remove(.noHugePage)
                flags.insert(.hugePage)
            case .noHugePage:
                flags.remove(.hugePage)
                flags.insert(.noHugePage)
            case .dontDump: flags.insert(.dontDump)
            case .doDump: flags.remove(.dontDump)
            default: break
            }
            guard flags != vma.flags else { return index }
            let newFlags = flags
            let limit = config.maxMapCount
            splitHugePMDsStraddling(mmID, index, start, end)
            do {
                return try withMM(mmID) { mm throws(KernelErrno) -> Int in
                    try mm.modifyVMA(at: index, start, end, maxMapCount: limit) { $0.flags = newFlags }
                }
            } catch .ENOMEM {
                // madvise_vma_behavior(): a split that fails for want of resources (max_map_count) is EAGAIN.
                throw .EAGAIN
            }
        }
    }

    /// Models `madvise_free_pte_range()`: exclusive anonymous pages become lazily freeable — their PTEs are made
    /// clean and old (recorded for the flush) so that a later write marks them dirty again; pages shared with
    /// another process are left alone. THPs in the range are split first unless wholly covered.
    private mutating func markLazyFree(_ gather: inout MMUGather, _ vma: VMA, _ start: UInt64, _ end: UInt64) {
        gather.startVMA(vma)
        for step in pmdSteps(gather.mm, start, end) {
            let pmd = pageTables[step.slot.table, step.slot.index]
            if pmd.isHuge && pmd.hardwarePresent {
                splitHugePMD(gather.mm, vma, step.slot, PageGeometry.alignDown(step.start, PageGeometry.pmdSize))
            }
            guard let table = existingPTESlot(gather.mm, step.start)?.table else { continue }
            let first = PageGeometry.index(step.start, level: 1)
            let count = Int((step.end - step.start) >> PageGeometry.pageShift)
            for index in first..<(first + count) {
                let pte = pageTables[table, index]
                guard pte.hardwarePresent, !pte.isSpecial, pages[pte.pfn].mapcount == 1 else { continue }
                pages[pte.pfn].flags.insert(.lazyFree)
                pages[pte.pfn].flags.remove(.dirty)
                if pte.isDirty || pte.isAccessed {
                    pageTables[table, index] = pte.clearing([.dirty, .accessed])
                    let address = PageGeometry.alignDown(step.start, PageGeometry.pmdSize) + UInt64(index) << 12
                    gather.flushPTERange(address, PageGeometry.pageSize)
                }
            }
        }
        tlbEndVMA(&gather, vma)
    }
}
