import MMHardware

/// The page allocator and the `struct page` array: hands out 4 KiB frames and 2 MiB-aligned 512-frame blocks,
/// growing the simulated RAM on demand up to `capacityFrames`. Models the parts of the buddy allocator that the
/// memory-management paths observe: success or failure, alignment, and reuse of freed frames.
public struct PageAllocator: Sendable {
    public private(set) var pages: [PageDescriptor] = []
    var freeSmall: [UInt32] = []
    var freeHuge: [UInt32] = []
    /// RAM size in frames; allocations beyond it fail.
    public let capacityFrames: Int
    /// Frames currently allocated.
    public private(set) var allocatedFrames = 0
    /// The shared zero page (`ZERO_PAGE(0)`).
    public private(set) var zeroPage = PFN(1)
    /// Head of the huge zero page (`huge_zero_folio`).
    public private(set) var hugeZeroPage = PFN(512)

    public init(capacityFrames: Int, memory: inout PhysicalMemory) {
        self.capacityFrames = capacityFrames
        // Frame 0 stays unused (a PFN of 0 in a PTE is suspicious); frame 1 is the zero page; 512..1023 the huge
        // zero page; the frames in between are free.
        grow(to: 1024, memory: &memory)
        pages[1].flags = [.allocated, .zeroPage]
        pages[1].refcount = 1
        for pfn in 512..<1024 {
            pages[pfn].flags = [.allocated, .zeroPage, pfn == 512 ? .head : .tail]
            pages[pfn].refcount = 1
        }
        freeSmall = (2..<512).reversed().map { UInt32($0) }
        allocatedFrames = 513
    }

    mutating func grow(to count: Int, memory: inout PhysicalMemory) {
        if count > pages.count {
            pages.append(contentsOf: repeatElement(PageDescriptor(), count: count - pages.count))
            memory.ensureFrames(count)
        }
    }

    /// Bytes of `struct page` state.
    public var bytes: Int { pages.count * MemoryLayout<PageDescriptor>.stride }

    /// Allocates one frame with refcount 1 and zeroed contents, or nil when RAM is exhausted.
    public mutating func allocate(memory: inout PhysicalMemory) -> PFN? {
        guard allocatedFrames < capacityFrames else { return nil }
        let pfn: Int
        if let reused = freeSmall.popLast() {
            pfn = Int(reused)
        } else if let block = freeHuge.popLast() {
            pfn = Int(block)
            freeSmall.append(contentsOf: (pfn + 1..<pfn + 512).reversed().map { UInt32($0) })
        } else {
            pfn = pages.count
            grow(to: pages.count + 1, memory: &memory)
        }
        allocatedFrames += 1
        pages[pfn] = PageDescriptor()
        pages[pfn].flags = .allocated
        pages[pfn].refcount = 1
        memory.write(PFN(UInt64(pfn)), 0)
        return PFN(UInt64(pfn))
    }

    /// Allocates a 2 MiB-aligned block of 512 frames as one folio (head refcount 1), or nil.
    public mutating func allocateHuge(memory: inout PhysicalMemory) -> PFN? {
        guard allocatedFrames + 512 <= capacityFrames else { return nil }
        let head: Int
        if let block = freeHuge.popLast() {
            head = Int(block)
        } else {
            let aligned = (pages.count + 511) & ~511
            // Frames skipped for alignment become ordinary free frames.
            let skipped = pages.count..<aligned
            grow(to: aligned + 512, memory: &memory)
            freeSmall.append(contentsOf: skipped.reversed().map { UInt32($0) })
            head = aligned
        }
        allocatedFrames += 512
        for pfn in head..<(head + 512) {
            pages[pfn] = PageDescriptor()
            pages[pfn].flags = [.allocated, pfn == head ? .head : .tail]
            memory.write(PFN(UInt64(pfn)), 0)
        }
        pages[head].refcount = 1
        return PFN(UInt64(head))
    }

    /// Turns a PMD-sized folio into 512 independent frames, each keeping the folio's anon state and taking one
    /// reference per mapping of the folio (models the folio split that follows a PMD split). A folio that is no
    /// longer compound (another process's PMD split it earlier) is left alone: its frames already count every PMD
    /// mapping one by one, this one included.
    public mutating func splitHuge(_ head: PFN) {
        let base = Int(head.rawValue)
        guard pages[base].flags.contains(.head) else { return }
        let shared = pages[base]
        for pfn in base..<(base + 512) {
            pages[pfn].flags = shared.flags.subtracting([.head, .tail])
            pages[pfn].refcount = shared.refcount
            pages[pfn].mapcount = shared.mapcount
            pages[pfn].owner = shared.owner
        }
    }

    /// Whether `pfn` heads a still-compound PMD-sized folio (`folio_test_large()` on a PMD-mapped folio).
    public func isCompound(_ pfn: PFN) -> Bool { pages[Int(pfn.rawValue)].flags.contains(.head) }

    /// The frames whose counters a PMD mapping of `head` holds: the head alone while the folio is compound, all 512
    /// once it has been split (each frame then carries its own mapcount and reference for that PMD).
    public func pmdAccountedFrames(_ head: PFN) -> [PFN] {
        if isCompound(head) { return [head] }
        return (0..<UInt64(512)).map { PFN(head.rawValue + $0) }
    }

    /// Drops one reference; frees the frame (or the whole folio for a head) when the last goes.
    public mutating func put(_ pfn: PFN) {
        let index = Int(pfn.rawValue)
        if pages[index].flags.contains(.zeroPage) { return }
        pages[index].refcount -= 1
        guard pages[index].refcount <= 0 else { return }
        if pages[index].flags.contains(.head) {
            for frame in index..<(index + 512) { pages[frame] = PageDescriptor() }
            freeHuge.append(UInt32(index))
            allocatedFrames -= 512
        } else {
            pages[index] = PageDescriptor()
            freeSmall.append(UInt32(index))
            allocatedFrames -= 1
        }
    }

    /// Takes one more reference.
    public mutating func get(_ pfn: PFN) {
        if pages[Int(pfn.rawValue)].flags.contains(.zeroPage) { return }
        pages[Int(pfn.rawValue)].refcount += 1
    }

    /// The descriptor of `pfn`.
    public subscript(pfn: PFN) -> PageDescriptor {
        get { pages[Int(pfn.rawValue)] }
        set { pages[Int(pfn.rawValue)] = newValue }
    }

    /// Whether `pfn` is the zero page or part of the huge zero page.
    public func isZero(_ pfn: PFN) -> Bool { pages[Int(pfn.rawValue)].flags.contains(.zeroPage) }
}
