extension BuiltInScenarios {
    /// The probe shapes of host-kernel.md §2, measured on Linux 6.18 (so their expectations hold under `merged`):
    /// flushes per call, pages per flush (-1 = full) from the single-thread trace, and one remote decision — one
    /// IPI to the running other thread — per flush from the 2-thread trace.
    static let hostShapes: [BuiltInScenario] = [
        host(
            "host-1page-in-512", "1 page in a populated 512-page VMA → RO (splits the VMA): one 1-page flush",
            setup: populated(512), call: "mprotect: {region: buf, page: 256, prot: read}", pages: [1]),
        host(
            "host-whole-512", "a whole populated 512-page VMA → RO: one full flush",
            setup: populated(512), call: "mprotect: {region: buf, prot: read}", pages: [-1]),
        host(
            "host-thp", "a 2 MiB THP RW → RO: one flush of 1 entry at the PMD stride",
            setup: thp, call: "mprotect: {region: buf, prot: read}", pages: [1], strides: [21]),
        host(
            "host-1page-in-thp", "1 page inside a fresh THP → RO: PMD split (full flush), then a 1-page flush",
            setup: thp, call: "mprotect: {region: buf, page: 5, prot: read}", pages: [-1, 1]),
        host(
            "host-3vmas", "24 pages over 3 VMAs (plain / DONTFORK / DONTDUMP) RW → RO: one 24-page flush",
            setup: """
                  - mmap: {region: buf, length: 24 pages}
                  - madvise: {region: buf, pages: 8..15, advice: MADV_DONTFORK}
                  - madvise: {region: buf, pages: 16..23, advice: MADV_DONTDUMP}
                  - write: {region: buf, pages: 0..23, value: 0x1}
                """, call: "mprotect: {region: buf, prot: read}", pages: [24]),
        host(
            "host-none-to-rw", "16 populated PROT_NONE pages → RW: no flush",
            setup: populated(16) + "\n  - mprotect: {region: buf, prot: none}",
            call: "mprotect: {region: buf, prot: [read, write]}", pages: []),
        host(
            "host-16-rw-ro", "16 populated pages RW → RO: one 16-page flush",
            setup: populated(16), call: "mprotect: {region: buf, prot: read}", pages: [16]),
        host(
            "host-40", "40 populated pages RW → RO: one full flush (40 > 33)",
            setup: populated(40), call: "mprotect: {region: buf, prot: read}", pages: [-1]),
        host(
            "host-ro-rw-exclusive", "16 dirty exclusive anon pages RO → RW: upgraded in place, one 16-page flush",
            setup: populated(16) + "\n  - mprotect: {region: buf, prot: read}",
            call: "mprotect: {region: buf, prot: [read, write]}", pages: [16]),
        host(
            "host-rw-none", "16 populated pages RW → NONE: one 16-page flush",
            setup: populated(16), call: "mprotect: {region: buf, prot: none}", pages: [16]),
        host(
            "host-rw-rwx", "16 populated pages RW → RWX (NX cleared): one 16-page flush",
            setup: populated(16), call: "mprotect: {region: buf, prot: [read, write, exec]}", pages: [16]),
        host(
            "host-noop", "16 pages RW → RW: returns before any walk, no flush",
            setup: populated(16), call: "mprotect: {region: buf, prot: [read, write]}", pages: []),
        host(
            "host-unpopulated", "16 unpopulated pages RW → RO: no flush",
            setup: "  - mmap: {region: buf, length: 16 pages}", call: "mprotect: {region: buf, prot: read}", pages: []),
        host(
            "host-zero-page", "16 pages only read (shared zero page) RW → RO: no flush",
            setup: zeroPages, call: "mprotect: {region: buf, prot: read}", pages: []),
        host(
            "host-zero-page-ro-rw", "16 zero-page pages RO → RW: no flush",
            setup: zeroPages + "\n  - mprotect: {region: buf, prot: read}",
            call: "mprotect: {region: buf, prot: [read, write]}", pages: []),
        host(
            "host-33", "33 populated pages RW → RO: 33 INVLPG (the ceiling)",
            setup: populated(33), call: "mprotect: {region: buf, prot: read}", pages: [33]),
        host(
            "host-34", "34 populated pages RW → RO: one full flush (34 > 33)",
            setup: populated(34), call: "mprotect: {region: buf, prot: read}", pages: [-1]),
        host(
            "host-0-and-10", "16-page VMA, pages 0 and 10 populated, RW → RO: one 11-page flush (min..max)",
            setup: """
                  - mmap: {region: buf, length: 16 pages}
                  - write: {region: buf, page: 0, value: 0x1}
                  - write: {region: buf, page: 10, value: 0x1}
                """, call: "mprotect: {region: buf, prot: read}", pages: [11]),
        host(
            "host-0-and-100", "128-page VMA, pages 0 and 100 populated, RW → RO: one full flush",
            setup: """
                  - mmap: {region: buf, length: 128 pages}
                  - write: {region: buf, page: 0, value: 0x1}
                  - write: {region: buf, page: 100, value: 0x1}
                """, call: "mprotect: {region: buf, prot: read}", pages: [-1]),
        host(
            "host-munmap-16", "ref: munmap of 16 populated pages between mapped neighbours: one 16-page flush",
            setup: populated(48), call: "munmap: {region: buf, pages: 16..31}", pages: [16]),
        host(
            "host-munmap-2m-aligned",
            "ref: munmap of a whole 2 MiB-aligned 16-page VMA (its PTE table is freed): one 16-page flush",
            setup: """
                  - mmap: {region: buf, length: 2M}
                  - munmap: {region: buf, pages: 16..511}
                  - write: {region: buf, pages: 0..15, value: 0x1}
                """, call: "munmap: {region: buf, pages: 0..15}", pages: [16]),
    ]

    /// A region `buf` of `pages` pages, every page written (dirty exclusive anon).
    static func populated(_ pages: Int) -> String {
        "  - mmap: {region: buf, length: \(pages) pages}\n  - write: {region: buf, pages: 0..\(pages - 1), value: 0x1}"
    }

    /// A region `buf` of 16 pages, every page only read (mapped to the shared zero page).
    static let zeroPages = "  - mmap: {region: buf, length: 16 pages}\n  - read: {region: buf, pages: 0..15}"

    /// A region `buf` holding one PMD-mapped THP (MADV_HUGEPAGE, then a write fault).
    static let thp = """
          - mmap: {region: buf, length: 2M}
          - madvise: {region: buf, advice: MADV_HUGEPAGE}
          - write: {region: buf, page: 0, value: 0x1}
            expect: {resolutions: [thp]}
        """

    /// A host-shape scenario: the two-thread preamble, `setup` steps, then the measured `call` with the measured
    /// flush sizes (and strides) and one IPI per flush, expected under `merged`.
    static func host(
        _ name: String, _ summary: String, setup: String, call: String, pages: [Int], strides: [Int]? = nil
    ) -> BuiltInScenario {
        var expect =
            "{result: 0, flushes: {merged: \(pages.count)}, flush_pages: {merged: \(pages)}, ipis: {merged: \(pages.count)}"
        if let strides { expect += ", flush_strides: {merged: \(strides)}" }
        expect += "}"
        let yaml =
            twoThreads("\(name): \(summary)") + "\n" + setup + "\n  - " + call
            + "\n    note: the measured call (host-kernel.md §2)\n    expect: " + expect + "\n"
        return BuiltInScenario(name: name, group: "host-kernel.md §2 (Linux 6.18)", summary: summary, yaml: yaml)
    }
}
