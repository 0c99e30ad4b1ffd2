/// The ordered set of an mm's VMAs (the maple tree's role): non-overlapping ranges sorted by address, with binary
/// search for lookups. Models `find_vma()`, `vma_lookup()`, `vma_find()` and the neighbour queries.
public struct VMASet: Sendable, RandomAccessCollection {
    @usableFromInline var storage: [VMA] = []

    public init() {}

    public var startIndex: Int { storage.startIndex }
    public var endIndex: Int { storage.endIndex }
    public subscript(position: Int) -> VMA { storage[position] }

    /// Index of the first VMA with `end > address` (models `find_vma()`); `endIndex` if none.
    public func firstIndex(endingAfter address: UInt64) -> Int {
        var low = 0
        var high = storage.count
        while low < high {
            let mid = (low + high) / 2
            if storage[mid].end > address { high = mid } else { low = mid + 1 }
        }
        return low
    }

    /// Index of the VMA containing `address` (models `vma_lookup()`).
    public func index(containing address: UInt64) -> Int? {
        let index = firstIndex(endingAfter: address)
        return index < storage.count && storage[index].start <= address ? index : nil
    }

    /// Index of the first VMA intersecting `[start, end)` (models `vma_find()`), if any.
    public func firstIndex(intersecting start: UInt64, _ end: UInt64) -> Int? {
        let index = firstIndex(endingAfter: start)
        return index < storage.count && storage[index].start < end ? index : nil
    }

    /// Indices of all VMAs intersecting `[start, end)`.
    public func indices(intersecting start: UInt64, _ end: UInt64) -> Range<Int> {
        let first = firstIndex(endingAfter: start)
        var last = first
        while last < storage.count && storage[last].start < end { last += 1 }
        return first..<last
    }

    /// Whether `[start, end)` is mapped without a hole (every page lies in some VMA).
    public func coversWithoutHoles(_ start: UInt64, _ end: UInt64) -> Bool {
        var cursor = start
        for index in indices(intersecting: start, end) {
            guard storage[index].start <= cursor else { return false }
            cursor = storage[index].end
        }
        return cursor >= end
    }

    /// Inserts a VMA that overlaps none; returns its index.
    @discardableResult
    public mutating func insert(_ vma: VMA) -> Int {
        let index = firstIndex(endingAfter: vma.start)
        precondition(index == storage.count || storage[index].start >= vma.end, "VMA overlap at insert")
        precondition(index == 0 || storage[index - 1].end <= vma.start, "VMA overlap at insert")
        storage.insert(vma, at: index)
        return index
    }

    /// Removes the VMAs at `range`.
    public mutating func remove(_ range: Range<Int>) {
        storage.removeSubrange(range)
    }

    /// Replaces the VMA at `index` in place; the new one must keep the order.
    public mutating func update(_ index: Int, _ body: (inout VMA) -> Void) {
        body(&storage[index])
        #if MMSIM_INTERNAL_CHECKS
        precondition(storage[index].start < storage[index].end, "empty VMA")
        precondition(index == 0 || storage[index - 1].end <= storage[index].start, "VMA order broken")
        precondition(
            index + 1 == storage.count || storage[index].end <= storage[index + 1].start, "VMA order broken")
        #endif
    }

    /// Replaces the VMAs at `range` with `vmas` (sorted, non-overlapping, inside the same span).
    public mutating func replace(_ range: Range<Int>, with vmas: [VMA]) {
        storage.replaceSubrange(range, with: vmas)
    }

    /// Checks the ordering invariant; used by tests and internal checks.
    public var isWellFormed: Bool {
        for (index, vma) in storage.enumerated() {
            if vma.start >= vma.end || vma.start & 0xFFF != 0 || vma.end & 0xFFF != 0 { return false }
            if index > 0 && storage[index - 1].end > vma.start { return false }
        }
        return true
    }
}
