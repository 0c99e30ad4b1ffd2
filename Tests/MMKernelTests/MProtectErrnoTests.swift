import MMHardware
import MMKernel
import MMTestSupport
import Testing

/// A process with an anonymous region of `pages` pages that has unmapped guard pages on both sides (as the host
/// tests and `mmsim conform` set their windows up), under the default `.merged` scheme.
struct Region {
    var machine: Machine
    let task: TaskID
    let base: UInt64
    let pages: UInt64

    init(
        pages: UInt64 = 4, prot: Protection = [.read, .write], shared: Bool = false, extraFlags: MapFlags = [],
        touch: Bool = false, _ configure: (inout KernelConfig) -> Void = { _ in }
    ) throws {
        var (machine, task) = makeProcess(configure)
        let outer = try machine.mapAnon(task, pages: pages + 2, prot: prot, shared: shared, extraFlags: extraFlags)
        try machine.munmap(task, outer, pageBytes)
        try machine.munmap(task, outer + (pages + 1) * pageBytes, pageBytes)
        self.machine = machine
        self.task = task
        base = outer + pageBytes
        self.pages = pages
        if touch { write(0..<Int(pages)) }
    }

    var mm: MMID { machine.task(task).mm }

    /// The host oracle's notation for the region: `[0,1)r--p [1,4)rw-p`.
    var layout: String { machine.relativeLayout(mm, base: base, length: pages * pageBytes) }

    mutating func write(_ pages: some Sequence<Int>) {
        for page in pages { _ = machine.access(task, base + UInt64(page) * pageBytes, .write, value: 1) }
    }

    /// mprotect(base + firstPage pages, lengthBytes, prot); nil on success, else the errno.
    mutating func mprotect(page firstPage: UInt64 = 0, bytes: UInt64, _ prot: UInt64) -> KernelErrno? {
        do {
            try machine.mprotect(task, base + firstPage * pageBytes, bytes, prot: prot)
            return nil
        } catch {
            return error
        }
    }

    mutating func mprotect(page firstPage: UInt64 = 0, pages count: UInt64, _ prot: Protection) -> KernelErrno? {
        mprotect(page: firstPage, bytes: count * pageBytes, prot.rawValue)
    }
}

/// The checks of `do_mprotect_pkey()` (mm/mprotect.c) in their order: argument validation, holes (nothing rolled
/// back), pkeys on a machine without PKU, `READ_IMPLIES_EXEC` and MDWE (docs/kernel-model.md,
/// "`do_mprotect_pkey()` step by step"), under `.merged` with x86 defaults. The layouts are what Linux 6.18 leaves
/// in `/proc/self/maps` for the same calls.
@Suite struct MProtectErrnoTests {
    static let read = Protection.read.rawValue
    static let readWrite = Protection([.read, .write]).rawValue

    struct Row: CustomTestStringConvertible, Sendable {
        var name: String
        var offset: UInt64 = 0
        var length: UInt64
        var prot: UInt64
        var errno: KernelErrno?
        var layout: String
        var testDescription: String { "do_mprotect_pkey: \(name)" }
    }

    static let rows: [Row] = [
        Row(name: "unaligned addr", offset: 1, length: 4096, prot: read, errno: .EINVAL, layout: "[0,4)rw-p"),
        Row(name: "len 0, aligned", length: 0, prot: read, layout: "[0,4)rw-p"),
        Row(name: "len 0, aligned, prot not validated", length: 0, prot: 0x10, layout: "[0,4)rw-p"),
        Row(name: "len 0, unaligned addr", offset: 1, length: 0, prot: read, errno: .EINVAL, layout: "[0,4)rw-p"),
        Row(name: "len 1 rounds up to 1 page", length: 1, prot: read, layout: "[0,1)r--p [1,4)rw-p"),
        Row(name: "len SIZE_MAX", length: UInt64.max, prot: read, errno: .ENOMEM, layout: "[0,4)rw-p"),
        Row(name: "len SIZE_MAX-4095", length: UInt64.max - 4095, prot: read, errno: .ENOMEM, layout: "[0,4)rw-p"),
        Row(
            name: "len 2^47 runs into a hole: partial", length: 1 << 47, prot: read, errno: .ENOMEM, layout: "[0,4)r--p"
        ),
        Row(name: "prot 0x10", length: 4096, prot: 0x10, errno: .EINVAL, layout: "[0,4)rw-p"),
        Row(name: "prot 0x80000000", length: 4096, prot: 0x8000_0000, errno: .EINVAL, layout: "[0,4)rw-p"),
        Row(name: "PROT_READ|PROT_SEM", length: 4096, prot: 0x9, layout: "[0,1)r--p [1,4)rw-p"),
        Row(name: "PROT_EXEC only", length: 4096, prot: 0x4, layout: "[0,1)--xp [1,4)rw-p"),
        Row(name: "PROT_WRITE only", length: 4096, prot: 0x2, layout: "[0,1)-w-p [1,4)rw-p"),
        Row(
            name: "PROT_GROWSDOWN on a non-growsdown VMA", length: 4096, prot: 0x0100_0001, errno: .EINVAL,
            layout: "[0,4)rw-p"),
        Row(
            name: "PROT_GROWSUP (no VM_GROWSUP on x86)", length: 4096, prot: 0x0200_0001, errno: .EINVAL,
            layout: "[0,4)rw-p"),
        Row(name: "PROT_GROWSDOWN|PROT_GROWSUP", length: 4096, prot: 0x0300_0001, errno: .EINVAL, layout: "[0,4)rw-p"),
    ]

