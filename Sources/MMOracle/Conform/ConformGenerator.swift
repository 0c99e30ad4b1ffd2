import MMKernel

/// Generates the random call sequences of `mmsim conform` from a seed: mmap (fixed and fixed-noreplace, anonymous
/// private and shared, file mappings of read-only, read-write and sealed files, grows-down), mprotect and
/// pkey_mprotect, munmap, madvise and mremap, with adversarial arguments (zero and wrapping lengths, unaligned addresses
/// and offsets, invalid prot bits, flags and advice, ranges over holes and across the window's edges).
///
/// Every address is window-relative or deliberately invalid (0, unaligned); ranges reach at most a few pages past
/// the window, where the worker keeps an unmapped page, and only calls that stop at holes (mprotect) or fail on
/// their arguments get huge lengths. mremap only resizes in place or moves with MREMAP_FIXED, both inside the
/// window: a MREMAP_MAYMOVE move without a fixed target would go wherever the real kernel finds room.
public struct ConformGenerator: Sendable {
    /// The run's seed.
    public let seed: UInt64
    /// Window size of normal sequences, in pages.
    public var normalPages = 48
    /// `vm.max_map_count` of the host, for sizing near-limit windows.
    public var maxMapCount: Int

    /// A generator for `seed` on a host with `maxMapCount`.
    public init(seed: UInt64, maxMapCount: Int = 65530) {
        self.seed = seed
        self.maxMapCount = maxMapCount
    }

    /// Sequence `index` with `count` calls (a near-limit sequence adds its fill call first).
    public func sequence(index: Int, kind: ConformSequence.Kind = .normal, count: Int) -> ConformSequence {
        var random = ConformRandom(seed: seed &* 0x1000_0000_01B3 &+ UInt64(index) &* 0x9E37_79B9)
        _ = random.next()
        switch kind {
        case .normal:
            let calls = (0..<count).map { _ in ConformGenerator.call(&random, low: 0, pages: normalPages) }
            return ConformSequence(
                index: index, kind: kind, pages: normalPages, layoutFromPage: 0, layoutPages: normalPages,
                calls: calls)
        case .nearMaxMapCount:
            let pages = maxMapCount + 160
            let tail = 96
            var calls: [ConformCall] = [.fill(headroom: random.below(5))]
            calls += (1..<max(count, 2)).map { _ in ConformGenerator.call(&random, low: pages - tail, pages: pages) }
            return ConformSequence(
                index: index, kind: kind, pages: pages, layoutFromPage: pages - tail, layoutPages: tail, calls: calls)
        }
    }

    /// One random call acting on pages `low..<pages` of a window of `pages` pages.
    static func call(_ random: inout ConformRandom, low: Int, pages: Int) -> ConformCall {
        switch random.below(100) {
        case 0..<28: return mmap(&random, low: low, pages: pages)
        case 28..<58:
            let (address, length) = range(&random, low: low, pages: pages, stopsAtHoles: true)
            let prot = register(protection(&random, length: length))
            return .call(.mprotect(address: 0, length: length, prot: prot), address: address)
        case 58..<64:
            let (address, length) = range(&random, low: low, pages: pages, stopsAtHoles: true)
            let prot = register(protection(&random, length: length))
            let pkey = Int64(random.pick([-1, -1, -1, -1, 0, 1, 15, 16, -2] as [Int32]))
            return .call(.pkeyMprotect(address: 0, length: length, prot: prot, pkey: pkey), address: address)
        case 64..<80:
            let (address, length) = range(&random, low: low, pages: pages, stopsAtHoles: false)
            return .call(.munmap(address: 0, length: length), address: address)
        case 80..<92:
            return mremap(&random, low: low, pages: pages)
        default:
            let (address, length) = range(&random, low: low, pages: pages, stopsAtHoles: false)
            let advice: [Int32] = [4, 4, 8, 8, 10, 10, 11, 14, 14, 15, 15, 0, 1, 2, 3, 16, 17, 5, 99, -1]
            return .call(.madvise(address: 0, length: length, advice: Int64(random.pick(advice))), address: address)
        }
    }

    /// A 32-bit argument (`int prot`, `int flags`) as the register holds it when the caller zero-extends it.
    static func register(_ value: Int32) -> UInt64 { UInt64(UInt32(bitPattern: value)) }

    /// A random mmap inside the window (MAP_FIXED or MAP_FIXED_NOREPLACE), sometimes with bad arguments.
    static func mmap(_ random: inout ConformRandom, low: Int, pages: Int) -> ConformCall {
        let start = low + random.below(pages - low)
        let room = pages - start
        var length = UInt64(1 + random.below(min(8, room))) * 4096
        var offset: UInt64 = 0
        var prot: Int32 = random.pick([0, 1, 3, 3, 3, 5, 7, 2, 4])
        var flags: Int32 = random.chance(70) ? 0x10 : 0x10_0000
        var fd: Int64 = -1
        var address = ConformAddress.window(Int64(start) * 4096)
        switch random.below(100) {
        case 0..<55: flags |= 0x02 | 0x20
        case 55..<75: flags |= 0x01 | 0x20
        default:
            flags |= random.chance(60) ? 0x02 : 0x01
            let file = random.below(ConformFile.all.count)
            fd = Int64(3 + file)
            offset = UInt64(random.below(ConformFile.all[file].pages)) * 4096
            if prot & 2 != 0 && random.chance(50) { prot = random.pick([1, 5]) }
        }
        if random.chance(10) && flags & 0x20 != 0 && flags & 0x0f == 0x02 { flags |= 0x100 }
        if random.chance(8) { flags |= 0x8000 }
        if random.chance(8) { flags |= 0x4000 }
        if random.chance(15) {
            switch random.below(10) {
            case 0: length = 0
            case 1: address = .window(Int64(start) * 4096 + 0x123)
            case 2: offset = 100
            case 3: flags = (flags & ~0x0f) | random.pick([0, 0x4, 0xf])
            case 4: fd = 999
            case 5: flags &= ~0x20
            case 6: flags = (flags & ~0x0f) | 0x03
            case 7: flags = (flags & ~0x0f) | 0x01 | 0x100
            case 8: length = UInt64.max - UInt64(random.below(2)) * 4095
            default: length = length - 4096 + UInt64(1 + random.below(4095))
            }
        }
        let call = Syscall.mmap(
            address: 0, length: length, prot: register(prot), flags: register(flags), fd: fd, offset: offset)
        return .call(call, address: address)
    }

