import MMKernel

/// Generates the random call sequences of `mmsim conform` from a seed: every call of the vocabulary the worker
/// can make (mmap with every mmap flag of 6.18, mprotect and pkey_mprotect with every prot bit, pkey_alloc and
/// pkey_free, munmap, every madvise advice but the two that poison memory, mremap with every flag, mlock, mlock2,
/// munlock, mlockall, munlockall, mseal), loads and stores of window pages, and process settings that cannot be
/// undone (prctl `PR_SET_MDWE`, personality `READ_IMPLIES_EXEC`) at the start of some sequences, each of which
/// runs in a fresh worker process. Arguments are adversarial: zero and wrapping lengths, unaligned addresses and
/// offsets, invalid prot bits, flags and advice, ranges over holes and across the window's edges.
///
/// Every address is window-relative or deliberately invalid (0, unaligned); ranges reach at most a few pages past
/// the window, where the worker keeps an unmapped page, and only calls that stop at holes (mprotect) or fail on
/// their arguments get huge lengths. An mmap longer than RAM plus swap (the commit limit of overcommit mode 0,
/// `__vm_enough_memory()`) is generated only where it must fail: an accountable mapping (private writable, or
/// shared anonymous) without `MAP_NORESERVE`, and never under overcommit mode 1. mremap only resizes in place or
/// moves with MREMAP_FIXED, both inside the window: a MREMAP_MAYMOVE move without a fixed target would go wherever
/// the real kernel finds room. MADV_HWPOISON and MADV_SOFT_OFFLINE are never generated
/// (``ConformHostCall/forbiddenAdvice``).
public struct ConformGenerator: Sendable {
    /// The run's seed.
    public let seed: UInt64
    /// Window size of normal sequences, in pages.
    public var normalPages = 48
    /// `vm.max_map_count` of the host, for sizing near-limit windows.
    public var maxMapCount: Int
    /// RAM plus swap in pages (the overcommit heuristic's limit), or nil to generate no mapping that large.
    public var commitLimitPages: UInt64?

    /// A generator for `seed` on a host with `maxMapCount`, and RAM plus swap of `commitLimitPages` under
    /// overcommit mode 0 or 2 (nil: no commit-limit calls).
    public init(seed: UInt64, maxMapCount: Int = 65530, commitLimitPages: UInt64? = nil) {
        self.seed = seed
        self.maxMapCount = maxMapCount
        self.commitLimitPages = commitLimitPages
    }

    /// Sequence `index` with `count` calls (a near-limit sequence adds its fill call first).
    public func sequence(index: Int, kind: ConformSequence.Kind = .normal, count: Int) -> ConformSequence {
        var random = ConformRandom(seed: seed &* 0x1000_0000_01B3 &+ UInt64(index) &* 0x9E37_79B9)
        _ = random.next()
        let context = Context(commitLimitPages: commitLimitPages)
        switch kind {
        case .normal:
            var calls = ConformGenerator.prologue(&random)
            calls += ConformGenerator.baseLayout(&random, pages: normalPages)
            while calls.count < count {
                calls.append(ConformGenerator.call(&random, low: 0, pages: normalPages, context))
            }
            return ConformSequence(
                index: index, kind: kind, pages: normalPages, layoutFromPage: 0, layoutPages: normalPages,
                calls: Array(calls.prefix(count)))
        case .nearMaxMapCount:
            let pages = maxMapCount + 160
            let tail = 96
            var calls: [ConformCall] = [.fill(headroom: random.below(5))]
            calls += (1..<max(count, 2)).map { _ in
                ConformGenerator.call(&random, low: pages - tail, pages: pages, context)
            }
            return ConformSequence(
                index: index, kind: kind, pages: pages, layoutFromPage: pages - tail, layoutPages: tail, calls: calls)
        }
    }

    /// What calls may depend on besides the window.
    struct Context {
        /// RAM plus swap in pages, if commit-limit calls are wanted.
        var commitLimitPages: UInt64?
    }

