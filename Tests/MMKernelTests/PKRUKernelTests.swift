import MMHardware
import MMKernel
import MMTestSupport
import Testing

/// The kernel's side of PKRU: each thread's value, what sets it (pkey_alloc, the execute-only key, WRPKRU, fork,
/// exec), the context switch that loads it, and the faults it causes.
@Suite struct PKRUKernelTests {
    static let initPKRU: UInt32 = 0x5555_5554
    static let readWrite = Protection([.read, .write]).rawValue

    /// The signal `result` carries, or nil.
    static func signal(_ result: AccessResult) -> Signal? {
        if case .signal(let signal) = result { return signal }
        return nil
    }

    // MARK: Where a thread's PKRU comes from

    /// Rows: (pku, the PKRU of a new process and of its CPU).
    @Test(arguments: [(true, UInt32(0x5555_5554)), (false, UInt32(0))])
    func newProcessStartsWithTheDefault(pku: Bool, expected: UInt32) {
        let (machine, main) = makeProcess { $0.pku = pku }
        #expect(machine.pkru(main) == expected)
        #expect(machine.cpus[0].pkru == expected && machine.cpus[1].pkru == expected)
        #expect(machine.cpus[0].protectionKeysEnabled == pku)
    }

    @Test func pkeyAllocSetsTheCallersRightsOnly() throws {
        var (machine, main) = makeProcess { $0.pku = true }
        let other = machine.createThread(name: "other", mm: machine.mmID(of: main), cpu: CPUID(1), parent: main)
        #expect(try machine.pkeyAlloc(main, flags: 0, accessRights: 0) == 1)
        #expect(machine.pkru(main) == Self.initPKRU & ~PKRU.accessDisable(1))
        #expect(try machine.pkeyAlloc(main, flags: 0, accessRights: 2) == 2)
        #expect(machine.pkru(main) == Self.initPKRU & ~PKRU.accessDisable(1) & ~PKRU.accessDisable(2) | 0x20)
        #expect(try machine.pkeyAlloc(main, flags: 0, accessRights: 3) == 3)
        #expect(machine.pkru(main) & 0xC0 == 0xC0)
        #expect(machine.cpus[0].pkru == machine.pkru(main))
        #expect(machine.pkru(other) == Self.initPKRU)
    }

    @Test func writePKRUIsTheThreadsOwnAndLoadedOnItsCPU() {
        var (machine, main) = makeProcess { $0.pku = true }
        let other = machine.createThread(name: "other", mm: machine.mmID(of: main), cpu: CPUID(0), parent: main)
        machine.writePKRU(main, 0x4)
        #expect(machine.pkru(main) == 0x4 && machine.cpus[0].pkru == 0x4)
        // Another thread on the same CPU: the switch loads its value, and switching back restores the first one.
        machine.schedule(other)
        #expect(machine.cpus[0].pkru == Self.initPKRU)
        machine.writePKRU(other, 0x10)
        machine.schedule(main)
        #expect(machine.cpus[0].pkru == 0x4)
        #expect(machine.pkru(other) == 0x10)
        machine.idle(cpu: CPUID(0))
        #expect(machine.cpus[0].pkru == Self.initPKRU)
    }

    @Test func writePKRUWithoutPKUChangesNothing() {
        var (machine, main) = makeProcess { $0.pku = false }
        machine.writePKRU(main, 0xC)
        #expect(machine.pkru(main) == 0 && machine.cpus[0].pkru == 0)
    }

    @Test func cloneAndForkCopyTheCallersPKRUExecResetsIt() throws {
        var (machine, main) = makeProcess { $0.pku = true }
        machine.writePKRU(main, 0x3C)
        let thread = machine.createThread(name: "t", mm: machine.mmID(of: main), cpu: CPUID(1), parent: main)
        #expect(machine.pkru(thread) == 0x3C)
        let child = try machine.fork(main, childName: "child", cpu: CPUID(1))
        #expect(machine.pkru(child) == 0x3C)
        try machine.exec(child, argumentPages: 1)
        #expect(machine.pkru(child) == Self.initPKRU)
        #expect(machine.cpus[1].pkru == Self.initPKRU)
        #expect(machine.pkru(main) == 0x3C)
    }

    // MARK: The execute-only key and the caller's PKRU

