import MMHardware
import Testing

/// One row of the present-entry bit table (arch/x86/include/asm/pgtable_types.h; docs/kernel-model.md, "The bits").
struct PTEBitRow: Sendable, CustomTestStringConvertible {
    let name: String
    let flag: PTEFlags
    let bit: UInt64
    /// Whether `pte_modify()` keeps the bit (`_PAGE_CHG_MASK`).
    let keptByModify: Bool

    var testDescription: String { "\(name) (bit \(bit))" }

    /// One row per named `_PAGE_*` bit. PAT_LARGE (bit 12) overlaps the PFN field and has its own tests.
    static let all: [PTEBitRow] = [
        PTEBitRow(name: "P", flag: .present, bit: 0, keptByModify: false),
        PTEBitRow(name: "RW", flag: .writable, bit: 1, keptByModify: false),
        PTEBitRow(name: "U/S", flag: .user, bit: 2, keptByModify: false),
        PTEBitRow(name: "PWT", flag: .writeThrough, bit: 3, keptByModify: true),
        PTEBitRow(name: "PCD", flag: .cacheDisabled, bit: 4, keptByModify: true),
        PTEBitRow(name: "A", flag: .accessed, bit: 5, keptByModify: true),
        PTEBitRow(name: "D", flag: .dirty, bit: 6, keptByModify: true),
        PTEBitRow(name: "PAT/PSE", flag: .pse, bit: 7, keptByModify: true),
        PTEBitRow(name: "G", flag: .global, bit: 8, keptByModify: false),
        PTEBitRow(name: "PROTNONE", flag: .protNone, bit: 8, keptByModify: false),
        PTEBitRow(name: "SPECIAL", flag: .special, bit: 9, keptByModify: true),
        PTEBitRow(name: "UFFD_WP", flag: .uffdWP, bit: 10, keptByModify: true),
        PTEBitRow(name: "SOFT_DIRTY", flag: .softDirty, bit: 11, keptByModify: true),
        // SOFTW4 was _PAGE_DEVMAP, part of _COMMON_PAGE_CHG_MASK up to ~6.15 (the model's reference kernel).
        PTEBitRow(name: "SOFTW4", flag: .software4, bit: 57, keptByModify: true),
        PTEBitRow(name: "SAVED_DIRTY", flag: .savedDirty, bit: 58, keptByModify: true),
        PTEBitRow(name: "NX", flag: .noExecute, bit: 63, keptByModify: false),
    ]
}

@Suite struct PTEEncodingTests {
    static let pfn: UInt64 = 0xA_BCDE

    @Test(arguments: PTEBitRow.all)
    func flagHasItsSpecBit(_ row: PTEBitRow) {
        #expect(row.flag.rawValue == 1 << row.bit)
    }

    @Test(arguments: PTEBitRow.all)
    func encodeAndDecodeOneBit(_ row: PTEBitRow) {
        let pte = PTE(pfn: PFN(Self.pfn), flags: row.flag)
        #expect(pte.rawValue == (Self.pfn << 12) | (1 << row.bit))
        #expect(pte.pfn == PFN(Self.pfn))
        #expect(pte.flags == row.flag)
        #expect(pte.contains(row.flag))
        #expect(pte.clearing(row.flag) == PTE(pfn: PFN(Self.pfn), flags: []))
        #expect(PTE(pfn: PFN(Self.pfn), flags: []).setting(row.flag) == pte)
    }

    @Test func accessorsReadTheirOwnBitOnly() {
        let empty = PTE(pfn: PFN(Self.pfn), flags: [])
        #expect(!empty.hardwarePresent && !empty.isWritable && !empty.isAccessed && !empty.isDirty)
        #expect(!empty.isHuge && !empty.isSpecial && !empty.isNoExecute && empty.pkey == 0)

        #expect(PTE(pfn: PFN(1), flags: .present).hardwarePresent)
        #expect(PTE(pfn: PFN(1), flags: .writable).isWritable)
        #expect(PTE(pfn: PFN(1), flags: .accessed).isAccessed)
        #expect(PTE(pfn: PFN(1), flags: .dirty).isDirty)
        #expect(PTE(pfn: PFN(1), flags: .pse).isHuge)
        #expect(PTE(pfn: PFN(1), flags: .special).isSpecial)
        #expect(PTE(pfn: PFN(1), flags: .noExecute).isNoExecute)

        // Every other bit set: each accessor still reads false.
        let allButOne: (PTEFlags) -> PTE = { PTE(rawValue: UInt64.max & ~$0.rawValue) }
        #expect(!allButOne(.present).hardwarePresent)
        #expect(!allButOne(.writable).isWritable)
        #expect(!allButOne(.accessed).isAccessed)
        #expect(!allButOne(.dirty).isDirty)
        #expect(!allButOne(.pse).isHuge)
        #expect(!allButOne(.special).isSpecial)
        #expect(!allButOne(.noExecute).isNoExecute)
    }

