import MMHardware
import MMKernel
import MMTestSupport
import Testing

/// Seeded random sequences of insert / split / modifyVMA / remove on `MM.vmas`, checked after every step against
/// the naive `ReferenceAddressSpace`: the same page → attributes mapping, a well-formed set, no merge that
/// `vma_modify()` should have made left undone, and lookups that agree with linear search.
@Suite struct VMASetPropertyTests {
    static let base: UInt64 = 0x7e00_0000_0000
    static let windowPages = 256
    static let opsPerSeed = 2_500

    /// Flags a random change toggles (VM_SOFTDIRTY is left out: merges ignore it, and the callers then overwrite the
    /// merged VMA's flags, which `modifyVMA` alone does not model).
    static let toggles: [VMFlags] = [.dontCopy, .dontDump, .hugePage, .randRead, .write, .exec]

    struct Checker {
        var mm = MM(id: MMID(rawValue: 0), pgd: TableID(rawValue: 0), contextID: 1, mmapBase: 0)
        var reference = ReferenceAddressSpace(
            base: VMASetPropertyTests.base, pageCount: VMASetPropertyTests.windowPages)
        var rng: SplitMix64
        var step = 0
        var counts = [String: Int]()

        init(seed: UInt64) { rng = SplitMix64(seed: seed) }

        func address(_ page: Int) -> UInt64 { VMASetPropertyTests.base + UInt64(page) * pageBytes }

        mutating func randomFlags() -> VMFlags {
            var flags: VMFlags = [.read, .mayRead, .mayWrite, .mayExec]
            for toggle in VMASetPropertyTests.toggles where Int.random(in: 0..<4, using: &rng) == 0 {
                flags.insert(toggle)
            }
            return flags
        }

        /// Inserts a VMA in a free range, often next to an existing one with compatible attributes.
        mutating func insert() {
            let length = Int.random(in: 1...8, using: &rng)
            let start = Int.random(in: 0...(VMASetPropertyTests.windowPages - length), using: &rng)
            let (low, high) = (address(start), address(start + length))
            guard reference.isFree(low, high) else { return }
            var flags = randomFlags()
            let neighbour = mm.vmas.firstIndex { $0.end == low || $0.start == high }
            if let neighbour, Bool.random(using: &rng) { flags = mm.vmas[neighbour].flags }
            var vma: VMA
            if Int.random(in: 0..<4, using: &rng) == 0 {
                var pgoff = UInt64.random(in: 0..<64, using: &rng)
                if let neighbour, mm.vmas[neighbour].file != nil, Bool.random(using: &rng) {
                    let other = mm.vmas[neighbour]
                    pgoff = other.end == low ? other.pgoff + other.pages : other.pgoff &- UInt64(length)
                }
                vma = VMA(start: low, end: high, flags: flags, pgoff: pgoff, file: FileID(rawValue: 1))
            } else {
                vma = VMA(start: low, end: high, flags: flags, pgoff: low >> 12)
                if Bool.random(using: &rng) {
                    vma.anonVMA = AnonVMAID(rawValue: Int.random(in: 1...2, using: &rng))
                    vma.anonVMAChained = Int.random(in: 0..<5, using: &rng) == 0
                }
            }
            mm.vmas.insert(vma)
            reference.map(vma)
            counts["insert", default: 0] += 1
        }

        mutating func split() {
            let candidates = mm.vmas.indices.filter { mm.vmas[$0].pages >= 2 }
            guard let index = candidates.randomElement(using: &rng) else { return }
            let vma = mm.vmas[index]
            let at = vma.start + UInt64.random(in: 1..<vma.pages, using: &rng) * pageBytes
            mm.splitVMA(at: index, at)
            counts["split", default: 0] += 1
        }

        mutating func remove() {
            guard !mm.vmas.isEmpty else { return }
            let index = Int.random(in: 0..<mm.vmas.count, using: &rng)
            reference.unmap(mm.vmas[index].start, mm.vmas[index].end)
            mm.vmas.remove(index..<(index + 1))
            counts["remove", default: 0] += 1
        }