    @Test func executeOnlyKeyIsAccessDisabledForTheCaller() throws {
        var (machine, main) = makeProcess { $0.pku = true }
        machine.writePKRU(main, 0)
        _ = try machine.mapAnon(main, pages: 1, prot: .exec)
        #expect(machine.pkru(main) == PKRU.accessDisable(1))
    }

    @Test func executeOnlyKeyReplacesAWriteDisableWithAccessDisable() throws {
        var (machine, main) = makeProcess { $0.pku = true }
        machine.writePKRU(main, PKRU.writeDisable(1))
        _ = try machine.mapAnon(main, pages: 1, prot: .exec)
        #expect(machine.pkru(main) == PKRU.accessDisable(1))
    }

    /// `__execute_only_pkey()` does not allocate the key twice, and leaves PKRU alone when it already refuses reads.
    @Test func executeOnlyKeyIsAllocatedOnceAndPKRUSetOnlyWhenReadable() throws {
        var (machine, main) = makeProcess { $0.pku = true }
        let other = machine.createThread(name: "other", mm: machine.mmID(of: main), cpu: CPUID(1), parent: main)
        _ = try machine.mapAnon(main, pages: 1, prot: .exec)
        let map = machine.mm(machine.mmID(of: main)).pkeyAllocationMap
        // The other thread already refuses key 1 (the default does); its WD bit shows PKRU was not rewritten.
        machine.writePKRU(other, Self.initPKRU | PKRU.writeDisable(1))
        _ = try machine.mapAnon(other, pages: 1, prot: .exec)
        #expect(machine.pkru(other) == Self.initPKRU | PKRU.writeDisable(1))
        #expect(machine.mm(machine.mmID(of: main)).pkeyAllocationMap == map)
        // Once the caller opens the key again, the next execute-only mapping closes it.
        machine.writePKRU(main, 0)
        _ = try machine.mapAnon(main, pages: 1, prot: .exec)
        #expect(machine.pkru(main) == PKRU.accessDisable(1))
        #expect(machine.mm(machine.mmID(of: main)).executeOnlyPKey == 1)
    }

