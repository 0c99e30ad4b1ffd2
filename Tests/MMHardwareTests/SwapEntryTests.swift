import MMHardware
import Testing

/// One swap type above `MAX_SWAPFILES` (numbering of include/linux/swap.h on x86-64).
struct SpecialSwapKindRow: Sendable, CustomTestStringConvertible {
    let kind: SwapEntryKind
    let type: UInt64
    let migration: Bool
    let devicePrivate: Bool
    let writable: Bool
    var testDescription: String { "\(kind) = \(type)" }

    static let all: [SpecialSwapKindRow] = [
        SpecialSwapKindRow(kind: .hwPoison, type: 24, migration: false, devicePrivate: false, writable: false),
        SpecialSwapKindRow(kind: .migrationRead, type: 25, migration: true, devicePrivate: false, writable: false),
        SpecialSwapKindRow(
            kind: .migrationReadExclusive, type: 26, migration: true, devicePrivate: false, writable: false),
        SpecialSwapKindRow(kind: .migrationWrite, type: 27, migration: true, devicePrivate: false, writable: true),
        SpecialSwapKindRow(kind: .deviceWrite, type: 28, migration: false, devicePrivate: true, writable: true),
        SpecialSwapKindRow(kind: .deviceRead, type: 29, migration: false, devicePrivate: true, writable: false),
        SpecialSwapKindRow(
            kind: .deviceExclusive, type: 30, migration: false, devicePrivate: false, writable: false),
        SpecialSwapKindRow(kind: .marker, type: 31, migration: false, devicePrivate: false, writable: false),
    ]
}

@Suite struct SwapEntryTests {
    static let offsetMask: UInt64 = (1 << 50) - 1
    static let offsets: [UInt64] = [0, 1, 0x1234, 0xDEAD_BEEF, (1 << 49) | 3, offsetMask - 1]

    @Test func maxSwapFilesIs24() {
        #expect(SwapEntryKind.maxSwapFiles == 24)
    }

    @Test(arguments: 0..<24)
    func swapTypeRoundTrip(_ type: Int) {
        let kind = SwapEntryKind.swap(type: type)
        #expect(kind.type == UInt64(type))
        #expect(SwapEntryKind(type: UInt64(type)) == kind)
        #expect(!kind.isMigration && !kind.isDevicePrivate && !kind.isWritable)
        for offset in Self.offsets {
            let entry = SwapEntry(kind: kind, offset: offset)
            let pte = entry.pte
            #expect(pte.rawValue >> 59 == UInt64(type))
            #expect(SwapEntry(pte: pte) == entry)
        }
    }

    @Test(arguments: SpecialSwapKindRow.all)
    func specialKindRoundTrip(_ row: SpecialSwapKindRow) {
        #expect(row.kind.type == row.type)
        #expect(SwapEntryKind(type: row.type) == row.kind)
        #expect(row.kind.isMigration == row.migration)
        #expect(row.kind.isDevicePrivate == row.devicePrivate)
        #expect(row.kind.isWritable == row.writable)
        for offset in Self.offsets {
            let entry = SwapEntry(kind: row.kind, offset: offset, softDirty: true, exclusive: true)
            let pte = entry.pte
            #expect(pte.rawValue >> 59 == row.type)
            #expect(SwapEntry(pte: pte) == entry)
        }
    }

    @Test func markerOffsetHoldsMarkerBits() {
        #expect(PTEMarker.uffdWP.rawValue == 1)
        #expect(PTEMarker.poisoned.rawValue == 2)
        #expect(PTEMarker.guardRegion.rawValue == 4)
        for marker: PTEMarker in [.uffdWP, .poisoned, .guardRegion, [.uffdWP, .guardRegion]] {
            let decoded = SwapEntry(pte: SwapEntry(kind: .marker, offset: marker.rawValue).pte)
            #expect(decoded?.kind == .marker)
            #expect(decoded.map { PTEMarker(rawValue: $0.offset) } == marker)
        }
    }

