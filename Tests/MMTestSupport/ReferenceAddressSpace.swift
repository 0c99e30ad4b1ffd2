import MMHardware
import MMKernel

/// What one page of the reference address space holds: the attributes a VMA gives every page it covers.
public struct ReferencePage: Hashable, Sendable {
    public var flags: VMFlags
    public var file: FileID?
    /// The page's `vm_pgoff`-derived offset (`vma.pgoff + page - vma.start`), which merges must keep contiguous.
    public var filePage: UInt64
    /// The page's `anon_vma`; once set it must never change (merges only hand one to pages that had none).
    public var anonVMA: AnonVMAID?

    public init(flags: VMFlags, file: FileID?, filePage: UInt64, anonVMA: AnonVMAID?) {
        self.flags = flags
        self.file = file
        self.filePage = filePage
        self.anonVMA = anonVMA
    }
}

/// A deliberately naive model of an mm's VMA set: one optional record per page of a fixed window, and linear scans
/// over plain arrays for every lookup. Property tests run the same operations on `MM.vmas` and on this model and
/// compare; nothing here shares code with `VMASet` or `VMAMerge.swift`.
public struct ReferenceAddressSpace: Sendable {
    public let base: UInt64
    public private(set) var pages: [ReferencePage?]

    public init(base: UInt64, pageCount: Int) {
        self.base = base
        pages = Array(repeating: nil, count: pageCount)
    }

    public var pageCount: Int { pages.count }

    /// The window page holding `address`.
    public func pageIndex(_ address: UInt64) -> Int { Int((address - base) >> PageGeometry.pageShift) }

    /// The first address of window page `index`.
    public func address(ofPage index: Int) -> UInt64 { base + UInt64(index) << PageGeometry.pageShift }

    /// Whether every page of `[start, end)` is unmapped.
    public func isFree(_ start: UInt64, _ end: UInt64) -> Bool {
        (pageIndex(start)..<pageIndex(end)).allSatisfy { pages[$0] == nil }
    }

    /// Records the pages `vma` covers.
    public mutating func map(_ vma: VMA) {
        for index in pageIndex(vma.start)..<pageIndex(vma.end) {
            let offset = UInt64(index - pageIndex(vma.start))
            pages[index] = ReferencePage(
                flags: vma.flags, file: vma.file, filePage: vma.pgoff + offset, anonVMA: vma.anonVMA)
        }
    }

    /// Forgets the pages of `[start, end)`.
    public mutating func unmap(_ start: UInt64, _ end: UInt64) {
        for index in pageIndex(start)..<pageIndex(end) { pages[index] = nil }
    }

    /// Gives the pages of `[start, end)` new flags.
    public mutating func setFlags(_ start: UInt64, _ end: UInt64, _ flags: VMFlags) {
        for index in pageIndex(start)..<pageIndex(end) { pages[index]?.flags = flags }
    }

    /// Compares the model with `vmas` page by page; returns a description of each disagreement (empty = agree).
    /// A page whose reference `anon_vma` is nil may have gained one through a merge; a non-nil one must be kept.
    public mutating func mismatches(_ vmas: some Collection<VMA>) -> [String] {
        var owner = [VMA?](repeating: nil, count: pages.count)
        var problems: [String] = []
        for vma in vmas {
            guard vma.start >= base, vma.end <= address(ofPage: pages.count), vma.start < vma.end else {
                problems.append("VMA \(vma.start)-\(vma.end) outside the window or empty")
                continue
            }
            for index in pageIndex(vma.start)..<pageIndex(vma.end) {
                if owner[index] != nil { problems.append("page \(index) in two VMAs") }
                owner[index] = vma
            }
        }
        for index in pages.indices {
            let address = address(ofPage: index)
            switch (pages[index], owner[index]) {
            case (nil, nil):
                continue
            case (nil, .some(let vma)):
                problems.append("page \(index) unmapped in the reference but in \(vma.start)-\(vma.end)")
            case (.some, nil):
                problems.append("page \(index) mapped in the reference but in no VMA")
            case (.some(let expected), .some(let vma)):
                let filePage = vma.pgoff + ((address - vma.start) >> PageGeometry.pageShift)
                if vma.flags != expected.flags {
                    problems.append("page \(index): flags \(vma.flags) != \(expected.flags)")
                }
                if vma.file != expected.file { problems.append("page \(index): file differs") }
                if filePage != expected.filePage {
                    problems.append("page \(index): pgoff \(filePage) != \(expected.filePage)")
                }
                if let anon = expected.anonVMA, vma.anonVMA != anon {
                    problems.append("page \(index): anon_vma changed")
                } else if expected.anonVMA == nil {
                    pages[index]?.anonVMA = vma.anonVMA
                }
            }
        }
        return problems
    }

    // MARK: - Linear-search lookups

    /// `find_vma()` by linear search: the first VMA ending above `address`, or `vmas.count`.
    public static func linearFirstIndex(endingAfter address: UInt64, in vmas: [VMA]) -> Int {
        vmas.firstIndex { $0.end > address } ?? vmas.count
    }

    /// `vma_lookup()` by linear search.
    public static func linearIndex(containing address: UInt64, in vmas: [VMA]) -> Int? {
        vmas.firstIndex { $0.start <= address && address < $0.end }
    }

    /// Every VMA intersecting `[start, end)`, by linear search.
    public static func linearIndices(intersecting start: UInt64, _ end: UInt64, in vmas: [VMA]) -> [Int] {
        vmas.indices.filter { vmas[$0].start < end && vmas[$0].end > start }
    }

    // MARK: - Merge rules, restated

    /// Whether `lower` and `upper` (directly above it) should be one VMA, restated from mm/vma.c
    /// (`is_mergeable_vma()`, `is_mergeable_anon_vma()`, `vma_had_uncowed_parents()`): adjacent, the same flags but
    /// VM_SOFTDIRTY, none of VM_SPECIAL, the same file, uffd context, policy and name, contiguous pgoff, and
    /// `anon_vma`s that are equal or one missing where the other side's was not inherited through fork.
    public static func shouldMerge(_ lower: VMA, _ upper: VMA) -> Bool {
        guard lower.end == upper.start else { return false }
        guard lower.flags.subtracting(.softDirty) == upper.flags.subtracting(.softDirty) else { return false }
        guard lower.flags.intersection([.io, .dontExpand, .pfnMap, .mixedMap]).isEmpty else { return false }
        guard lower.file == upper.file, lower.uffdContext == upper.uffdContext, lower.mempolicy == upper.mempolicy,
            lower.name == upper.name, !lower.sealed, !upper.sealed
        else { return false }
        guard lower.pgoff + lower.pages == upper.pgoff else { return false }
        switch (lower.anonVMA, upper.anonVMA) {
        case (nil, nil): return true
        case (.some, nil): return !lower.anonVMAChained
        case (nil, .some): return !upper.anonVMAChained
        case (.some(let a), .some(let b)): return a == b
        }
    }
}