    @Test func mmapKeepsTheExecuteOnlyKeyWhenTheCallFailsLater() throws {
        var (machine, main) = makeProcess { $0.pku = true }
        let file = machine.createFile(name: "ro", sizePages: 1, readable: false)
        #expect(throws: KernelErrno.EACCES) {
            try machine.mapFile(main, file, pages: 1, prot: .exec, shared: false)
        }
        #expect(machine.mm(machine.mmID(of: main)).executeOnlyPKey == 1)
    }

    // MARK: Faults

    /// Rows: (pku, what a read of a PROT_EXEC-only mapping gives): with PKU the execute-only key refuses it; without,
    /// x86 cannot express execute-only and the read succeeds.
    @Test(arguments: [(true, "SEGV_PKUERR"), (false, nil)])
    func readingExecuteOnlyMemory(pku: Bool, code: String?) throws {
        var (machine, main) = makeProcess { $0.pku = pku }
        let base = try machine.mapAnon(main, pages: 2, prot: .exec)
        // Not present: access_error() refuses it from the VMA's key.
        #expect(Self.signal(machine.access(main, base, .read))?.code == code)
        // An instruction fetch ignores PKRU and maps the page; a read then faults in hardware (X86_PF_PK).
        #expect(machine.access(main, base + pageBytes, .execute) == .value(0))
        machine.clearTrace()
        #expect(Self.signal(machine.access(main, base + pageBytes, .read))?.code == code)
        if pku {
            #expect(machine.faultResolutions == [.segvPKeyError])
            let errors = machine.trace.compactMap { event -> PageFaultError? in
                if case .pageFault(_, _, _, let error, _) = event { return error }
                return nil
            }
            #expect(errors == [[.protection, .user, .protectionKey]])
        }
    }

    @Test func presentPageRefusedAfterWRPKRUWithoutAnyFlush() throws {
        var (machine, main) = makeProcess { $0.pku = true }
        let key = try machine.pkeyAlloc(main, flags: 0, accessRights: 0)
        let base = try machine.mapAnon(main, pages: 1)
        try machine.pkeyMprotect(main, base, pageBytes, prot: Self.readWrite, pkey: key)
        #expect(machine.access(main, base, .write, value: 7) == .value(7))
        let flushes = machine.cpus[0].counters.invlpg + machine.cpus[0].counters.fullFlushes
        machine.writePKRU(main, Self.initPKRU)
        #expect(Self.signal(machine.access(main, base, .read))?.code == "SEGV_PKUERR")
        machine.writePKRU(main, Self.initPKRU & ~PKRU.accessDisable(key) | PKRU.writeDisable(key))
        #expect(machine.access(main, base, .read) == .value(7))
        #expect(Self.signal(machine.access(main, base, .write, value: 8))?.code == "SEGV_PKUERR")
        machine.writePKRU(main, 0)
        #expect(machine.access(main, base, .write, value: 9) == .value(9))
        #expect(machine.cpus[0].counters.invlpg + machine.cpus[0].counters.fullFlushes == flushes)
    }

    /// A write-disabled key refuses even the first write of a private page (no COW happens).
    @Test func writeDisabledKeyRefusesTheCOWWrite() throws {
        var (machine, main) = makeProcess { $0.pku = true }
        let key = try machine.pkeyAlloc(main, flags: 0, accessRights: 2)
        let base = try machine.mapAnon(main, pages: 1)
        try machine.pkeyMprotect(main, base, pageBytes, prot: Self.readWrite, pkey: key)
        #expect(machine.access(main, base, .read) == .value(0))
        #expect(Self.signal(machine.access(main, base, .write, value: 1))?.code == "SEGV_PKUERR")
        #expect(!machine.leaf(main, base).entry.isWritable)
    }

    /// Rows: (pku, si_code of a read of a PROT_NONE page on a key PKRU refuses): the key is checked first.
    @Test(arguments: [(true, "SEGV_PKUERR"), (false, "SEGV_ACCERR")])
    func protNoneOnARefusedKey(pku: Bool, code: String) throws {
        var (machine, main) = makeProcess { $0.pku = pku }
        let base = try machine.mapAnon(main, pages: 1, prot: .none)
        if pku {
            let key = try machine.pkeyAlloc(main, flags: 0, accessRights: 1)
            try machine.pkeyMprotect(main, base, pageBytes, prot: 0, pkey: key)
        }
        #expect(Self.signal(machine.access(main, base, .read))?.code == code)
    }

    @Test func anotherThreadsPKRUDoesNotApply() throws {
        var (machine, main) = makeProcess { $0.pku = true }
        let other = machine.createThread(name: "other", mm: machine.mmID(of: main), cpu: CPUID(1), parent: main)
        let key = try machine.pkeyAlloc(main, flags: 0, accessRights: 0)
        let base = try machine.mapAnon(main, pages: 1)
        try machine.pkeyMprotect(main, base, pageBytes, prot: Self.readWrite, pkey: key)
        #expect(machine.access(main, base, .write, value: 5) == .value(5))
        // The other thread still has the default PKRU, which refuses the key.
        #expect(Self.signal(machine.access(other, base, .read))?.code == "SEGV_PKUERR")
        #expect(machine.access(main, base, .read) == .value(5))
    }

    /// Rows: (pku, pages MAP_POPULATE maps for a PROT_EXEC mapping): with PKU, GUP's `check_vma_flags()` refuses the
    /// execute-only key the caller just closed, so nothing is populated.
    @Test(arguments: [(true, 0), (false, 2)])
    func populateOfExecuteOnlyMemory(pku: Bool, populated: Int) throws {
        var (machine, main) = makeProcess { $0.pku = pku }
        let base = try machine.mapAnon(main, pages: 2, prot: .exec, extraFlags: .populate)
        let present = (0..<2).filter { machine.leaf(main, base + UInt64($0) * pageBytes).entry.isPresent }
        #expect(present.count == populated)
    }

    /// exec's argument copy goes through `get_user_pages_remote()`, which PKRU does not restrict: a thread that
    /// closed key 0 can still exec, and the new program starts with the default PKRU.
    @Test func execCopiesArgumentsWhateverThePKRU() throws {
        var (machine, main) = makeProcess { $0.pku = true }
        machine.writePKRU(main, 0xFFFF_FFFF)
        let stack = try machine.exec(main, argumentPages: 2)
        #expect(machine.pkru(main) == Self.initPKRU)
        #expect(machine.access(main, stack.end - pageBytes, .read) == .value(0xA6A6_0000))
    }
}
