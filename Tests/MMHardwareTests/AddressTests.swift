import MMHardware
import Testing

@Suite struct AddressTests {
    @Test func geometryConstantsMatchSpec() {
        #expect(PageGeometry.pageSize == 4096)
        #expect(PageGeometry.pmdSize == 2 << 20)
        #expect(PageGeometry.pudSize == 1 << 30)
        #expect(PageGeometry.pgdirShift == 39)
        #expect(PageGeometry.entriesPerTable == 512)
        #expect(PageGeometry.pagesPerPMD == 512)
        #expect(PageGeometry.taskSize == 0x7fff_ffff_f000)
    }

    @Test func indexPerLevel() {
        let address: UInt64 = (300 << 39) | (200 << 30) | (100 << 21) | (7 << 12) | 0xABC
        #expect(PageGeometry.index(address, level: 4) == 300)
        #expect(PageGeometry.index(address, level: 3) == 200)
        #expect(PageGeometry.index(address, level: 2) == 100)
        #expect(PageGeometry.index(address, level: 1) == 7)
        #expect(PageGeometry.index(PageGeometry.taskSize - 1, level: 4) == 255)
        #expect(PageGeometry.index(PageGeometry.taskSize - 1, level: 1) == 510, "the top page is excluded")
    }

    @Test func alignment() {
        #expect(PageGeometry.alignDown(0x1FFF, PageGeometry.pageSize) == 0x1000)
        #expect(PageGeometry.alignDown(0x2000, PageGeometry.pageSize) == 0x2000)
        #expect(PageGeometry.alignUp(0x1001, PageGeometry.pageSize) == 0x2000)
        #expect(PageGeometry.alignUp(0x2000, PageGeometry.pageSize) == 0x2000)
        #expect(PageGeometry.alignUp(0x20_0001, PageGeometry.pmdSize) == 0x40_0000)
        #expect(PageGeometry.alignUp(UInt64.max - 5, PageGeometry.pageSize) == 0, "wraps like ALIGN()")
    }

    @Test func typedValues() {
        #expect(PFN(0xABC).description == "pfn:abc")
        #expect(PFN(1) < PFN(2))
        #expect(PFN(rawValue: 5) == PFN(5))
        #expect(CPUID(2).description == "cpu2")
        #expect(CPUID(1) < CPUID(3))
        #expect(PCID(7).rawValue == 7)
        #expect(AccessKind.allCases == [.read, .write, .execute])
    }
}