    @Test func globalAndProtNoneAliasBit8() {
        #expect(PTEFlags.global == PTEFlags.protNone)
        let global = PTE(pfn: PFN(7), flags: [.present, .global])
        #expect(global.hardwarePresent && !global.isProtNone)
    }

    @Test func masksMatchSpec() {
        #expect(PTEFlags.pfnMask == 0x000F_FFFF_FFFF_F000)
        #expect(PTEFlags.pkeyMask.rawValue == 0x7800_0000_0000_0000)
        #expect(PTEFlags.pkeyShift == 59)
        #expect(PTEFlags.patLarge.rawValue == 1 << 12)
        #expect(PTEFlags.patLarge.rawValue & PTEFlags.pfnMask != 0, "PAT_LARGE overlaps PFN bit 0 of a 4 KiB entry")
    }

    @Test(arguments: 0...15)
    func pkeyRoundTrip(_ key: Int) {
        let flags: PTEFlags = [.present, .user, PTEFlags(rawValue: UInt64(key) << 59)]
        let pte = PTE(pfn: PFN(Self.pfn), flags: flags)
        #expect(pte.pkey == key)
        #expect(pte.rawValue >> 59 & 0xF == UInt64(key))
        #expect(pte.pfn == PFN(Self.pfn))
        #expect(!pte.isNoExecute, "pkey bits must not reach NX")
        #expect(pte.flags.subtracting(.pkeyMask) == [.present, .user])

        let withNX = pte.setting(.noExecute)
        #expect(withNX.pkey == key)
        #expect(withNX.isNoExecute)
    }

    @Test(arguments: [0, 1, 0x1234, 0xABC_DEF0, 0x80_0000_0000, 0xFF_FFFF_FFFF] as [UInt64])
    func pfnRoundTrip(_ pfn: UInt64) {
        let pte = PTE(pfn: PFN(pfn), flags: [.present, .writable, .user, .noExecute])
        #expect(pte.pfn == PFN(pfn))
        #expect(pte.rawValue & PTEFlags.pfnMask == pfn << 12)
        #expect(pte.flags == [.present, .writable, .user, .noExecute])

        // Every flag bit set around the PFN does not disturb it.
        let full = PTE(pfn: PFN(pfn), flags: PTEFlags(rawValue: ~PTEFlags.pfnMask))
        #expect(full.pfn == PFN(pfn))
        #expect(full.flags.rawValue == ~PTEFlags.pfnMask)
    }

    @Test func maxPFNFillsExactlyTheFortyBitField() {
        let maxPFN: UInt64 = (1 << 40) - 1
        #expect(PTE(pfn: PFN(maxPFN), flags: []).rawValue == PTEFlags.pfnMask)
        // A PFN wider than 40 bits is truncated; it never spills into bit 52 and above.
        let wide = PTE(pfn: PFN((1 << 44) | 5), flags: [])
        #expect(wide.pfn == PFN(5))
        #expect(wide.rawValue == 5 << 12)
    }

    @Test func pfnBitsInFlagsAreIgnored() {
        let flags = PTEFlags(rawValue: 0x0000_0123_4567_8000 | PTEFlags.present.rawValue)
        let pte = PTE(pfn: PFN(0x42), flags: flags)
        #expect(pte.pfn == PFN(0x42))
        #expect(pte.rawValue == 0x42_001)
        #expect(flags.withoutPFN == .present)
    }

    @Test func patLargeReadsBackWhenSetOnAHugeEntry() {
        let pmd = PTE(pfn: PFN(0x200), flags: [.present, .user, .pse]).setting(.patLarge)
        #expect(pmd.contains(.patLarge))
        #expect(pmd.rawValue == 0x200_000 | 0x1000 | 0x85)
    }

    @Test()
    func patLargeSurvivesEncodingOfAHugeEntry() {
        let pmd = PTE(pfn: PFN(0x200), flags: [.present, .user, .pse, .patLarge])
        #expect(pmd.contains(.patLarge))
        #expect(pmd.hugePFN == PFN(0x200))
    }
}

@Suite struct PTEPresenceTests {
    @Test func noneIgnoresStrayAccessedAndDirty() {
        #expect(PTE.none.isNone)
        #expect(PTE.none.rawValue == 0)
        #expect(PTE(rawValue: PTEFlags.accessed.rawValue).isNone)
        #expect(PTE(rawValue: PTEFlags.dirty.rawValue).isNone)
        #expect(PTE(rawValue: PTEFlags.accessed.rawValue | PTEFlags.dirty.rawValue).isNone)
    }

