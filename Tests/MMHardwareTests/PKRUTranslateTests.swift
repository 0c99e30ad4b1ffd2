import MMHardware
import Testing

/// Protection keys in the MMU: PKRU is checked at every user data access, from a TLB hit as from a walk, and a
/// change of PKRU takes effect at once without any invalidation.
@Suite struct PKRUTranslateTests {
    static let address: UInt64 = 0x0000_7f12_3456_7000
    static let pfn: UInt64 = 0x1234
    /// The fault a read refused by PKRU raises: `X86_PF_PROT|X86_PF_USER|X86_PF_PK`.
    static let readPK: PageFaultError = [.protection, .user, .protectionKey]
    /// The fault a write refused by PKRU raises: `X86_PF_PROT|X86_PF_WRITE|X86_PF_USER|X86_PF_PK`.
    static let writePK: PageFaultError = [.protection, .write, .user, .protectionKey]

    /// The PTE bits naming protection key `key`.
    static func keyBits(_ key: Int) -> PTEFlags { PTEFlags(rawValue: UInt64(key) << PTEFlags.pkeyShift) }

    /// A CPU with CR4.PKE as given and PKRU `pkru`, running a space where `address` maps read-write on `key`.
    static func machine(
        key: Int = 1, pkru: UInt32 = 0, pke: Bool = true, flags: PTEFlags = TestAddressSpace.userRW
    ) -> (CPU, TestAddressSpace) {
        var space = TestAddressSpace()
        space.map4K(address, pfn: pfn, flags: flags.union(keyBits(key)))
        var cpu = CPU(id: CPUID(0), protectionKeys: pke)
        cpu.writePKRU(pkru)
        cpu.loadCR3(root: space.root, pcid: 1, noFlush: false)
        cpu.counters = CPUCounters()
        return (cpu, space)
    }

    // MARK: The register

    @Test(arguments: 0..<16)
    func bitsOfAKey(_ key: Int) {
        #expect(PKRU.accessDisable(key) == UInt32(1) << UInt32(2 * key))
        #expect(PKRU.writeDisable(key) == UInt32(1) << UInt32(2 * key + 1))
    }

    /// Rows: rights bits of the key (AD 1, WD 2), whether a read and a write pass.
    @Test(arguments: [(UInt32(0), true, true), (1, false, false), (2, true, false), (3, false, false)])
    func rightsOfTheTwoBits(_ bits: UInt32, _ read: Bool, _ write: Bool) {
        let value = bits << 14
        #expect(PKRU.permits(value, key: 7, write: false) == read)
        #expect(PKRU.permits(value, key: 7, write: true) == write)
        #expect(PKRU.permits(value, key: 6, write: true))
        #expect(PKRU.permits(value, key: 8, write: true))
    }

    @Test func wrpkruNeedsCR4PKE() {
        var cpu = CPU(id: CPUID(0))
        #expect(!cpu.protectionKeysEnabled)
        let refused = cpu.writePKRU(0x5555_5554)
        #expect(!refused)
        #expect(cpu.pkru == 0)
        cpu.setProtectionKeys(enabled: true)
        let written = cpu.writePKRU(0x5555_5554)
        #expect(written)
        #expect(cpu.pkru == 0x5555_5554)
    }

    // MARK: The check after a walk

    @Test func walkedReadOnADisabledKeyFaultsWithPK() {
        var (cpu, space) = Self.machine(pkru: PKRU.accessDisable(1))
        space.clearAccessedAndDirty(Self.address)
        #expect(cpu.translate(Self.address, .read, tables: &space.tables) == .fault(Self.readPK))
        #expect(cpu.counters.walks == 1 && cpu.counters.pageFaults == 1)
        // The faulting walk changes nothing: no A bit, no TLB entry.
        #expect(!space.entry(Self.address, level: 1).isAccessed)
        #expect(cpu.tlb.entries.isEmpty)
    }

    @Test func walkedWriteOnAWriteDisabledKeyFaultsAndReadPasses() {
        var (cpu, space) = Self.machine(pkru: PKRU.writeDisable(1))
        space.clearAccessedAndDirty(Self.address)
        #expect(cpu.translate(Self.address, .write, tables: &space.tables) == .fault(Self.writePK))
        #expect(!space.entry(Self.address, level: 1).isDirty)
        #expect(cpu.translate(Self.address, .read, tables: &space.tables) == .frame(PFN(Self.pfn)))
    }

    @Test func writeToAReadOnlyPageOnAWriteDisabledKeyCarriesBothCauses() {
        var (cpu, space) = Self.machine(pkru: PKRU.writeDisable(1), flags: TestAddressSpace.userRO)
        #expect(cpu.translate(Self.address, .write, tables: &space.tables) == .fault(Self.writePK))
        #expect(PageFaultError(rawValue: 0x27) == Self.writePK)
    }

    @Test func otherKeysAreNotRestricted() {
        var (cpu, space) = Self.machine(key: 0, pkru: 0x5555_5554)
        #expect(cpu.translate(Self.address, .write, tables: &space.tables) == .frame(PFN(Self.pfn)))
        space.update(Self.address) { $0.clearing(PTEFlags.pkeyMask).setting(Self.keyBits(1)) }
        cpu.invlpg(Self.address)
        #expect(cpu.translate(Self.address, .read, tables: &space.tables) == .fault(Self.readPK))
    }

