import MMHardware
import MMKernel
import Testing

/// The truth table of `pte_needs_flush()` / `huge_pmd_needs_flush()` on x86 (arch/x86/include/asm/tlbflush.h,
/// c9fe66560bf2; docs/kernel-model.md, "Which changes need a flush").
@Suite struct NeedsFlushTests {
    static let pfn = PFN(0x1234)
    static let readWrite = PTE(pfn: pfn, flags: [.present, .writable, .user, .accessed, .dirty, .noExecute])
    static let readOnly = readWrite.modified(to: ProtectionMap.pageReadOnly)
    static let protNone = readWrite.modified(to: ProtectionMap.pageNone)

    struct Row: CustomTestStringConvertible, Sendable {
        var name: String
        var old: PTE
        var new: PTE
        var flush: Bool
        var testDescription: String { "pte_needs_flush: \(name) → \(flush ? "flush" : "no flush")" }
    }

    static let rows: [Row] = [
        Row(name: "protnone → RW", old: protNone, new: readWrite, flush: false),
        Row(name: "protnone → RO", old: protNone, new: readOnly, flush: false),
        Row(name: "RW → protnone", old: readWrite, new: protNone, flush: true),
        Row(name: "RW → RO", old: readWrite, new: readOnly, flush: true),
        Row(name: "RO → RW", old: readOnly, new: readOnly.setting(.writable), flush: true),
        Row(name: "NX → X", old: readOnly, new: readOnly.clearing(.noExecute), flush: true),
        Row(name: "X → NX", old: readOnly.clearing(.noExecute), new: readOnly, flush: true),
        Row(name: "unchanged RW", old: readWrite, new: readWrite, flush: false),
        Row(name: "uffd-wp bit only (set)", old: readOnly, new: readOnly.setting(.uffdWP), flush: false),
        Row(name: "uffd-wp bit only (clear)", old: readOnly.setting(.uffdWP), new: readOnly, flush: false),
        Row(
            name: "uffd-wp set with RW cleared", old: readWrite, new: readWrite.setting(.uffdWP).clearing(.writable),
            flush: true),
        Row(name: "soft-dirty only", old: readWrite, new: readWrite.setting(.softDirty), flush: false),
        Row(name: "A cleared (PTE)", old: readWrite, new: readWrite.clearing(.accessed), flush: false),
        Row(name: "A set", old: readWrite.clearing(.accessed), new: readWrite, flush: false),
        Row(name: "D set", old: readWrite.clearing(.dirty), new: readWrite, flush: false),
        Row(name: "D cleared", old: readWrite, new: readWrite.clearing(.dirty), flush: true),
        Row(name: "pfn change", old: readOnly, new: PTE(pfn: PFN(0x1235), flags: readOnly.flags), flush: true),
        Row(name: "pkey change", old: readOnly, new: readOnly.setting(PTEFlags(rawValue: 1 << 59)), flush: true),
        Row(
            name: "swap entry → present", old: SwapEntry(kind: .swap(type: 0), offset: 9).pte, new: readWrite,
            flush: false),
        Row(name: "none → present", old: .none, new: readWrite, flush: false),
    ]

    @Test(arguments: rows)
    func pte(_ row: Row) {
        #expect(NeedsFlush.pte(row.old, row.new) == row.flush)
    }

    static let hugeReadWrite = PTE(
        pfn: PFN(0x200), flags: [.present, .writable, .user, .accessed, .dirty, .pse, .noExecute])

    @Test("huge_pmd_needs_flush: A cleared on a PMD flushes (A is not ignored for PMDs)")
    func pmdAccessCleared() {
        #expect(NeedsFlush.hugePMD(Self.hugeReadWrite, Self.hugeReadWrite.clearing(.accessed)))
        #expect(!NeedsFlush.pte(Self.readWrite, Self.readWrite.clearing(.accessed)))
    }

    @Test("huge_pmd_needs_flush: RW→RO flushes, protnone→RW and uffd-wp-only do not")
    func pmdRows() {
        let readOnly = Self.hugeReadWrite.modified(to: ProtectionMap.pageReadOnly)
        let protNone = Self.hugeReadWrite.modified(to: ProtectionMap.pageNone)
        #expect(NeedsFlush.hugePMD(Self.hugeReadWrite, readOnly))
        #expect(!NeedsFlush.hugePMD(protNone, Self.hugeReadWrite))
        #expect(!NeedsFlush.hugePMD(readOnly, readOnly.setting(.uffdWP)))
        #expect(NeedsFlush.hugePMD(readOnly, PTE(pfn: PFN(0x400), flags: readOnly.flags)))
    }
}
