extension BuiltInScenarios {
    /// The probe shapes, measured with `tlb:tlb_flush` on Linux 6.18 (so their expectations hold under `merged`):
    /// flushes per call, pages per flush (-1 = full) from the single-thread trace, and one remote decision — one
    /// IPI to the running other thread — per flush from the 2-thread trace; then the shapes `mmsim probe` added
    /// later (a hole, file mappings, a lazy CPU, a forked child), each checked against the kernel the same way.
    static let hostShapes: [BuiltInScenario] = mprotectShapes + laterShapes

    /// The mprotect shapes and the two munmap references.
    static let mprotectShapes: [BuiltInScenario] = [
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

    /// The shapes beyond mprotect of anonymous memory: an mprotect that stops at a hole, file mappings, a lazy CPU,
    /// a forked child.
    static let laterShapes: [BuiltInScenario] = [
        host(
            "host-enomem-hole",
            "24 pages: 2 VMAs (plain / DONTFORK), then a hole → RO: ENOMEM after changing both VMAs; one 16-page flush",
            setup: """
                  - mmap: {region: buf, length: 24 pages}
                  - write: {region: buf, pages: 0..23, value: 0x1}
                  - madvise: {region: buf, pages: 8..15, advice: MADV_DONTFORK}
                  - munmap: {region: buf, pages: 16..23}
                """, call: "mprotect: {region: buf, prot: read}", result: "ENOMEM", pages: [16],
            after: "  - expect: {layout: {region: buf, pages: 24, is: \"[0,8)r--p [8,16)r--p\"}}"),
        host(
            "host-file-shared", "16 written pages of a shared regular-file mapping RW → RO: one 16-page flush",
            files: "{name: data, size: 16 pages}", setup: fileWritten("shared", fd: "data"),
            call: "mprotect: {region: buf, prot: read}", pages: [16]),
        host(
            "host-file-shared-ro-rw",
            "16 dirty pages of a shared regular-file mapping RO → RW: made writable in place, one 16-page flush",
            files: "{name: data, size: 16 pages}",
            setup: fileWritten("shared", fd: "data") + "\n  - mprotect: {region: buf, prot: read}",
            call: "mprotect: {region: buf, prot: [read, write]}", pages: [16]),
        host(
            "host-file-private", "16 copied-on-write pages of a private file mapping RW → RO: one 16-page flush",
            files: "{name: data, size: 16 pages}", setup: fileWritten("private", fd: "data"),
            call: "mprotect: {region: buf, prot: read}", pages: [16]),
        host(
            "host-file-munmap", "munmap of 16 written pages of a shared regular-file mapping: one 16-page flush",
            files: "{name: data, size: 16 pages}", setup: fileWritten("shared", fd: "data"),
            call: "munmap: {region: buf}", pages: [16]),
        host(
            "host-file-read-faultaround",
            "pages 0-3 of a fresh 64-page shared file mapping read (16 mapped by fault-around) RW → NONE: 1×16",
            files: "{name: data, size: 64 pages}",
            setup: """
                  - mmap: {region: buf, length: 64 pages, flags: [shared], fd: data}
                  - read: {region: buf, pages: 0..3}
                    note: the miss reads around page 0, the retried fault maps the cached 64 KiB window around it
                    expect: {faults: 1}
                """, call: "mprotect: {region: buf, prot: none}", pages: [16]),
        host(
            "host-memfd-shared", "16 written pages of a shared memfd mapping RW → RO: one 16-page flush",
            files: "{name: mem, size: 16 pages, shmem: true}", setup: fileWritten("shared", fd: "mem"),
            call: "mprotect: {region: buf, prot: read}", pages: [16]),
        host(
            "host-memfd-read", "16 pages of a shared memfd mapping only read (mapped writable, clean) RW → RO: 1×16",
            files: "{name: mem, size: 16 pages, shmem: true}",
            setup: """
                  - mmap: {region: buf, length: 16 pages, flags: [shared], fd: mem}
                  - read: {region: buf, pages: 0..15}
                """, call: "mprotect: {region: buf, prot: read}", pages: [16]),
        host(
            "host-lazy-idle",
            "the other CPU idle in lazy TLB mode; 16 populated pages RW → RO: one 16-page flush, sent, no IPI",
            setup: populated(16) + "\n  - idle: 1\n    note: the other thread sleeps; its CPU keeps the mm, lazily",
            call: "mprotect: {region: buf, prot: read}", pages: [16], ipis: 0),
        host(
            "host-lazy-freed-tables",
            "the other CPU idle in lazy TLB mode; munmap freeing a PTE table: one 16-page flush, IPI to the lazy CPU",
            setup: """
                  - mmap: {region: buf, length: 2M}
                  - munmap: {region: buf, pages: 16..511}
                  - write: {region: buf, pages: 0..15, value: 0x1}
                  - idle: 1
                """, call: "munmap: {region: buf, pages: 0..15}", pages: [16]),
        hostFork,
    ]

    /// A forked child sharing 16 dirty pages: the fork's flush, mprotect of the copy-on-write pages, a
    /// copy-on-write break and a reuse in the parent, then one flush covering exactly the pages written since.
    static let hostFork = BuiltInScenario(
        name: "host-fork-cow", group: hostGroup,
        summary: "fork with 16 dirty pages: full flush; COW pages RO/RW: none; COW break: 1 page; then RO: 3 pages",
        yaml: twoThreads("host-fork-cow: a forked child sharing copy-on-write pages") + """

              - mmap: {region: buf, length: 16 pages}
              - write: {region: buf, pages: 0..15, value: 0x1}
              - fork: {thread: main, child: kid, cpu: 0}
                note: dup_mmap() write-protects the parent's PTEs and flushes the whole mm (flush_tlb_mm)
                expect: {flushes: 1, flush_pages: [-1], ipis: 1}
              - mprotect: {region: buf, prot: read}
                note: the PTEs are read-only already
                expect: {result: 0, flushes: 0}
              - mprotect: {region: buf, prot: [read, write]}
                note: pages shared with the child are not exclusive, so they stay read-only
                expect: {result: 0, flushes: 0}
              - write: {thread: kid, region: buf, page: 5, value: 0x2}
                note: the child copies page 5, which is now the parent's alone
              - write: {region: buf, page: 3, value: 0x3}
                note: copy-on-write break in the parent (wp_page_copy clears and flushes the old PTE)
                expect: {resolutions: [cow], flushes: 1, flush_pages: [1], ipis: 1}
              - write: {region: buf, page: 5, value: 0x3}
                note: page 5 is reused in place (only the write bit is added, which needs no flush)
                expect: {resolutions: [reuse], flushes: 0}
              - mprotect: {region: buf, prot: read}
                note: only pages 3 and 5 are writable, so the flush covers pages 3 to 5
                expect: {result: 0, flushes: 1, flush_pages: [3], ipis: 1}

            """)

    /// The group the host shapes are listed under.
    static let hostGroup = "probe shapes (Linux 6.18)"

    /// A region `buf` of 16 pages mapped from file `fd` (`shared` or `private`), every page written.
    static func fileWritten(_ sharing: String, fd: String) -> String {
        "  - mmap: {region: buf, length: 16 pages, flags: [\(sharing)], fd: \(fd)}\n"
            + "  - write: {region: buf, pages: 0..15, value: 0x1}"
    }

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

    /// A host-shape scenario: the two-thread preamble (and `files`, a YAML flow list body), `setup` steps, then the
    /// measured `call` with its `result`, the measured flush sizes (and strides) and `ipis` delivered (default: one
    /// per flush), expected under `merged`; then the `after` steps.
    static func host(
        _ name: String, _ summary: String, files: String? = nil, setup: String, call: String, result: String = "0",
        pages: [Int], strides: [Int]? = nil, ipis: Int? = nil, after: String = ""
    ) -> BuiltInScenario {
        var expect =
            "{result: \(result), flushes: {merged: \(pages.count)}, flush_pages: {merged: \(pages)}, "
            + "ipis: {merged: \(ipis ?? pages.count)}"
        if let strides { expect += ", flush_strides: {merged: \(strides)}" }
        expect += "}"
        var preamble = twoThreads("\(name): \(summary)")
        if let files {
            preamble = preamble.replacing("steps:\n", with: "files: [\(files)]\nsteps:\n", maxReplacements: 1)
        }
        let yaml =
            preamble + "\n" + setup + "\n  - " + call + "\n    note: the measured call\n    expect: " + expect + "\n"
            + (after.isEmpty ? "" : after + "\n")
        return BuiltInScenario(name: name, group: hostGroup, summary: summary, yaml: yaml)
    }
}