    @Test(arguments: [UInt32(0xFFFF_FFFF), PKRU.accessDisable(1), PKRU.writeDisable(1)])
    func instructionFetchesIgnorePKRU(_ pkru: UInt32) {
        var (cpu, space) = Self.machine(pkru: pkru, flags: TestAddressSpace.userRO)
        #expect(cpu.translate(Self.address, .execute, tables: &space.tables) == .frame(PFN(Self.pfn)))
        #expect(cpu.translate(Self.address, .execute, tables: &space.tables) == .frame(PFN(Self.pfn)))
        #expect(cpu.counters.l1Hits == 1)
    }

    @Test func supervisorPagesAreNotKeyChecked() {
        var (cpu, space) = Self.machine(pkru: PKRU.accessDisable(1), flags: [.present, .writable])
        #expect(cpu.translate(Self.address, .read, tables: &space.tables) == .fault([.protection, .user]))
    }

    @Test func keysAreIgnoredWithoutCR4PKE() {
        var (cpu, space) = Self.machine(pkru: PKRU.accessDisable(1))
        cpu.setProtectionKeys(enabled: false)
        #expect(cpu.translate(Self.address, .write, tables: &space.tables) == .frame(PFN(Self.pfn)))
        #expect(cpu.translate(Self.address, .read, tables: &space.tables) == .frame(PFN(Self.pfn)))
        #expect(cpu.counters.l1Hits == 1 && cpu.counters.pageFaults == 0)
    }

    // MARK: The TLB keeps the key

    @Test func tlbEntriesCacheTheKeyOfTheLeaf() {
        var (cpu, space) = Self.machine(key: 5)
        let huge: UInt64 = 0x0000_7f00_0060_0000
        space.map2M(huge, pfn: 0x3400, flags: TestAddressSpace.userRW.union(Self.keyBits(3)))
        _ = cpu.translate(Self.address, .read, tables: &space.tables)
        _ = cpu.translate(huge + 0x5000, .read, tables: &space.tables)
        let keys = Dictionary(uniqueKeysWithValues: cpu.tlb.entries.map { ($0.vpn, $0.pkey) })
        #expect(keys == [Self.address >> 12: 5, huge >> 12: 3])
    }

    @Test func tlbHitIsCheckedAgainstTheCurrentPKRUWithoutAFlush() {
        var (cpu, space) = Self.machine()
        #expect(cpu.translate(Self.address, .read, tables: &space.tables) == .frame(PFN(Self.pfn)))
        // WRPKRU revokes: the cached translation is refused at once, without a walk and with no INVLPG.
        cpu.writePKRU(PKRU.accessDisable(1))
        #expect(cpu.translate(Self.address, .read, tables: &space.tables) == .fault(Self.readPK))
        #expect(cpu.counters.walks == 1 && cpu.counters.invlpg == 0 && cpu.counters.fullFlushes == 0)
        #expect(cpu.counters.pageFaults == 1)
    }

    @Test func writeDisableRefusesAWriteThroughACachedDirtyEntry() {
        var (cpu, space) = Self.machine()
        #expect(cpu.translate(Self.address, .write, tables: &space.tables) == .frame(PFN(Self.pfn)))
        cpu.writePKRU(PKRU.writeDisable(1))
        #expect(cpu.translate(Self.address, .read, tables: &space.tables) == .frame(PFN(Self.pfn)))
        #expect(cpu.translate(Self.address, .write, tables: &space.tables) == .fault(Self.writePK))
        #expect(cpu.counters.walks == 1 && cpu.counters.l1Hits == 1)
    }

    @Test func grantingNeedsNoFlushEither() {
        // An instruction fetch caches the translation while PKRU refuses reads; opening the key lets the next read
        // use that very entry.
        var (cpu, space) = Self.machine(pkru: PKRU.accessDisable(1), flags: TestAddressSpace.userRO)
        #expect(cpu.translate(Self.address, .execute, tables: &space.tables) == .frame(PFN(Self.pfn)))
        cpu.writePKRU(0)
        #expect(cpu.translate(Self.address, .read, tables: &space.tables) == .frame(PFN(Self.pfn)))
        #expect(cpu.counters.walks == 1 && cpu.counters.l1Hits == 1)
        #expect(cpu.counters.invlpg == 0 && cpu.counters.fullFlushes == 0 && cpu.counters.cr3Loads == 0)
    }

    @Test func aKeyFaultDropsTheEntryLikeAnyFault() {
        var (cpu, space) = Self.machine()
        _ = cpu.translate(Self.address, .read, tables: &space.tables)
        cpu.writePKRU(PKRU.accessDisable(1))
        _ = cpu.translate(Self.address, .read, tables: &space.tables)
        #expect(cpu.tlb.entries.isEmpty)
        cpu.writePKRU(0)
        #expect(cpu.translate(Self.address, .read, tables: &space.tables) == .frame(PFN(Self.pfn)))
        #expect(cpu.counters.walks == 2)
    }

    @Test func errorCodeNamesPK() {
        #expect(PageFaultError(rawValue: 0x25) == Self.readPK)
        #expect(Self.readPK.description == "#PF(0x25 PROT|USER|PK)")
    }
}