    @Test(arguments: rows)
    func argumentValidation(_ row: Row) throws {
        var region = try Region(touch: true)
        let result: KernelErrno?
        do {
            try region.machine.mprotect(region.task, region.base + row.offset, row.length, prot: row.prot)
            result = nil
        } catch {
            result = error
        }
        #expect(result == row.errno)
        #expect(region.layout == row.layout)
        #expect(region.machine.mm(region.mm).tlbFlushPending == 0)
        assertTLBsNoMorePermissiveThanPTEs(region.machine, region.mm)
    }

    @Test("do_mprotect_pkey: PROT_GROWSDOWN on page 2 of a 4-page MAP_GROWSDOWN VMA extends start down to vm_start")
    func growsDown() throws {
        var region = try Region(extraFlags: .growsDown, touch: true)
        #expect(region.mprotect(page: 2, bytes: pageBytes, Self.read | Protection.growsDown.rawValue) == nil)
        #expect(region.layout == "[0,3)r--p [3,4)rw-p")
        assertTLBsNoMorePermissiveThanPTEs(region.machine, region.mm)
    }

    @Test("do_mprotect_pkey: addr 0, range crossing TASK_SIZE, vsyscall page → ENOMEM (no VMA)")
    func unmappedAddresses() throws {
        var (machine, task) = makeProcess()
        let top = try machine.mapAnon(task, pages: 1, fixed: PageGeometry.taskSize - pageBytes)
        #expect(top == PageGeometry.taskSize - pageBytes)
        #expect(throws: KernelErrno.ENOMEM) { try machine.mprotect(task, 0, pageBytes, prot: Self.read) }
        #expect(throws: KernelErrno.ENOMEM) {
            try machine.mprotect(task, PageGeometry.taskSize, 2 * pageBytes, prot: Self.read)
        }
        #expect(throws: KernelErrno.ENOMEM) {
            try machine.mprotect(task, 0xffff_ffff_ff60_0000, pageBytes, prot: Self.read)
        }
    }

    @Test("do_mprotect_pkey holes: 3 pages, middle unmapped → ENOMEM, the part before the hole changed")
    func holeInMiddle() throws {
        var region = try Region(pages: 3, touch: true)
        try region.machine.munmap(region.task, region.base + pageBytes, pageBytes)
        #expect(region.mprotect(pages: 3, .read) == .ENOMEM)
        #expect(region.layout == "[0,1)r--p [2,3)rw-p")
        #expect(region.machine.mm(region.mm).tlbFlushPending == 0)
        assertTLBsNoMorePermissiveThanPTEs(region.machine, region.mm)
    }

    @Test("do_mprotect_pkey holes: range starting in the hole → ENOMEM, nothing changed")
    func startInHole() throws {
        var region = try Region(pages: 3, touch: true)
        try region.machine.munmap(region.task, region.base + pageBytes, pageBytes)
        #expect(region.mprotect(page: 1, pages: 2, .read) == .ENOMEM)
        #expect(region.layout == "[0,1)rw-p [2,3)rw-p")
    }

    @Test("do_mprotect_pkey holes: range starting at the last VMA and running past its end → ENOMEM, partial")
    func pastLastVMA() throws {
        var region = try Region(pages: 3, touch: true)
        try region.machine.munmap(region.task, region.base + pageBytes, pageBytes)
        #expect(region.mprotect(page: 2, pages: 2, .read) == .ENOMEM)
        #expect(region.layout == "[0,1)rw-p [2,3)r--p")
        assertTLBsNoMorePermissiveThanPTEs(region.machine, region.mm)
    }

    @Test("do_mprotect_pkey holes: 4 pages, last unmapped → ENOMEM, partial")
    func trailingHole() throws {
        var region = try Region(pages: 4, touch: true)
        try region.machine.munmap(region.task, region.base + 3 * pageBytes, pageBytes)
        #expect(region.mprotect(pages: 4, .read) == .ENOMEM)
        #expect(region.layout == "[0,3)r--p")
        assertTLBsNoMorePermissiveThanPTEs(region.machine, region.mm)
    }

    @Test("do_mprotect_pkey without PKU: pkey_alloc and pkey_free EINVAL")
    func pkeyAllocWithoutPKU() throws {
        var (machine, task) = makeProcess()
        #expect(throws: KernelErrno.EINVAL) { _ = try machine.pkeyAlloc(task, flags: 0, accessRights: 0) }
        #expect(throws: KernelErrno.EINVAL) { _ = try machine.pkeyAlloc(task, flags: 1, accessRights: 0) }
        #expect(throws: KernelErrno.EINVAL) { try machine.pkeyFree(task, 1) }
    }

    @Test("do_mprotect_pkey without PKU: pkey_mprotect(-1) is mprotect")
    func pkeyMinusOne() throws {
        var region = try Region(touch: true)
        try region.machine.pkeyMprotect(region.task, region.base, pageBytes, prot: Self.read, pkey: -1)
        #expect(region.layout == "[0,1)r--p [1,4)rw-p")
    }

    @Test("do_mprotect_pkey without PKU: pkey 0, 5, 16, -2 → EINVAL", arguments: [0, 5, 16, -2])
    func pkeyOthers(_ pkey: Int) throws {
        var region = try Region(touch: true)
        #expect(throws: KernelErrno.EINVAL) {
            try region.machine.pkeyMprotect(region.task, region.base, pageBytes, prot: Self.read, pkey: pkey)
        }
        #expect(region.layout == "[0,4)rw-p")
    }

    @Test("do_mprotect_pkey: READ_IMPLIES_EXEC adds PROT_EXEC where VM_MAYEXEC allows")
    func readImpliesExec() throws {
        var region = try Region(touch: true)
        region.machine.setReadImpliesExec(region.task, true)
        #expect(region.mprotect(pages: 1, .read) == nil)
        #expect(region.layout == "[0,1)r-xp [1,4)rw-p")
        #expect(!region.machine.leafEntry(region.mm, region.base).entry.isNoExecute)
        // A noexec file mapping has no VM_MAYEXEC: PROT_READ stays PROT_READ there and still succeeds.
        let file = region.machine.createFile(name: "noexec", sizePages: 2, noexec: true)
        let mapped = try region.machine.mapFile(region.task, file, pages: 2, prot: .read, shared: false)
        try region.machine.mprotect(region.task, mapped, pageBytes, prot: 0)
        try region.machine.mprotect(region.task, mapped, pageBytes, prot: Self.read)
        #expect(region.machine.relativeLayout(region.mm, base: mapped, length: 2 * pageBytes) == "[0,2)r--p")
    }

    @Test("do_mprotect_pkey: map_deny_write_exec refuses W+X and newly gained X under MDWE")
    func mdwe() throws {
        var region = try Region(touch: true)
        region.machine.prctlSetMDWE(region.task)
        #expect(region.mprotect(pages: 1, [.read, .write, .exec]) == .EACCES)
        #expect(region.mprotect(pages: 1, [.read, .exec]) == .EACCES)
        #expect(region.mprotect(pages: 1, .read) == nil)
        #expect(region.layout == "[0,1)r--p [1,4)rw-p")
    }

    /// VMA 1 (RWX, mapped before the prctl) may drop W; VMA 2 (RW) would newly gain X and fails. VMA 1's PTE
    /// changes must still be flushed (CPU 1 held a writable entry) and tlb_flush_pending must drop back to 0: the
    /// MDWE check leaves the loop with `break`, so `tlb_finish_mmu()` still runs (the `goto out` of b507808ebce2
    /// skipped it).
    @Test(
        "do_mprotect_pkey: a 2-VMA mprotect where VMA 2 fails MDWE still flushes VMA 1",
        arguments: FlushScheme.allCases)
    func mdweErrorPathFlushes(_ scheme: FlushScheme) throws {
        var rig = FlushRig(scheme)
        let base = try rig.map(pages: 8, prot: [.read, .write, .exec])
        try rig.mprotect(base + 4 * pageBytes, pages: 4, [.read, .write])
        rig.touch(base, 0..<8)
        _ = rig.machine.access(rig.worker, base, .write, value: 5)
        rig.machine.prctlSetMDWE(rig.main)
        rig.begin()
        #expect(throws: KernelErrno.EACCES) { try rig.mprotect(base, pages: 8, [.read, .exec]) }
        #expect(rig.machine.relativeLayout(rig.mm, base: base, length: 8 * pageBytes) == "[0,4)r-xp [4,8)rw-p")
        rig.expectFlushes([4])
        #expect(rig.machine.mm(rig.mm).tlbFlushPending == 0)
        rig.expectTLBsSafe()
        #expect(rig.machine.access(rig.worker, base, .write, value: 6) != .value(6))
    }
}