    /// A random mremap whose every effect stays inside pages `low..<pages`: a resize in place (shrinking, growing
    /// at most to the window's end, or no change), a MREMAP_MAYMOVE|MREMAP_FIXED move (with or without resize, and
    /// rarely MREMAP_DONTUNMAP) to a target inside the window, or arguments that fail early.
    static func mremap(_ random: inout ConformRandom, low: Int, pages: Int) -> ConformCall {
        let start = low + random.below(pages - low)
        let room = pages - start
        let oldPages = 1 + random.below(min(8, room))
        var oldLength = UInt64(oldPages) * 4096
        var newLength = UInt64(1 + random.below(min(10, room))) * 4096
        var flags: Int32 = 0
        var address = ConformAddress.window(Int64(start) * 4096)
        var newAddress = ConformAddress.absolute(0)
        switch random.below(100) {
        case 0..<40:
            break
        default:
            flags = 0x1 | 0x2
            let newPages = 1 + random.below(min(10, pages - low))
            newLength = UInt64(newPages) * 4096
            if random.chance(30) { newLength = oldLength }
            let length = Int(newLength / 4096)
            let target = low + random.below(pages - low - length + 1)
            newAddress = .window(Int64(target) * 4096)
            if newLength == oldLength && random.chance(15) { flags |= 0x4 }
        }
        if random.chance(20) {
            switch random.below(10) {
            case 0: flags |= random.pick([0x8, 0x10, Int32(bitPattern: 0x8000_0000)])
            case 1: address = .window(Int64(start) * 4096 + Int64(1 + random.below(4095)))
            case 2: newLength = 0
            case 3: flags = 0x2
            case 4: flags = random.pick([0x4, 0x6])
            case 5: address = .absolute(0)
            case 6: oldLength = oldLength - 4096 + UInt64(1 + random.below(4095))
            case 7: newLength = random.pick([UInt64.max, UInt64.max - 4095, 1 << 47])
            case 8: if flags & 0x2 != 0 { oldLength = 0 }
            default: if case .window(let offset) = newAddress { newAddress = .window(offset + 0x10) }
            }
        }
        let call = Syscall.mremap(
            address: 0, oldLength: oldLength, newLength: newLength, flags: register(flags), newAddress: 0)
        return .call(call, address: address, newAddress: newAddress)
    }

    /// A random range over pages `low..<pages`, possibly with holes, crossing an edge by a few pages, unaligned,
    /// empty, or (for calls that stop at holes or fail early) wrapping.
    static func range(
        _ random: inout ConformRandom, low: Int, pages: Int, stopsAtHoles: Bool
    ) -> (ConformAddress, UInt64) {
        var start = low + random.below(pages - low)
        if random.chance(4) { start = random.chance(50) ? low - 1 : pages }
        let maximum = max(1, min(10, pages + 1 - start))
        var length = UInt64(1 + random.below(maximum)) * 4096
        var address = ConformAddress.window(Int64(start) * 4096)
        if random.chance(15) {
            switch random.below(8) {
            case 0: length = 0
            case 1: address = .window(Int64(start) * 4096 + Int64(1 + random.below(4095)))
            case 2: length = length - 4096 + UInt64(1 + random.below(4095))
            case 3: length = UInt64.max
            case 4: length = UInt64.max - 4095
            case 5: length = stopsAtHoles ? 1 << 47 : UInt64.max - 8191
            case 6: address = .absolute(0)
            default: length = 0 &- UInt64(max(start, 0)) * 4096
            }
        }
        return (address, length)
    }

    /// A random prot: the usual ones, PROT_SEM, PROT_GROWSDOWN/GROWSUP, and invalid bits. With a huge `length`
    /// the grows bits are dropped: `PROT_GROWSDOWN` looks up the first VMA in the range, which would then be one of
    /// the worker's own mappings far above the window (the model has none there).
    static func protection(_ random: inout ConformRandom, length: UInt64) -> Int32 {
        let prot = choice(&random)
        return length >= 1 << 40 ? prot & ~0x0300_0000 : prot
    }

    /// One of the prot values, uniformly.
    static func choice(_ random: inout ConformRandom) -> Int32 {
        random.pick([
            0, 1, 1, 3, 3, 3, 5, 7, 2, 4, 0x9, 0x0100_0001, 0x0100_0003, 0x0200_0001, 0x0300_0001, 0x10,
            Int32(bitPattern: 0x8000_0000),
        ])
    }
}
