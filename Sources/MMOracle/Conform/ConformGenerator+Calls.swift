import MMHardware
import MMKernel

extension ConformGenerator {
    /// The `MAP_*` bits besides the type that mmap calls add at random (x86-64 values): MAP_32BIT, GROWSDOWN,
    /// DENYWRITE, EXECUTABLE, LOCKED, NORESERVE, POPULATE, NONBLOCK, STACK, HUGETLB, SYNC, UNINITIALIZED, and the
    /// hugetlb size field (`MAP_HUGE_2MB`, `MAP_HUGE_1GB`).
    static let extraMapFlags: [UInt64] = [
        0x40, 0x100, 0x800, 0x1000, 0x2000, 0x4000, 0x8000, 0x10000, 0x20000, 0x40000, 0x80000, 0x400_0000,
        21 << 26, 30 << 26,
    ]

    /// A random mmap inside the window (MAP_FIXED or MAP_FIXED_NOREPLACE), sometimes with bad arguments.
    static func mmap(_ random: inout ConformRandom, low: Int, pages: Int, _ context: Context) -> ConformCall {
        let start = low + random.below(pages - low)
        let room = pages - start
        var length = UInt64(1 + random.below(min(8, room))) * 4096
        var offset: UInt64 = 0
        var prot: UInt64 = random.pick([0, 1, 3, 3, 3, 5, 7, 2, 4])
        var flags: UInt64 = random.chance(70) ? 0x10 : 0x10_0000
        var fd: Int64 = -1
        var address = ConformAddress.window(Int64(start) * 4096)
        switch random.below(100) {
        case 0..<45: flags |= 0x02 | 0x20
        case 45..<60: flags |= 0x01 | 0x20
        case 60..<64: flags |= 0x08 | 0x20
        default:
            flags |= random.pick([0x02, 0x02, 0x01, 0x01, 0x03])
            let file = random.below(ConformFile.all.count)
            fd = Int64(3 + file)
            offset = UInt64(random.below(ConformFile.all[file].pages + 1)) * 4096
            if prot & 2 != 0 && random.chance(40) { prot = random.pick([1, 5]) }
        }
        if random.chance(8) && flags & 0x20 != 0 && flags & 0x0f == 0x02 { flags |= 0x100 }
        if random.chance(35) {
            flags |= random.pick(extraMapFlags)
            if random.chance(25) { flags |= random.pick(extraMapFlags) }
        }
        // An anonymous MAP_HUGETLB|MAP_NORESERVE mapping at a 2 MiB-aligned address succeeds without a huge page
        // pool (and faults SIGBUS); the model does not model hugetlb VMAs, so huge mappings always reserve.
        if flags & 0x40000 != 0 { flags &= ~0x4000 }
        if random.chance(15) {
            switch random.below(11) {
            case 0: length = 0
            case 1: address = .window(Int64(start) * 4096 + 0x123)
            case 2: offset = 100
            case 3: flags = (flags & ~0x0f) | random.pick([0, 0x4, 0x7, 0xf])
            case 4: fd = random.pick([999, 1000, -2])
            case 5: flags &= ~0x20
            case 6: flags = (flags & ~0x0f) | 0x03
            case 7: prot |= random.pick([0x8, 0x10, 0x0100_0000, 0x0200_0000, 0x8000_0000])
            case 8: length = UInt64.max - UInt64(random.below(2)) * 4095
            case 9: offset = random.pick([UInt64(1) << 62, UInt64.max & ~4095])
            default: length = length - 4096 + UInt64(1 + random.below(4095))
            }
        }
        if let limit = context.commitLimitPages, random.chance(3) {
            // Longer than RAM plus swap by more than the window could hold: an accountable mapping must fail the
            // commit check before it maps anything, even after the charge of the VMAs it replaces is deducted
            // (`vms.nr_accounted`).
            length = (limit + UInt64(pages - low) + 64 + UInt64(random.below(4))) * 4096
            prot = random.pick([3, 7])
            flags = (flags & 0x10_0010) | random.pick([0x02 | 0x20, 0x01 | 0x20])
            fd = -1
            offset = 0
        }
        let call = Syscall.mmap(address: 0, length: length, prot: prot, flags: flags, fd: fd, offset: offset)
        return .call(call, address: address)
    }