    @Test(arguments: offsets)
    func offsetIsStoredInvertedInBits9Through58(_ offset: UInt64) {
        let raw = SwapEntry(kind: .swap(type: 3), offset: offset).pte.rawValue
        #expect((raw >> 9) & Self.offsetMask == ~offset & Self.offsetMask)
        #expect(raw & 0x1FF == 0, "bits 0..8 hold no offset")
        #expect(raw >> 59 == 3)
    }

    @Test func offsetZeroSetsEveryOffsetBit() {
        let raw = SwapEntry(kind: .swap(type: 0), offset: 0).pte.rawValue
        #expect(raw == 0x07FF_FFFF_FFFF_FE00)
    }

    @Test func offsetIsTruncatedToFiftyBits() {
        let entry = SwapEntry(kind: .swap(type: 1), offset: (1 << 50) | 0x55)
        #expect(entry.offset == 0x55)
        #expect(SwapEntry(pte: entry.pte)?.offset == 0x55)
    }

    @Test func maximumOffsetRoundTripsWithANonzeroType() {
        let entry = SwapEntry(kind: .migrationWrite, offset: Self.offsetMask)
        #expect(entry.pte.rawValue == 27 << 59)
        #expect(SwapEntry(pte: entry.pte) == entry)
    }

    @Test func softDirtyUffdWPAndExclusiveAreBits1To3() {
        let base = SwapEntry(kind: .swap(type: 5), offset: 0x99)
        let softDirty = SwapEntry(kind: .swap(type: 5), offset: 0x99, softDirty: true)
        let uffdWP = SwapEntry(kind: .swap(type: 5), offset: 0x99, uffdWP: true)
        let exclusive = SwapEntry(kind: .swap(type: 5), offset: 0x99, exclusive: true)
        #expect(softDirty.pte.rawValue == base.pte.rawValue | 1 << 1)
        #expect(uffdWP.pte.rawValue == base.pte.rawValue | 1 << 2)
        #expect(exclusive.pte.rawValue == base.pte.rawValue | 1 << 3)
        #expect(base.pte.rawValue & 0xE == 0)

        #expect(SwapEntry(pte: softDirty.pte) == softDirty)
        #expect(SwapEntry(pte: uffdWP.pte) == uffdWP)
        #expect(SwapEntry(pte: exclusive.pte) == exclusive)
        let decoded = SwapEntry(pte: SwapEntry(kind: .deviceRead, offset: 1, softDirty: true, uffdWP: true).pte)
        #expect(decoded?.softDirty == true)
        #expect(decoded?.uffdWP == true)
        #expect(decoded?.exclusive == false)
    }

    @Test func encodedEntryIsNeitherPresentNorProtNoneNorNone() {
        var kinds = (0..<24).map { SwapEntryKind.swap(type: $0) }
        kinds += SpecialSwapKindRow.all.map(\.kind)
        for kind in kinds {
            for offset in Self.offsets {
                for bits in 0..<8 {
                    let pte = SwapEntry(
                        kind: kind, offset: offset, softDirty: bits & 1 != 0, uffdWP: bits & 2 != 0,
                        exclusive: bits & 4 != 0
                    ).pte
                    #expect(!pte.isPresent, "\(kind) \(offset)")
                    #expect(!pte.hardwarePresent, "\(kind) \(offset)")
                    #expect(!pte.isProtNone, "\(kind) \(offset)")
                    #expect(!pte.isNone, "\(kind) \(offset)")
                    #expect(pte.isSwap, "\(kind) \(offset)")
                    #expect(pte.rawValue & (1 << 0 | 1 << 7 | 1 << 8) == 0, "bits 0, 7 and 8 must be zero")
                }
            }
        }
    }

    @Test func nonSwapEntriesDoNotDecode() {
        #expect(SwapEntry(pte: .none) == nil)
        #expect(SwapEntry(pte: PTE(rawValue: 0x60)) == nil, "stray A/D is still none")
        #expect(SwapEntry(pte: PTE(pfn: PFN(5), flags: [.present, .user])) == nil)
        #expect(SwapEntry(pte: PTE(pfn: PFN(5), flags: [.protNone, .accessed])) == nil)
    }
}
