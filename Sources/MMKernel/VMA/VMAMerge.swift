/// Merge rules of mm/vma.c.
extension VMA {
    /// Models `is_mergeable_vma()`: everything but the range, pgoff and anon_vma must match (VM_SOFTDIRTY ignored).
    func hasMergeableAttributes(_ other: VMA) -> Bool {
        flags.subtracting(.softDirty) == other.flags.subtracting(.softDirty) && file == other.file
            && uffdContext == other.uffdContext && mempolicy == other.mempolicy && name == other.name
            && sealed == other.sealed && flags.intersection(.special).isEmpty
    }

    /// Models `is_mergeable_anon_vma()`: either side may lack an `anon_vma` unless the side that has one is a forked
    /// VMA (it had un-COWed parents); otherwise they must share the same `anon_vma`.
    static func anonVMAsCompatible(_ source: VMA, _ target: VMA) -> Bool {
        switch (source.anonVMA, target.anonVMA) {
        case (nil, nil): return true
        case (.some, nil): return !source.anonVMAChained
        case (nil, .some): return !target.anonVMAChained
        case (.some(let a), .some(let b)): return a == b
        }
    }

    /// Whether `self` (lower) and `next` (directly above) can become one VMA.
    func canMerge(withNext next: VMA) -> Bool {
        end == next.start && hasMergeableAttributes(next) && pgoff + pages == next.pgoff
            && VMA.anonVMAsCompatible(self, next)
    }

    /// The anon_vma a merge of the two keeps.
    static func mergedAnonVMA(_ a: VMA, _ b: VMA) -> (AnonVMAID?, Bool) {
        if let id = a.anonVMA { return (id, a.anonVMAChained) }
        return (b.anonVMA, b.anonVMAChained)
    }
}

extension MM {
    /// Models `vma_modify()` (`vma_merge_existing_range()` or `split_vma()`): gives `[start, end)` of the VMA at
    /// `index` the attributes `change` produces, merging with an adjacent neighbour that then matches, else splitting
    /// off the parts outside the range. Each split needs `map_count < max_map_count`; a second split that fails
    /// leaves the first one done (the kernel does not undo it). Returns the index of the VMA covering the range.
    public mutating func modifyVMA(
        at index: Int, _ start: UInt64, _ end: UInt64, maxMapCount: Int, _ change: (inout VMA) -> Void
    ) throws(KernelErrno) -> Int {
        let vma = vmas[index]
        var target = vma
        change(&target)
        target.start = start
        target.end = end
        target.pgoff = vma.pgoff + ((start - vma.start) >> 12)
        let previous = index > 0 ? vmas[index - 1] : nil
        let next = index + 1 < vmas.count ? vmas[index + 1] : nil
        let mergeLeft = start == vma.start && previous.map { $0.canMerge(withNext: target) } == true
        let mergeRight = end == vma.end && next.map { target.canMerge(withNext: $0) } == true
        if mergeLeft, mergeRight, let previous, let next, VMA.anonVMAsCompatible(previous, next) {
            var merged = previous
            merged.end = next.end
            let source = [previous, target, next].first { $0.anonVMA != nil } ?? previous
            (merged.anonVMA, merged.anonVMAChained) = (source.anonVMA, source.anonVMAChained)
            vmas.replace((index - 1)..<(index + 2), with: [merged])
            return index - 1
        }
        if mergeLeft, let previous {
            var merged = previous
            merged.end = end
            (merged.anonVMA, merged.anonVMAChained) = VMA.mergedAnonVMA(previous, target)
            var rest = vma
            rest.start = end
            rest.pgoff = vma.pgoff + ((end - vma.start) >> 12)
            vmas.replace((index - 1)..<(index + 1), with: end == vma.end ? [merged] : [merged, rest])
            return index - 1
        }
        if mergeRight, let next {
            var merged = next
            merged.start = start
            merged.pgoff = target.pgoff
            (merged.anonVMA, merged.anonVMAChained) = VMA.mergedAnonVMA(next, target)
            var rest = vma
            rest.end = start
            vmas.replace(index..<(index + 2), with: start == vma.start ? [merged] : [rest, merged])
            return start == vma.start ? index : index + 1
        }
        var resultIndex = index
        if start > vma.start {
            guard mapCount < maxMapCount else { throw .ENOMEM }
            splitVMA(at: index, start)
            resultIndex = index + 1
        }
        if end < vmas[resultIndex].end {
            guard mapCount < maxMapCount else { throw .ENOMEM }
            splitVMA(at: resultIndex, end)
        }
        vmas.update(resultIndex) { middle in
            let (start, end, pgoff) = (middle.start, middle.end, middle.pgoff)
            middle = target
            (middle.start, middle.end, middle.pgoff) = (start, end, pgoff)
        }
        return resultIndex
    }

    /// Models `__split_vma()` without the limit check: the VMA at `index` becomes `[start, address)` and
    /// `[address, end)`, both keeping every attribute.
    public mutating func splitVMA(at index: Int, _ address: UInt64) {
        let vma = vmas[index]
        precondition(address > vma.start && address < vma.end, "split outside VMA")
        var low = vma
        low.end = address
        var high = vma
        high.start = address
        high.pgoff = vma.pgoff + ((address - vma.start) >> 12)
        vmas.replace(index..<(index + 1), with: [low, high])
    }
}