    /// pkey_alloc with valid and invalid flags and rights, or pkey_free of keys that may or may not be allocated.
    static func pkey(_ random: inout ConformRandom) -> ConformCall {
        if random.chance(60) {
            let flags: UInt64 = random.chance(85) ? 0 : random.pick([1, 0x8000_0000])
            let rights: UInt64 = random.pick([0, 1, 2, 3, 4])
            return .call(.pkeyAlloc(flags: flags, accessRights: rights), address: .absolute(0))
        }
        let key = Int64(random.pick([-1, 0, 1, 2, 15, 16] as [Int32]))
        return .call(.pkeyFree(pkey: key), address: .absolute(0))
    }

    /// madvise with every advice of 6.18 except MADV_HWPOISON and MADV_SOFT_OFFLINE, and invalid ones.
    static func madvise(_ random: inout ConformRandom, low: Int, pages: Int) -> ConformCall {
        let (address, length) = range(&random, low: low, pages: pages, stopsAtHoles: false)
        let valid = SyscallConstants.advice.map(\.value).filter {
            !ConformHostCall.forbiddenAdvice.contains(Int32(truncatingIfNeeded: $0))
        }
        let advice: Int64 =
            random.chance(90) ? random.pick(valid) : random.pick([5, 6, 7, 26, 99, 104, -1, 0x1_0000_0004])
        return .call(.madvise(address: 0, length: length, advice: advice), address: address)
    }

    /// mlock, mlock2 (flags 0, MLOCK_ONFAULT, invalid), munlock, mlockall (every MCL_* combination and invalid
    /// bits) and munlockall.
    static func mlock(_ random: inout ConformRandom, low: Int, pages: Int) -> ConformCall {
        let (address, length) = range(&random, low: low, pages: pages, stopsAtHoles: false)
        switch random.below(100) {
        case 0..<30: return .call(.mlock(address: 0, length: length), address: address)
        case 30..<55:
            let flags: UInt64 = random.pick([0, 1, 1, 2, 0x8000_0001])
            return .call(.mlock2(address: 0, length: length, flags: flags), address: address)
        case 55..<80: return .call(.munlock(address: 0, length: length), address: address)
        case 80..<93:
            let flags: UInt64 = random.pick([1, 2, 3, 5, 6, 7, 4, 0, 8])
            return .call(.mlockall(flags: flags), address: .absolute(0))
        default: return .call(.munlockall, address: .absolute(0))
        }
    }

    /// A load or a store of 8 bytes at the start of a window page (or just outside the window): stores write a
    /// token, so that later loads and the page comparison see where it went.
    static func access(_ random: inout ConformRandom, low: Int, pages: Int) -> ConformCall {
        var page = low + random.below(pages - low)
        if random.chance(3) { page = random.chance(50) ? low - 1 : pages }
        let store = random.chance(50)
        let token = 0x7000_0000 | UInt64(random.below(1 << 20))
        let call = Syscall.access(address: 0, kind: store ? .write : .read, value: store ? token : 0)
        return .call(call, address: .window(Int64(page) * 4096))
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
        var flags: UInt64 = 0
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
            case 0: flags |= random.pick([0x8, 0x10, 0x8000_0000])
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
        let call = Syscall.mremap(address: 0, oldLength: oldLength, newLength: newLength, flags: flags, newAddress: 0)
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
            0, 1, 1, 3, 3, 3, 5, 7, 2, 4, 6, 0x9, 0x0100_0001, 0x0100_0003, 0x0200_0001, 0x0300_0001, 0x10,
            Int32(bitPattern: 0x8000_0000),
        ])
    }
}