    @Test(arguments: [0, 1, 2, 3, 4, 7, 8, 9, 10, 11, 12, 40, 51, 57, 58, 59, 63] as [UInt64])
    func anyOtherBitIsNotNone(_ bit: UInt64) {
        #expect(!PTE(rawValue: 1 << bit).isNone)
        #expect(!PTE(rawValue: 1 << bit | 0x60).isNone)
    }

    struct PresenceRow: Sendable, CustomTestStringConvertible {
        let name: String
        let raw: UInt64
        let hardwarePresent: Bool
        let protNone: Bool
        let present: Bool
        let swap: Bool
        var testDescription: String { name }
    }

    static let presenceRows: [PresenceRow] = [
        PresenceRow(name: "none", raw: 0, hardwarePresent: false, protNone: false, present: false, swap: false),
        PresenceRow(
            name: "stray A/D", raw: 0x60, hardwarePresent: false, protNone: false, present: false, swap: false),
        PresenceRow(
            name: "P U", raw: 0x1234_005, hardwarePresent: true, protNone: false, present: true, swap: false),
        PresenceRow(
            name: "P G", raw: 0x1234_101, hardwarePresent: true, protNone: false, present: true, swap: false),
        PresenceRow(
            name: "PAGE_NONE (PROTNONE A)", raw: 0x1234_120, hardwarePresent: false, protNone: true, present: true,
            swap: false),
        PresenceRow(
            name: "PROTNONE only", raw: 0x100, hardwarePresent: false, protNone: true, present: true, swap: false),
        PresenceRow(
            name: "swap-like (bit 1, offset)", raw: 0x7FFE_0002, hardwarePresent: false, protNone: false,
            present: false, swap: true),
        PresenceRow(
            name: "NX only", raw: 1 << 63, hardwarePresent: false, protNone: false, present: false, swap: true),
    ]

    @Test(arguments: presenceRows)
    func presentVersusHardwarePresentVersusProtNone(_ row: PresenceRow) {
        let pte = PTE(rawValue: row.raw)
        #expect(pte.hardwarePresent == row.hardwarePresent)
        #expect(pte.isProtNone == row.protNone)
        #expect(pte.isPresent == row.present)
        #expect(pte.isSwap == row.swap)
    }
}

@Suite struct PTEModifyTests {
    /// `_PAGE_CHG_MASK` of arch/x86/include/asm/pgtable_types.h in 6.18: PFN, PWT, PCD, A, D, PAT (bit 7), SPECIAL,
    /// UFFD_WP, SOFT_DIRTY, SAVED_DIRTY, plus SOFTW4 (`_PAGE_DEVMAP` up to ~6.15).
    static let chgMask: UInt64 = 0x060F_FFFF_FFFF_FEF8

    @Test func chgMaskConstantIsTheSpecList() {
        let bits: [PTEFlags] = [
            .writeThrough, .cacheDisabled, .accessed, .dirty, .pse, .special, .uffdWP, .softDirty, .software4,
            .savedDirty,
        ]
        let built = bits.reduce(PTEFlags.pfnMask) { $0 | $1.rawValue }
        #expect(built == Self.chgMask)
        // What comes from the new protection: P, RW, U, G/PROTNONE, pkey, NX and the unused bits 52..56.
        #expect(~Self.chgMask == 0xF9F0_0000_0000_0107)
    }

    @Test func keepsExactlyTheChgMaskOfA4KEntry() {
        let old4K = PTE(rawValue: UInt64.max & ~PTEFlags.pse.rawValue)
        #expect(old4K.modified(to: []).rawValue == Self.chgMask & ~PTEFlags.pse.rawValue)
        // With PAT (bit 7 of a 4 KiB PTE) set it is kept too.
        #expect(PTE(rawValue: UInt64.max).modified(to: []).rawValue == Self.chgMask)
    }

    @Test func takesExactlyTheRestFromTheNewProtection() {
        let everything = PTEFlags(rawValue: UInt64.max)
        #expect(PTE.none.modified(to: everything).rawValue == ~Self.chgMask)
        // A huge entry takes the same bits from the new protection.
        let huge = PTE(rawValue: PTEFlags.pse.rawValue)
        #expect(huge.modified(to: everything).rawValue == ~Self.chgMask | PTEFlags.pse.rawValue)
    }

    @Test(arguments: PTEBitRow.all)
    func oneOldBitIsKeptOnlyIfInChgMask(_ row: PTEBitRow) {
        let old = PTE(pfn: PFN(0x1234), flags: row.flag)
        let result = old.modified(to: [])
        #expect(result.contains(row.flag) == row.keptByModify)
        #expect(result.pfn == PFN(0x1234))
    }