        /// Changes the flags of a random sub-range of one VMA, as madvise/mprotect do through `vma_modify()`.
        mutating func modify() {
            guard !mm.vmas.isEmpty else { return }
            let index = Int.random(in: 0..<mm.vmas.count, using: &rng)
            let vma = mm.vmas[index]
            let first = UInt64.random(in: 0..<vma.pages, using: &rng)
            let last = UInt64.random(in: first..<vma.pages, using: &rng)
            let (start, end) = (vma.start + first * pageBytes, vma.start + (last + 1) * pageBytes)
            var flags = vma.flags
            if let previous = index > 0 ? mm.vmas[index - 1] : nil, previous.end == vma.start,
                Int.random(in: 0..<3, using: &rng) == 0
            {
                flags = previous.flags
            } else {
                flags.formSymmetricDifference(VMASetPropertyTests.toggles.randomElement(using: &rng)!)
            }
            guard flags != vma.flags else { return }
            let newFlags = flags
            let result: Int
            do {
                result = try mm.modifyVMA(at: index, start, end, maxMapCount: 1 << 20) { $0.flags = newFlags }
            } catch {
                Issue.record("step \(step): modifyVMA failed with \(error) below the limit")
                return
            }
            reference.setFlags(start, end, newFlags)
            counts["modify", default: 0] += 1
            let covering = mm.vmas[result]
            #expect(covering.start <= start && covering.end >= end, "step \(step): result does not cover the range")
            #expect(covering.flags == newFlags, "step \(step): result has the wrong flags")
            // Only the range's own neighbours are vma_modify()'s business: once it merged on a side, the VMA beyond
            // that neighbour was never a candidate (plain inserts and splits may leave such pairs unmerged).
            if result > 0 && covering.start == start {
                #expect(
                    !ReferenceAddressSpace.shouldMerge(mm.vmas[result - 1], covering),
                    "step \(step): left merge missed")
            }
            if result + 1 < mm.vmas.count && covering.end == end {
                #expect(
                    !ReferenceAddressSpace.shouldMerge(covering, mm.vmas[result + 1]),
                    "step \(step): right merge missed")
            }
        }

        /// Compares the binary-search lookups with linear search at random addresses in and around the window.
        mutating func checkLookups() {
            let list = Array(mm.vmas)
            for _ in 0..<6 {
                let page = Int.random(in: -4...(VMASetPropertyTests.windowPages + 4), using: &rng)
                let address =
                    UInt64(Int64(VMASetPropertyTests.base) + Int64(page) * 4096)
                    + UInt64.random(in: 0..<4096, using: &rng)
                let end = address + UInt64.random(in: 1...(16 * 4096), using: &rng)
                let linear = ReferenceAddressSpace.linearIndices(intersecting: address, end, in: list)
                let agree =
                    mm.vmas.index(containing: address)
                    == ReferenceAddressSpace.linearIndex(containing: address, in: list)
                    && mm.vmas.firstIndex(endingAfter: address)
                        == ReferenceAddressSpace.linearFirstIndex(endingAfter: address, in: list)
                    && Array(mm.vmas.indices(intersecting: address, end)) == linear
                    && mm.vmas.firstIndex(intersecting: address, end) == linear.first
                if !agree { Issue.record("step \(step): lookups at \(address)..<\(end) disagree with linear search") }
            }
        }

        mutating func run(steps: Int) {
            for current in 0..<steps {
                step = current
                switch Int.random(in: 0..<10, using: &rng) {
                case 0..<4: insert()
                case 4..<5: split()
                case 5..<6: remove()
                default: modify()
                }
                let wellFormed = mm.vmas.isWellFormed
                let problems = reference.mismatches(mm.vmas)
                if !wellFormed { Issue.record("step \(step): VMA set not well formed") }
                if !problems.isEmpty { Issue.record("step \(step): \(problems.prefix(3))") }
                checkLookups()
                if !problems.isEmpty || !wellFormed { return }
            }
        }
    }

    @Test(
        "random operation sequences agree with the reference model",
        arguments: [1, 2, 3, 42, 0xC0FFEE, 2_024] as [UInt64])
    func randomSequences(seed: UInt64) {
        var checker = Checker(seed: seed)
        checker.run(steps: Self.opsPerSeed)
        #expect(checker.counts["modify", default: 0] > 500, "the sequence exercised modifyVMA")
        #expect(checker.counts["insert", default: 0] > 100)
    }

    @Test("the reference's merge rule itself: anon_vma compatibility and pgoff contiguity")
    func referenceMergeRule() {
        let flags: VMFlags = [.read, .write, .mayRead, .mayWrite]
        var low = VMA(start: 0x10000, end: 0x12000, flags: flags, pgoff: 0x10)
        var high = VMA(start: 0x12000, end: 0x13000, flags: flags, pgoff: 0x12)
        #expect(ReferenceAddressSpace.shouldMerge(low, high))
        high.pgoff = 0x13
        #expect(!ReferenceAddressSpace.shouldMerge(low, high))
        high.pgoff = 0x12
        low.anonVMA = AnonVMAID(rawValue: 1)
        #expect(ReferenceAddressSpace.shouldMerge(low, high))
        low.anonVMAChained = true
        #expect(!ReferenceAddressSpace.shouldMerge(low, high))
        high.anonVMA = AnonVMAID(rawValue: 1)
        #expect(ReferenceAddressSpace.shouldMerge(low, high))
        high.anonVMA = AnonVMAID(rawValue: 2)
        #expect(!ReferenceAddressSpace.shouldMerge(low, high))
    }
}

