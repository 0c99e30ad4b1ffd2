extension BuiltInScenarios {
    /// The group of the rows below in `mmsim scenarios`.
    static let flushTableGroup = "the seed patch's flush table (S1–S8)"

    /// The rows of the seed patch's flush table (docs/kernel-model.md, "The seed patch's three claims, worked" and
    /// "The rest of the scheme table"): one mprotect (or uffd unprotect) shape each, with its flushes before the
    /// mmu_gather series (`before`), under its first commit 4a18419f71cd alone (`seed`) and as 6.18 runs it
    /// (`merged`). Each has the table's setup: caller `main` on CPU 0, `other` of the same mm running on CPU 1.
    /// Expectations are per scheme where the schemes differ; `merged` is always given.
    static let flushTableRows: [BuiltInScenario] = [
        BuiltInScenario(
            name: "S1", group: flushTableGroup,
            summary: "1 GiB VMA, 1 page present, RW→RO: full flush before, 1 INVLPG after",
            yaml: twoThreads("S1: one page in a 1 GiB VMA") + """

                  - mmap: {region: big, length: 1G}
                  - write: {region: big, page: 0, value: 0x1}
                  - mprotect: {region: big, prot: read}
                    note: the measured call
                    expect:
                      result: 0
                      flushes: 1
                      flush_pages: {before: [-1], seed: [1], merged: [1]}
                      ipis: 1
                      full_flushes: {before: 2, seed: 0, merged: 0}
                      invlpg: {before: 0, seed: 2, merged: 2}
                """),
        BuiltInScenario(
            name: "S2", group: flushTableGroup,
            summary: "one PMD-mapped THP RW→RO: 2 full flushes before, 1 PMD-stride INVLPG after",
            yaml: twoThreads("S2: a THP, RW→RO") + """

                  - mmap: {region: huge, length: 2M}
                  - madvise: {region: huge, advice: MADV_HUGEPAGE}
                  - write: {region: huge, page: 0, value: 0x1}
                    expect: {resolutions: [thp]}
                  - mprotect: {region: huge, prot: read}
                    note: the measured call
                    expect:
                      result: 0
                      flushes: {before: 2, seed: 2, merged: 1}
                      flush_pages: {before: [-1, -1], seed: [-1, 1], merged: [1]}
                      flush_strides: {seed: [12, 21], merged: [21]}
                      ipis: {before: 2, seed: 2, merged: 1}
                """),
        BuiltInScenario(
            name: "S2b", group: flushTableGroup,
            summary: "1 MiB inside a THP RW→RO: split flush then a full flush, all schemes",
            yaml: twoThreads("S2b: half a THP, RW→RO") + """

                  - mmap: {region: huge, length: 2M}
                  - madvise: {region: huge, advice: MADV_HUGEPAGE}
                  - write: {region: huge, page: 0, value: 0x1}
                    expect: {resolutions: [thp]}
                  - mprotect: {region: huge, length: 1M, prot: read}
                    note: the measured call (splits the PMD first)
                    expect: {result: 0, flushes: 2, flush_pages: [-1, -1], ipis: 2}
                """),
        BuiltInScenario(
            name: "S2c", group: flushTableGroup, summary: "a PROT_NONE THP made RW again: 2 flushes before, none after",
            yaml: twoThreads("S2c: a protnone THP → RW") + """

                  - mmap: {region: huge, length: 2M}
                  - madvise: {region: huge, advice: MADV_HUGEPAGE}
                  - write: {region: huge, page: 0, value: 0x1}
                    expect: {resolutions: [thp]}
                  - mprotect: {region: huge, prot: none}
                  - mprotect: {region: huge, prot: [read, write]}
                    note: the measured call
                    expect:
                      result: 0
                      flushes: {before: 2, seed: 2, merged: 0}
                      flush_pages: {before: [-1, -1], seed: [-1, 1], merged: []}
                      ipis: {before: 2, seed: 2, merged: 0}
                """),
        BuiltInScenario(
            name: "S3", group: flushTableGroup,
            summary: "3 non-mergeable VMAs × 4 pages RW→RO: 3 flushes before, 1 after",
            yaml: twoThreads("S3: one call over three VMAs") + threeVMAs(pages: 4) + """

                    expect:
                      result: 0
                      flushes: {before: 3, seed: 1, merged: 1}
                      flush_pages: {before: [4, 4, 4], seed: [12], merged: [12]}
                      ipis: {before: 3, seed: 1, merged: 1}
                """),
        BuiltInScenario(
            name: "S3b", group: flushTableGroup,
            summary: "3 VMAs × 16 pages RW→RO: 3×16 INVLPG before, 1 full flush after",
            yaml: twoThreads("S3b: three VMAs of 16 pages") + threeVMAs(pages: 16) + """

                    expect:
                      result: 0
                      flushes: {before: 3, seed: 1, merged: 1}
                      flush_pages: {before: [16, 16, 16], seed: [-1], merged: [-1]}
                      ipis: {before: 3, seed: 1, merged: 1}
                """),
        BuiltInScenario(
            name: "S4", group: flushTableGroup,
            summary: "8 PROT_NONE PTEs → RW: flushed before and by the seed, not after",
            yaml: twoThreads("S4: protnone → RW") + """

                  - mmap: {region: buf, length: 8 pages}
                  - write: {region: buf, pages: 0..7, value: 0x1}
                  - mprotect: {region: buf, prot: none}
                  - mprotect: {region: buf, prot: [read, write]}
                    note: the measured call
                    expect:
                      result: 0
                      flushes: {before: 1, seed: 1, merged: 0}
                      flush_pages: {before: [8], seed: [8], merged: []}
                      ipis: {before: 1, seed: 1, merged: 0}
                """),
        BuiltInScenario(
            name: "S5", group: flushTableGroup, summary: "8 RW PTEs → RO: 8 INVLPG and 1 IPI in every scheme",
            yaml: twoThreads("S5: 8 pages RW→RO") + """

                  - mmap: {region: buf, length: 8 pages}
                  - write: {region: buf, pages: 0..7, value: 0x1}
                  - mprotect: {region: buf, prot: read}
                    note: the measured call
                    expect: {result: 0, flushes: 1, flush_pages: [8], ipis: 1}
                """),
        BuiltInScenario(
            name: "S5b", group: flushTableGroup,
            summary: "64-page VMA, first 8 present, RW→RO: full before, 8 INVLPG after",
            yaml: twoThreads("S5b: 8 of 64 pages present") + """

                  - mmap: {region: buf, length: 64 pages}
                  - write: {region: buf, pages: 0..7, value: 0x1}
                  - mprotect: {region: buf, prot: read}
                    note: the measured call
                    expect:
                      result: 0
                      flushes: 1
                      flush_pages: {before: [-1], seed: [8], merged: [8]}
                      ipis: 1
                """),
        BuiltInScenario(
            name: "S5c", group: flushTableGroup,
            summary: "clean (zero-page) private PTEs RO → RW: flushed before, not after",
            yaml: twoThreads("S5c: clean private RO → RW") + """

                  - mmap: {region: buf, length: 8 pages}
                  - read: {region: buf, pages: 0..7}
                    expect: {resolutions: [zero-page, zero-page, zero-page, zero-page, zero-page, zero-page, zero-page, zero-page]}
                  - mprotect: {region: buf, prot: read}
                  - mprotect: {region: buf, prot: [read, write]}
                    note: the measured call (the zero page stays read-only, so no PTE bit changes)
                    expect:
                      result: 0
                      flushes: {before: 1, seed: 1, merged: 0}
                      ipis: {before: 1, seed: 1, merged: 0}
                """),
        BuiltInScenario(
            name: "S5d", group: flushTableGroup,
            summary: "exclusive anon RO → RW (≥6.0): PTEs become writable in place and flush",
            yaml: twoThreads("S5d: exclusive anon RO → RW") + """

                  - mmap: {region: buf, length: 8 pages}
                  - write: {region: buf, pages: 0..7, value: 0x1}
                  - mprotect: {region: buf, prot: read}
                  - mprotect: {region: buf, prot: [read, write]}
                    note: the measured call (MM_CP_TRY_CHANGE_WRITABLE upgrades the PTEs; RW changed → flush)
                    expect:
                      result: 0
                      flushes: {merged: 1}
                      flush_pages: {merged: [8]}
                      ipis: {merged: 1}
                """),
        BuiltInScenario(
            name: "S6", group: flushTableGroup,
            summary: "a range with no populated PTEs (tables present or not): no flush",
            yaml: twoThreads("S6: nothing populated") + """

                  - mmap: {region: empty, length: 16 pages}
                  - mprotect: {region: empty, prot: read}
                    note: no page tables at all
                    expect: {result: 0, flushes: 0, ipis: 0}
                  - mmap: {region: tables, length: 16 pages}
                  - write: {region: tables, page: 0, value: 0x1}
                  - madvise: {region: tables, page: 0, advice: MADV_DONTNEED}
                  - mprotect: {region: tables, prot: read}
                    note: the page table exists but holds no present entry
                    expect: {result: 0, flushes: 0, ipis: 0}
                """),
        BuiltInScenario(
            name: "S7", group: flushTableGroup,
            summary: "34 present PTEs RW→RO: full flush (ceiling 33); 33 pages: 33 INVLPG",
            yaml: twoThreads("S7: the flush ceiling") + """

                  - mmap: {region: p34, length: 34 pages}
                  - write: {region: p34, pages: 0..33, value: 0x1}
                  - mprotect: {region: p34, prot: read}
                    note: 34 strides > 33 → full flush in every scheme
                    expect: {result: 0, flushes: 1, flush_pages: [-1], ipis: 1}
                  - mmap: {region: p33, length: 33 pages}
                  - write: {region: p33, pages: 0..32, value: 0x1}
                  - mprotect: {region: p33, prot: read}
                    note: 33 strides → 33 INVLPG in every scheme
                    expect: {result: 0, flushes: 1, flush_pages: [33], ipis: 1}
                """),
        BuiltInScenario(
            name: "S7b", group: flushTableGroup, summary: "pages 0 and 20 of 64 present: full before, 21 INVLPG after",
            yaml: twoThreads("S7b: two pages 20 apart") + """

                  - mmap: {region: buf, length: 64 pages}
                  - write: {region: buf, page: 0, value: 0x1}
                  - write: {region: buf, page: 20, value: 0x1}
                  - mprotect: {region: buf, prot: read}
                    note: the measured call
                    expect:
                      result: 0
                      flushes: 1
                      flush_pages: {before: [-1], seed: [21], merged: [21]}
                      ipis: 1
                """),
        BuiltInScenario(
            name: "S7c", group: flushTableGroup, summary: "pages 0 and 40 of 64 present: full flush in every scheme",
            yaml: twoThreads("S7c: two pages 40 apart") + """

                  - mmap: {region: buf, length: 64 pages}
                  - write: {region: buf, page: 0, value: 0x1}
                  - write: {region: buf, page: 40, value: 0x1}
                  - mprotect: {region: buf, prot: read}
                    note: the measured call
                    expect: {result: 0, flushes: 1, flush_pages: [-1], ipis: 1}
                """),
        BuiltInScenario(
            name: "S8", group: flushTableGroup,
            summary: "UFFDIO_WRITEPROTECT unprotect where only the uffd-wp bit changes",
            yaml: twoThreads("S8: userfaultfd write-unprotect") + """

                  - mmap: {region: clean, length: 8 pages}
                  - uffd_register: {region: clean}
                  - read: {region: clean, pages: 0..7}
                    note: zero-page PTEs, read-only already
                  - uffd_wp: {region: clean, protect: true}
                  - uffd_wp: {region: clean, protect: false}
                    note: only SOFTW2 (uffd-wp) changes, the PTEs stay read-only
                    expect: {result: 0, flushes: {before: 1, merged: 0}, ipis: {before: 1, merged: 0}}
                  - mmap: {region: dirty, length: 8 pages}
                  - uffd_register: {region: dirty}
                  - write: {region: dirty, pages: 0..7, value: 0x1}
                  - uffd_wp: {region: dirty, protect: true}
                  - uffd_wp: {region: dirty, protect: false}
                    note: dirty exclusive pages are made writable again in place (≥6.x), so RW changes and it flushes
                    expect: {result: 0, flushes: {before: 1, merged: 1}, flush_pages: {merged: [8]}, ipis: {merged: 1}}
                """),
    ]

    /// S3's setup: a 3×`pages` region split into three non-mergeable VMAs (plain, MADV_DONTFORK, MADV_DONTDUMP, as
    /// the host probe did), every page written, then the measured mprotect (its `expect:` follows).
    static func threeVMAs(pages: Int) -> String {
        """

          - mmap: {region: buf, length: \(3 * pages) pages}
          - madvise: {region: buf, pages: \(pages)..\(2 * pages - 1), advice: MADV_DONTFORK}
          - madvise: {region: buf, pages: \(2 * pages)..\(3 * pages - 1), advice: MADV_DONTDUMP}
          - write: {region: buf, pages: 0..\(3 * pages - 1), value: 0x1}
          - mprotect: {region: buf, prot: read}
            note: the measured call
        """
    }
}
