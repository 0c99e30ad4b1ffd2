import MMHardware
import MMKernel
import MMTestSupport
import Testing

/// The VMA layouts mprotect leaves (docs/kernel-model.md, "`mprotect_fixup()`" and "VMAs"): the `VM_MAY*` checks of
/// `do_mprotect_pkey()` on file mappings, merge and split through `vma_modify_flags()` (mm/vma.c), and `split_vma()`
/// refusing at `vm.max_map_count`, under `.merged`. Each layout is what Linux 6.18 shows in `/proc/self/maps` after
/// the same calls.
@Suite struct MProtectLayoutTests {
    static func file(
        _ region: inout Region, readable: Bool = true, writable: Bool, noexec: Bool = false, sealWrite: Bool = false,
        isShmem: Bool = false, prot: Protection, shared: Bool, pages: UInt64 = 3
    ) throws -> UInt64 {
        let file = region.machine.createFile(
            name: "f", sizePages: pages, readable: readable, writable: writable, noexec: noexec, sealWrite: sealWrite,
            isShmem: isShmem)
        return try region.machine.mapFile(region.task, file, pages: pages, prot: prot, shared: shared)
    }

    static func layout(_ region: Region, _ base: UInt64, pages: UInt64 = 3) -> String {
        region.machine.relativeLayout(region.mm, base: base, length: pages * pageBytes)
    }