/// `vm.max_map_count`: every split needs `map_count < max_map_count` (`split_vma()`), and a two-split change that
/// runs out after the first keeps it (`vma_modify()` does not undo the first `split_vma()`; docs/kernel-model.md,
/// "Splitting, `max_map_count` and the half-done split").
@Suite struct MaxMapCountTests {
    static let base: UInt64 = 0x7e00_0000_0000
    static let flags: VMFlags = [.read, .write, .mayRead, .mayWrite, .mayExec]

    /// An mm with three separated 7-page VMAs.
    static func threeVMAs() -> MM {
        var mm = MM(id: MMID(rawValue: 0), pgd: TableID(rawValue: 0), contextID: 1, mmapBase: 0)
        for index in 0..<3 {
            let start = base + UInt64(index) * 16 * pageBytes
            mm.vmas.insert(VMA(start: start, end: start + 7 * pageBytes, flags: flags, pgoff: start >> 12))
        }
        return mm
    }

    @Test("at the limit, a change that needs a split fails with ENOMEM and changes nothing")
    func atLimit() {
        var mm = Self.threeVMAs()
        let before = Array(mm.vmas)
        #expect(throws: KernelErrno.ENOMEM) {
            _ = try mm.modifyVMA(at: 0, Self.base + 3 * pageBytes, Self.base + 7 * pageBytes, maxMapCount: 3) {
                $0.flags.insert(.dontCopy)
            }
        }
        #expect(Array(mm.vmas) == before)
    }

    @Test(
        "at limit-1, a middle split that needs two leaves the first split done, unmerged (vma_modify keeps it)"
    )
    func partialSplit() {
        var mm = Self.threeVMAs()
        #expect(throws: KernelErrno.ENOMEM) {
            _ = try mm.modifyVMA(at: 0, Self.base + 3 * pageBytes, Self.base + 5 * pageBytes, maxMapCount: 4) {
                $0.flags.insert(.dontCopy)
            }
        }
        #expect(mm.vmas.count == 4)
        #expect(mm.vmas[0].start == Self.base && mm.vmas[0].end == Self.base + 3 * pageBytes)
        #expect(mm.vmas[1].start == Self.base + 3 * pageBytes && mm.vmas[1].end == Self.base + 7 * pageBytes)
        #expect(mm.vmas[0].flags == Self.flags && mm.vmas[1].flags == Self.flags, "prot unchanged")
        #expect(ReferenceAddressSpace.shouldMerge(mm.vmas[0], mm.vmas[1]), "identical neighbours left unmerged")
        #expect(mm.vmas.isWellFormed)
    }

    @Test("at the limit, a change that only merges succeeds (vma_modify merges before it splits)")
    func mergeAtLimit() throws {
        var mm = Self.threeVMAs()
        _ = try mm.modifyVMA(at: 0, Self.base + 3 * pageBytes, Self.base + 4 * pageBytes, maxMapCount: 10) {
            $0.flags.insert(.dontCopy)
        }
        #expect(mm.vmas.count == 5)
        let restored = try mm.modifyVMA(at: 1, Self.base + 3 * pageBytes, Self.base + 4 * pageBytes, maxMapCount: 5) {
            $0.flags.remove(.dontCopy)
        }
        #expect(restored == 0)
        #expect(mm.vmas.count == 3)
        #expect(mm.vmas[0].end == Self.base + 7 * pageBytes)
    }

    @Test("through madvise on a machine with max_map_count 8: partial split at 7, merge at 8")
    func throughMadvise() throws {
        var (machine, main) = makeProcess { $0.maxMapCount = 8 }
        let mmID = machine.mmID(of: main)
        let region = try machine.mapAnon(main, pages: 7, fixed: Self.base)
        for index in 1...6 {
            _ = try machine.mapAnon(main, pages: 1, fixed: Self.base + UInt64(index) * 16 * pageBytes)
        }
        #expect(machine.mm(mmID).mapCount == 7)
        // madvise turns the failed split's ENOMEM into EAGAIN (mm/madvise.c; seen by `mmsim conform` on 6.18).
        #expect(throws: KernelErrno.EAGAIN) {
            try machine.madvise(main, region + 3 * pageBytes, 2 * pageBytes, advice: Advice.dontFork.rawValue)
        }
        #expect(machine.relativeLayout(mmID, base: region, length: 7 * pageBytes) == "[0,3)rw-p [3,7)rw-p")
        #expect(machine.mm(mmID).mapCount == 8)
        #expect(throws: KernelErrno.EAGAIN) {
            try machine.madvise(main, region + 4 * pageBytes, pageBytes, advice: Advice.dontFork.rawValue)
        }
        try machine.madvise(main, region + 3 * pageBytes, 4 * pageBytes, advice: Advice.dontFork.rawValue)
        #expect(machine.mm(mmID).mapCount == 8)
        try machine.madvise(main, region + 3 * pageBytes, 4 * pageBytes, advice: Advice.doFork.rawValue)
        #expect(machine.mm(mmID).mapCount == 7, "restoring the flags merges [0,3) and [3,7)")
        #expect(machine.relativeLayout(mmID, base: region, length: 7 * pageBytes) == "[0,7)rw-p")
    }

    @Test("munmap at the limit: a tail cut (one split, one removal) is allowed, a middle hole is ENOMEM")
    func munmapAtLimit() throws {
        var (machine, main) = makeProcess { $0.maxMapCount = 4 }
        let mmID = machine.mmID(of: main)
        let region = try machine.mapAnon(main, pages: 7, fixed: Self.base)
        for index in 1...3 {
            _ = try machine.mapAnon(main, pages: 1, fixed: Self.base + UInt64(index) * 16 * pageBytes)
        }
        #expect(machine.mm(mmID).mapCount == 4)
        #expect(throws: KernelErrno.ENOMEM) { try machine.munmap(main, region + 2 * pageBytes, pageBytes) }
        try machine.munmap(main, region + 5 * pageBytes, 2 * pageBytes)
        #expect(machine.relativeLayout(mmID, base: region, length: 7 * pageBytes) == "[0,5)rw-p")
    }
}