    @Test(arguments: PTEBitRow.all)
    func oneNewBitIsTakenOnlyIfOutsideChgMask(_ row: PTEBitRow) {
        for old in [PTE(pfn: PFN(0x1234), flags: []), PTE(pfn: PFN(0x1200), flags: .pse)] {
            let result = old.modified(to: row.flag)
            #expect(result.contains(row.flag) == (!row.keptByModify || old.contains(row.flag)))
            #expect(result.rawValue & PTEFlags.pfnMask == old.rawValue & PTEFlags.pfnMask)
        }
    }

    @Test func newProtectionPFNBitsNeverReachTheEntry() {
        let old = PTE(pfn: PFN(0x1234), flags: [.present, .user])
        let result = old.modified(to: PTEFlags(rawValue: PTEFlags.pfnMask | PTEFlags.present.rawValue))
        #expect(result.pfn == PFN(0x1234))
        #expect(result.rawValue == 0x1234_001)
    }

    @Test func readWriteToReadOnlyKeepsDirtyAndSoftwareBits() {
        // mprotect(PROT_READ) on a dirty, soft-dirty, uffd-wp, special RW page: PAGE_READONLY = P U A NX.
        let old = PTE(
            pfn: PFN(0xBEEF), flags: [.present, .writable, .user, .accessed, .dirty, .softDirty, .uffdWP, .special])
        let result = old.modified(to: [.present, .user, .accessed, .noExecute])
        #expect(
            result
                == PTE(
                    pfn: PFN(0xBEEF),
                    flags: [.present, .user, .accessed, .dirty, .softDirty, .uffdWP, .special, .noExecute]))
        #expect(!result.isWritable)
    }

    @Test func toProtNoneAndBack() {
        let old = PTE(pfn: PFN(0x77), flags: [.present, .writable, .user, .accessed, .dirty])
        let none = old.modified(to: [.protNone, .accessed])
        #expect(none.isProtNone)
        #expect(none.isPresent)
        #expect(!none.hardwarePresent)
        #expect(!none.isWritable)
        #expect(none.isDirty)
        #expect(none.pfn == PFN(0x77))

        let back = none.modified(to: [.present, .writable, .user, .accessed])
        #expect(back == old)
    }

    @Test func pkeyComesFromTheNewProtection() {
        let old = PTE(pfn: PFN(9), flags: [.present, .user, PTEFlags(rawValue: 5 << 59)])
        #expect(old.modified(to: [.present, .user, PTEFlags(rawValue: 9 << 59)]).pkey == 9)
        #expect(old.modified(to: [.present, .user]).pkey == 0)
    }

    @Test func execPermissionComesFromTheNewProtection() {
        let old = PTE(pfn: PFN(9), flags: [.present, .user, .accessed, .noExecute])
        #expect(!old.modified(to: [.present, .user, .accessed]).isNoExecute)
        #expect(PTE(pfn: PFN(9), flags: .present).modified(to: [.present, .noExecute]).isNoExecute)
    }

    @Test func newProtectionCannotSetPATOnA4KEntry() {
        let old = PTE(pfn: PFN(9), flags: [.present, .user])
        #expect(!old.modified(to: [.present, .user, .pse]).contains(.pse))
    }

    @Test func hugeEntryKeepsPSEAndPATLarge() {
        let old = PTE(pfn: PFN(0x400), flags: [.present, .writable, .user, .accessed, .dirty, .pse])
            .setting(.patLarge)
        let result = old.modified(to: [.present, .user, .accessed, .noExecute])
        #expect(result.isHuge)
        #expect(result.contains(.patLarge))
        #expect(result.rawValue == 0x400_000 | 0x1000 | 0x80 | 0x65 | (1 << 63) as UInt64)
    }

    @Test func hugeEntryToProtNoneKeepsPSE() {
        let old = PTE(pfn: PFN(0x400), flags: [.present, .writable, .user, .accessed, .pse])
        let result = old.modified(to: [.protNone, .accessed])
        #expect(result.isHuge)
        #expect(result.isProtNone)
        #expect(result.pfn == PFN(0x400))
    }
}

@Suite struct PTEDescriptionTests {
    @Test func describesNonePresentAndSwapEntries() {
        #expect(PTE.none.description == "none")
        #expect(PTE(pfn: PFN(0x1a2b), flags: [.present, .writable, .user]).description == "pfn:1a2b [P RW U]")
        let protNone = PTE(pfn: PFN(3), flags: [.protNone, .accessed])
        #expect(protNone.description == "pfn:3 [A PROTNONE]")
        let keyed = PTE(pfn: PFN(3), flags: [.present, .global, .noExecute, PTEFlags(rawValue: 4 << 59)])
        #expect(keyed.description == "pfn:3 [P G NX pkey=4]")
        let swap = SwapEntry(kind: .swap(type: 2), offset: 17, uffdWP: true).pte
        #expect(swap.description == "swap(swap(type: 2), offset: 17, uffd-wp)")
    }
}
