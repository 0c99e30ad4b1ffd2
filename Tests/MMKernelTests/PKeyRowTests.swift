import MMHardware
import MMKernel
import MMTestSupport
import Testing

/// Rows measured on a machine with protection keys (Linux 6.18), each run on the model with `pku` on as measured,
/// and with `pku` off where the same program means something there (a CPU without PKU).
@Suite struct PKeyRowTests {
    static let exec = Protection.exec.rawValue
    static let readExec = Protection([.read, .exec]).rawValue
    static let readWrite = Protection([.read, .write]).rawValue

    /// A fresh process on a machine with or without protection keys.
    static func process(pku: Bool) -> (Machine, TaskID) {
        makeProcess { $0.pku = pku }
    }

    /// The VMAs over `pages` pages from `base` with their keys: `[0,1)--xp k1 [1,2)r-xp k0`.
    static func layout(_ machine: Machine, _ task: TaskID, _ base: UInt64, pages: UInt64) -> String {
        let mm = machine.mm(machine.mmID(of: task))
        return mm.vmas.indices(intersecting: base, base + pages * pageBytes).map { index in
            let vma = mm.vmas[index]
            let low = (max(vma.start, base) - base) / pageBytes
            let high = (min(vma.end, base + pages * pageBytes) - base) / pageBytes
            return "[\(low),\(high))\(vma.flags.mapsPermissions) k\(vma.flags.pkey)"
        }.joined(separator: " ")
    }

    /// Row: mmap(4 pages, PROT_EXEC) private anonymous in a fresh process is `--xp` on key 1 (the execute-only key,
    /// allocated at mmap); mprotect(page 1, PROT_EXEC) returns 0 and does not split; mprotect(page 1,
    /// PROT_READ|PROT_EXEC) splits off page 1 on key 0; pkey_alloc(0, 0) then returns 2. Without PKU every key is 0
    /// and pkey_alloc is EINVAL.
    @Test(arguments: [
        (true, "[0,4)--xp k1", "[0,1)--xp k1 [1,2)r-xp k0 [2,4)--xp k1"),
        (false, "[0,4)--xp k0", "[0,1)--xp k0 [1,2)r-xp k0 [2,4)--xp k0"),
    ])
    func mmapExecOnlyTakesTheExecuteOnlyKey(pku: Bool, mapped: String, afterReadExec: String) throws {
        var (machine, main) = Self.process(pku: pku)
        let base = try machine.mapAnon(main, pages: 4, prot: .exec)
        #expect(Self.layout(machine, main, base, pages: 4) == mapped)
        try machine.mprotect(main, base + pageBytes, pageBytes, prot: Self.exec)
        #expect(Self.layout(machine, main, base, pages: 4) == mapped)
        try machine.mprotect(main, base + pageBytes, pageBytes, prot: Self.readExec)
        #expect(Self.layout(machine, main, base, pages: 4) == afterReadExec)
        if pku {
            #expect(try machine.pkeyAlloc(main, flags: 0, accessRights: 0) == 2)
        } else {
            #expect(throws: KernelErrno.EINVAL) { try machine.pkeyAlloc(main, flags: 0, accessRights: 0) }
        }
    }

    /// Row: in a fresh process pkey_alloc(0, 0) returns 1, and mprotect(4 pages RW → PROT_EXEC) then gives `--xp`
    /// on key 2; pkey_alloc goes on with 3 … 15 and then fails with ENOSPC.
    @Test func allocatedKeysComeFirstThenTheExecuteOnlyKeyThenENOSPC() throws {
        var (machine, main) = Self.process(pku: true)
        #expect(try machine.pkeyAlloc(main, flags: 0, accessRights: 0) == 1)
        let base = try machine.mapAnon(main, pages: 4)
        try machine.mprotect(main, base, 4 * pageBytes, prot: Self.exec)
        #expect(Self.layout(machine, main, base, pages: 4) == "[0,4)--xp k2")
        var keys: [Int] = []
        while let key = try? machine.pkeyAlloc(main, flags: 0, accessRights: 0) { keys.append(key) }
        #expect(keys == Array(3...15))
        #expect(throws: KernelErrno.ENOSPC) { try machine.pkeyAlloc(main, flags: 0, accessRights: 0) }
    }