    @Test("mprotect of a file mapping: PROT_WRITE on MAP_SHARED of an O_RDONLY fd → EACCES")
    func sharedReadOnlyFdWrite() throws {
        var region = try Region()
        let base = try Self.file(&region, writable: false, prot: .read, shared: true, pages: 1)
        #expect(throws: KernelErrno.EACCES) {
            try region.machine.mprotect(region.task, base, pageBytes, prot: Protection([.read, .write]).rawValue)
        }
        #expect(Self.layout(region, base, pages: 1) == "[0,1)r--s")
    }

    @Test("mprotect of a file mapping: PROT_EXEC on MAP_SHARED of an O_RDONLY fd → ok")
    func sharedReadOnlyFdExec() throws {
        var region = try Region()
        let base = try Self.file(&region, writable: false, prot: .read, shared: true, pages: 1)
        try region.machine.mprotect(region.task, base, pageBytes, prot: Protection([.read, .exec]).rawValue)
        #expect(Self.layout(region, base, pages: 1) == "[0,1)r-xs")
    }

    @Test("mprotect of a file mapping: PROT_WRITE on MAP_PRIVATE of an O_RDONLY fd → ok (COW)")
    func privateReadOnlyFdWrite() throws {
        var region = try Region()
        let base = try Self.file(&region, writable: false, prot: .read, shared: false, pages: 1)
        try region.machine.mprotect(region.task, base, pageBytes, prot: Protection([.read, .write]).rawValue)
        #expect(Self.layout(region, base, pages: 1) == "[0,1)rw-p")
    }

    @Test("mprotect of a file mapping: PROT_WRITE on MAP_SHARED of an O_RDWR fd → ok")
    func sharedReadWriteFd() throws {
        var region = try Region()
        let base = try Self.file(&region, writable: true, prot: .read, shared: true)
        try region.machine.mprotect(
            region.task, base + pageBytes, pageBytes, prot: Protection([.read, .write]).rawValue)
        #expect(Self.layout(region, base) == "[0,1)r--s [1,2)rw-s [2,3)r--s")
    }

    @Test("mprotect of a file mapping: PROT_WRITE on MAP_SHARED of an F_SEAL_WRITE memfd → EACCES")
    func sealedMemfd() throws {
        var region = try Region()
        let base = try Self.file(&region, writable: true, sealWrite: true, isShmem: true, prot: .read, shared: true)
        #expect(throws: KernelErrno.EACCES) {
            try region.machine.mprotect(region.task, base, pageBytes, prot: Protection([.read, .write]).rawValue)
        }
        #expect(Self.layout(region, base) == "[0,3)r--s")
    }

    @Test("mprotect of a file mapping: PROT_EXEC on a file from a noexec mount → EACCES")
    func noexecFile() throws {
        var region = try Region()
        let base = try Self.file(&region, writable: true, noexec: true, prot: .read, shared: false)
        #expect(throws: KernelErrno.EACCES) {
            try region.machine.mprotect(region.task, base, pageBytes, prot: Protection([.read, .exec]).rawValue)
        }
        #expect(Self.layout(region, base) == "[0,3)r--p")
    }

    // MARK: - Split / merge

    @Test("vma_modify merge: 3-page RW (touched): middle → R, → RW again merges back")
    func middleReadThenBack() throws {
        var region = try Region(pages: 3, touch: true)
        #expect(region.mprotect(page: 1, pages: 1, .read) == nil)
        #expect(region.layout == "[0,1)rw-p [1,2)r--p [2,3)rw-p")
        #expect(region.mprotect(page: 1, pages: 1, [.read, .write]) == nil)
        #expect(region.layout == "[0,3)rw-p")
        assertTLBsNoMorePermissiveThanPTEs(region.machine, region.mm)
    }

    @Test("vma_modify merge: middle → NONE, then → RW merges back")
    func middleNoneThenBack() throws {
        var region = try Region(pages: 3, touch: true)
        #expect(region.mprotect(page: 1, pages: 1, []) == nil)
        #expect(region.layout == "[0,1)rw-p [1,2)---p [2,3)rw-p")
        #expect(region.mprotect(page: 1, pages: 1, [.read, .write]) == nil)
        #expect(region.layout == "[0,3)rw-p")
        assertTLBsNoMorePermissiveThanPTEs(region.machine, region.mm)
    }

    @Test("vma_modify merge: first → R; last → R; middle → R merges into one")
    func threeStepsToOne() throws {
        var region = try Region(pages: 3, touch: true)
        #expect(region.mprotect(page: 0, pages: 1, .read) == nil)
        #expect(region.mprotect(page: 2, pages: 1, .read) == nil)
        #expect(region.layout == "[0,1)r--p [1,2)rw-p [2,3)r--p")
        #expect(region.mprotect(page: 1, pages: 1, .read) == nil)
        #expect(region.layout == "[0,3)r--p")
    }

    @Test("vma_modify merge: never touched, middle → R → RW merges back")
    func untouchedMiddle() throws {
        var region = try Region(pages: 3)
        #expect(region.mprotect(page: 1, pages: 1, .read) == nil)
        #expect(region.layout == "[0,1)rw-p [1,2)r--p [2,3)rw-p")
        #expect(region.mprotect(page: 1, pages: 1, [.read, .write]) == nil)
        #expect(region.layout == "[0,3)rw-p")
    }

    @Test("vma_modify merge: R-born, untouched: middle → RW → R merges back (VM_ACCOUNT dropped again)")
    func readBornUntouched() throws {
        var region = try Region(pages: 3, prot: .read)
        #expect(region.mprotect(page: 1, pages: 1, [.read, .write]) == nil)
        #expect(region.layout == "[0,1)r--p [1,2)rw-p [2,3)r--p")
        #expect(region.mprotect(page: 1, pages: 1, .read) == nil)
        #expect(region.layout == "[0,3)r--p")
    }

    @Test("vma_modify merge: R-born: middle → RW, written, → R stays 3 VMAs (keeps VM_ACCOUNT)")
    func readBornWritten() throws {
        var region = try Region(pages: 3, prot: .read)
        #expect(region.mprotect(page: 1, pages: 1, [.read, .write]) == nil)
        region.write([1])
        #expect(region.mprotect(page: 1, pages: 1, .read) == nil)
        #expect(region.layout == "[0,1)r--p [1,2)r--p [2,3)r--p")
        assertTLBsNoMorePermissiveThanPTEs(region.machine, region.mm)
    }

    @Test("vma_modify merge: A (2p RW, touched) + adjacent B (2p R): B → RW merges")
    func adjacentMappings() throws {
        var region = try Region(pages: 4)
        region.write([0, 1])
        _ = try region.machine.mapAnon(region.task, pages: 2, prot: .read, fixed: region.base + 2 * pageBytes)
        #expect(region.layout == "[0,2)rw-p [2,4)r--p")
        #expect(region.mprotect(page: 2, pages: 2, [.read, .write]) == nil)
        #expect(region.layout == "[0,4)rw-p")
    }

    @Test("vma_modify merge: 4 pages RW,R,RW,NONE all → R merge into one")
    func mixedToRead() throws {
        var region = try Region(pages: 4)
        #expect(region.mprotect(page: 1, pages: 1, .read) == nil)
        #expect(region.mprotect(page: 3, pages: 1, []) == nil)
        #expect(region.layout == "[0,1)rw-p [1,2)r--p [2,3)rw-p [3,4)---p")
        #expect(region.mprotect(pages: 4, .read) == nil)
        #expect(region.layout == "[0,4)r--p")
    }

    @Test("vma_modify merge: MADV_DONTFORK middle, all → R stays 3 VMAs")
    func dontForkMiddle() throws {
        var region = try Region(pages: 3, touch: true)
        try region.machine.madvise(region.task, region.base + pageBytes, pageBytes, advice: Advice.dontFork.rawValue)
        #expect(region.mprotect(pages: 3, .read) == nil)
        #expect(region.layout == "[0,1)r--p [1,2)r--p [2,3)r--p")
    }

    @Test("vma_modify merge: MAP_SHARED|MAP_ANONYMOUS middle → R → RW")
    func sharedAnonymous() throws {
        var region = try Region(pages: 3, shared: true, touch: true)
        #expect(region.mprotect(page: 1, pages: 1, .read) == nil)
        #expect(region.layout == "[0,1)rw-s [1,2)r--s [2,3)rw-s")
        #expect(region.mprotect(page: 1, pages: 1, [.read, .write]) == nil)
        #expect(region.layout == "[0,3)rw-s")
        assertTLBsNoMorePermissiveThanPTEs(region.machine, region.mm)
    }

    // MARK: - max_map_count

    /// With vm.max_map_count = 64: a middle split at limit-1 fails after its first split (left behind, unmerged),
    /// one at the limit fails without change, a merging call at the limit succeeds, and then the split succeeds.
    @Test("split_vma at max_map_count: failing split, partial split at limit-1, merge at the limit")
    func maxMapCount() throws {
        let limit = 64
        var region = try Region(pages: 200) { $0.maxMapCount = limit }
        func count(_ region: Region) -> Int { region.machine.mm(region.mm).mapCount }
        // Fix the parity so that the +2 steps end at limit-1: an edge split adds one VMA.
        if (limit - count(region)) % 2 == 0 {
            #expect(region.mprotect(page: 0, pages: 1, .read) == nil)
        }
        var page: UInt64 = 2
        while count(region) + 2 <= limit - 1 {
            #expect(region.mprotect(page: page, pages: 1, .read) == nil)
            page += 2
        }
        #expect(count(region) == limit - 1)
        // limit-1: the first split goes through, the second fails; prot unchanged.
        let partial = page
        #expect(region.mprotect(page: partial, pages: 1, .read) == .ENOMEM)
        #expect(count(region) == limit)
        let around = region.machine.relativeLayout(
            region.mm, base: region.base + (partial - 1) * pageBytes, length: 3 * pageBytes)
        #expect(around == "[0,1)rw-p [1,3)rw-p")
        // At the limit: a split elsewhere fails without change.
        let failing = partial + 20
        let before = region.layout
        #expect(region.mprotect(page: failing, pages: 1, .read) == .ENOMEM)
        #expect(count(region) == limit)
        #expect(region.layout == before)
        // A merging call (1-page r-- VMA back to rw-, 3 → 1) succeeds at the limit.
        #expect(region.mprotect(page: 2, pages: 1, [.read, .write]) == nil)
        #expect(count(region) == limit - 2)
        // And now the split that failed succeeds.
        #expect(region.mprotect(page: failing, pages: 1, .read) == nil)
        #expect(count(region) == limit)
    }
}