    /// The process settings some sequences start with (one in six): `PR_SET_MDWE` with and without
    /// `PR_MDWE_NO_INHERIT` (and invalid flags), `PR_GET_MDWE`, and personality `READ_IMPLIES_EXEC` or a query.
    static func prologue(_ random: inout ConformRandom) -> [ConformCall] {
        guard random.chance(17) else { return [] }
        var calls: [ConformCall] = []
        if random.chance(60) {
            let flags: UInt64 = random.pick([1, 1, 3, 3, 2, 0, 4])
            let extra: UInt64 = random.chance(10) ? 1 : 0
            calls.append(.call(.prctl(option: 65, arg2: flags, arg3: extra, arg4: 0, arg5: 0), address: .absolute(0)))
            if random.chance(50) {
                calls.append(.call(.prctl(option: 66, arg2: 0, arg3: 0, arg4: 0, arg5: 0), address: .absolute(0)))
            }
        }
        if calls.isEmpty || random.chance(40) {
            let persona: UInt64 = random.pick([
                UInt64(Personality.readImpliesExec), UInt64(Personality.readImpliesExec), 0,
            ])
            calls.append(.call(.personality(persona: persona), address: .absolute(0)))
            if random.chance(30) {
                calls.append(.call(.personality(persona: UInt64(Personality.query)), address: .absolute(0)))
            }
        }
        return calls
    }

    /// The mappings most normal sequences start from (six in seven), so that later calls meet memory more often
    /// than holes: one to three MAP_FIXED mmaps of 8 to 40 pages of the window's interior, each private or shared
    /// anonymous memory or one of the files, read-write, read-only or PROT_NONE.
    static func baseLayout(_ random: inout ConformRandom, pages: Int) -> [ConformCall] {
        guard random.chance(86) else { return [] }
        return (0..<(1 + random.below(3))).map { _ in
            let start = 1 + random.below(pages / 4)
            let length = min(8 + random.below(33), pages - 1 - start)
            var flags: UInt64 = 0x10
            var fd: Int64 = -1
            var offset: UInt64 = 0
            switch random.below(10) {
            case 0..<5: flags |= 0x22
            case 5..<7: flags |= 0x21
            default:
                let file = random.below(ConformFile.all.count)
                fd = Int64(3 + file)
                flags |= random.chance(50) ? 0x02 : 0x01
                offset = UInt64(random.below(ConformFile.all[file].pages)) * 4096
            }
            var prot: UInt64 = random.pick([3, 3, 3, 1, 0, 7])
            if fd == 3 && flags & 0x01 != 0 { prot &= ~2 }
            let call = Syscall.mmap(
                address: 0, length: UInt64(length) * 4096, prot: prot, flags: flags, fd: fd, offset: offset)
            return .call(call, address: .window(Int64(start) * 4096))
        }
    }

    /// One random call acting on pages `low..<pages` of a window of `pages` pages.
    static func call(_ random: inout ConformRandom, low: Int, pages: Int, _ context: Context) -> ConformCall {
        switch random.below(100) {
        case 0..<22: return mmap(&random, low: low, pages: pages, context)
        case 22..<40:
            let (address, length) = range(&random, low: low, pages: pages, stopsAtHoles: true)
            let prot = register(protection(&random, length: length))
            return .call(.mprotect(address: 0, length: length, prot: prot), address: address)
        case 40..<44:
            let (address, length) = range(&random, low: low, pages: pages, stopsAtHoles: true)
            let prot = register(protection(&random, length: length))
            let pkey = Int64(random.pick([-1, -1, -1, 0, 1, 15, 16, -2] as [Int32]))
            return .call(.pkeyMprotect(address: 0, length: length, prot: prot, pkey: pkey), address: address)
        case 44..<46: return pkey(&random)
        case 46..<57:
            let (address, length) = range(&random, low: low, pages: pages, stopsAtHoles: false)
            return .call(.munmap(address: 0, length: length), address: address)
        case 57..<67: return mremap(&random, low: low, pages: pages)
        case 67..<80: return madvise(&random, low: low, pages: pages)
        case 80..<88: return mlock(&random, low: low, pages: pages)
        case 88..<90:
            let (address, length) = range(&random, low: low, pages: pages, stopsAtHoles: false)
            let flags: UInt64 = random.chance(85) ? 0 : random.pick([1, 2, 0x8000_0000])
            return .call(.mseal(address: 0, length: length, flags: flags), address: address)
        default: return access(&random, low: low, pages: pages)
        }
    }

    /// A 32-bit argument (`int prot`, `int flags`) as the register holds it when the caller zero-extends it.
    static func register(_ value: Int32) -> UInt64 { UInt64(UInt32(bitPattern: value)) }
}