    /// The same program without PKU: the first pkey_alloc is EINVAL (and leaves key 0 taken, so the next is ENOSPC,
    /// as Linux 6.18 answers on a machine without PKU), and the mapping stays on key 0.
    @Test func withoutPKUPKeyAllocIsEINVALAndKeysStayZero() throws {
        var (machine, main) = Self.process(pku: false)
        #expect(throws: KernelErrno.EINVAL) { try machine.pkeyAlloc(main, flags: 0, accessRights: 0) }
        let base = try machine.mapAnon(main, pages: 4)
        try machine.mprotect(main, base, 4 * pageBytes, prot: Self.exec)
        #expect(Self.layout(machine, main, base, pages: 4) == "[0,4)--xp k0")
        #expect(throws: KernelErrno.ENOSPC) { try machine.pkeyAlloc(main, flags: 0, accessRights: 0) }
    }

    // MARK: pkey_free and invalid keys (PKU)

    @Test(arguments: [16, -1])
    func pkeyFreeOfAKeyThatCannotExistIsEINVAL(key: Int) {
        var (machine, main) = Self.process(pku: true)
        #expect(throws: KernelErrno.EINVAL) { try machine.pkeyFree(main, key) }
    }

    @Test func pkeyFreeOfAnAllocatedKeyThenAgain() throws {
        var (machine, main) = Self.process(pku: true)
        let key = try machine.pkeyAlloc(main, flags: 0, accessRights: 0)
        try machine.pkeyFree(main, key)
        #expect(throws: KernelErrno.EINVAL) { try machine.pkeyFree(main, key) }
    }

    @Test func pkeyFreeOfTheExecuteOnlyKeyIsEINVAL() throws {
        var (machine, main) = Self.process(pku: true)
        _ = try machine.mapAnon(main, pages: 1, prot: .exec)
        #expect(machine.mm(machine.mmID(of: main)).executeOnlyPKey == 1)
        #expect(throws: KernelErrno.EINVAL) { try machine.pkeyFree(main, 1) }
    }

    @Test func pkeyFreeOfKeyZeroSucceeds() throws {
        var (machine, main) = Self.process(pku: true)
        try machine.pkeyFree(main, 0)
    }

    @Test func pkeyMprotectWithAFreedKeyOr16IsEINVAL() throws {
        var (machine, main) = Self.process(pku: true)
        let base = try machine.mapAnon(main, pages: 1)
        let key = try machine.pkeyAlloc(main, flags: 0, accessRights: 0)
        try machine.pkeyFree(main, key)
        #expect(throws: KernelErrno.EINVAL) {
            try machine.pkeyMprotect(main, base, pageBytes, prot: Self.readWrite, pkey: key)
        }
        #expect(throws: KernelErrno.EINVAL) {
            try machine.pkeyMprotect(main, base, pageBytes, prot: Self.readWrite, pkey: 16)
        }
    }

    /// Rows: pkey_alloc(1, 0) and pkey_alloc(0, 4) are EINVAL with PKU (and without).
    @Test(arguments: [(true, UInt64(1), UInt64(0)), (true, 0, 4), (false, 1, 0), (false, 0, 4)])
    func pkeyAllocWithBadFlagsOrRightsIsEINVAL(pku: Bool, flags: UInt64, rights: UInt64) {
        var (machine, main) = Self.process(pku: pku)
        #expect(throws: KernelErrno.EINVAL) { try machine.pkeyAlloc(main, flags: flags, accessRights: rights) }
    }

    @Test func pkeyAllocReusesAFreedKey() throws {
        var (machine, main) = Self.process(pku: true)
        for expected in 1...4 { #expect(try machine.pkeyAlloc(main, flags: 0, accessRights: 0) == expected) }
        try machine.pkeyFree(main, 3)
        #expect(try machine.pkeyAlloc(main, flags: 0, accessRights: 3) == 3)
    }

    // MARK: Without PKU

    @Test func withoutPKUPKeyFreeIsEINVALForEveryKey() {
        var (machine, main) = Self.process(pku: false)
        for key in [-1, 0, 1, 15, 16] {
            #expect(throws: KernelErrno.EINVAL) { try machine.pkeyFree(main, key) }
        }
    }

    @Test func withoutPKUPKeyMprotectTakesOnlyMinusOne() throws {
        var (machine, main) = Self.process(pku: false)
        let base = try machine.mapAnon(main, pages: 2)
        try machine.pkeyMprotect(main, base, pageBytes, prot: Protection.read.rawValue, pkey: -1)
        #expect(Self.layout(machine, main, base, pages: 2) == "[0,1)r--p k0 [1,2)rw-p k0")
        for key in [0, 1, 15, 16, -2] {
            #expect(throws: KernelErrno.EINVAL) {
                try machine.pkeyMprotect(main, base, pageBytes, prot: Self.readWrite, pkey: key)
            }
        }
    }

    // MARK: Explicit keys and other prots

    /// Row: pkey_mprotect(1 page RW, PROT_EXEC, key 1) gives `--xp` on key 1 (an explicit key wins over the
    /// execute-only key); a plain mprotect(PROT_EXEC) of that page then moves it to the execute-only key.
    @Test func explicitKeyWinsThenMprotectExecMovesToTheExecuteOnlyKey() throws {
        var (machine, main) = Self.process(pku: true)
        #expect(try machine.pkeyAlloc(main, flags: 0, accessRights: 0) == 1)
        let base = try machine.mapAnon(main, pages: 1)
        try machine.pkeyMprotect(main, base, pageBytes, prot: Self.exec, pkey: 1)
        #expect(Self.layout(machine, main, base, pages: 1) == "[0,1)--xp k1")
        #expect(machine.mm(machine.mmID(of: main)).executeOnlyPKey == -1)
        try machine.mprotect(main, base, pageBytes, prot: Self.exec)
        #expect(Self.layout(machine, main, base, pages: 1) == "[0,1)--xp k2")
        #expect(machine.mm(machine.mmID(of: main)).executeOnlyPKey == 2)
    }

    /// Rows: mmap with PROT_READ|PROT_EXEC or PROT_WRITE|PROT_EXEC is on key 0; PROT_EXEC with
    /// MAP_SHARED|MAP_ANONYMOUS is `--xs` on the execute-only key.
    @Test(arguments: [
        (Protection([.read, .exec]), false, "[0,2)r-xp k0", "[0,2)r-xp k0"),
        (Protection([.write, .exec]), false, "[0,2)-wxp k0", "[0,2)-wxp k0"),
        (Protection.exec, true, "[0,2)--xs k1", "[0,2)--xs k0"),
    ])
    func mmapProtsAndTheirKeys(prot: Protection, shared: Bool, withPKU: String, withoutPKU: String) throws {
        for pku in [true, false] {
            var (machine, main) = Self.process(pku: pku)
            let base = try machine.mapAnon(main, pages: 2, prot: prot, shared: shared)
            #expect(Self.layout(machine, main, base, pages: 2) == (pku ? withPKU : withoutPKU))
        }
    }

    /// Row: a read through a key allocated with PKEY_DISABLE_ACCESS is SIGSEGV with SEGV_PKUERR.
    @Test func readThroughAnAccessDisabledKeyIsSEGVPKUERR() throws {
        var (machine, main) = Self.process(pku: true)
        let key = try machine.pkeyAlloc(main, flags: 0, accessRights: 1)
        let base = try machine.mapAnon(main, pages: 1)
        try machine.pkeyMprotect(main, base, pageBytes, prot: Self.readWrite, pkey: key)
        guard case .signal(let signal) = machine.access(main, base, .read) else {
            Issue.record("the read was not refused")
            return
        }
        #expect(signal.name == "SIGSEGV" && signal.code == "SEGV_PKUERR" && signal.address == base)
    }
}
