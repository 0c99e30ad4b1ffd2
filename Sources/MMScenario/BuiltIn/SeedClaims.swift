/// The seed patch's three claims, each a scenario with the flush table's setup: `main` on CPU 0 makes the call while
/// `other` (same mm) runs on CPU 1 with 64 pages of its own buffer in its TLB, then sweeps that buffer again — the
/// misses of that sweep are what a full flush really costs.
public enum SeedClaims {
    /// The three claims, in the order shown.
    public static let all: [SeedClaim] = [
        SeedClaim(
            name: "one-page", title: "(a) one populated page in a 64 MiB VMA, RW → RO (S1)",
            changed: "the flush covers the one changed PTE instead of the whole VMA: INVLPGs replace full flushes,"
                + " so the other CPU keeps its TLB",
            yaml: claim(
                """
                  - mmap: {region: big, length: 64M}
                  - write: {region: big, page: 0, value: 0x1}
                """, call: "mprotect: {region: big, prot: read}")),
        SeedClaim(
            name: "thp", title: "(b) one PMD-mapped THP, RW → RO (S2)",
            changed: "no immediate pmdp_invalidate flush and a 2 MiB-stride range: 2 full flushes and 2 IPIs become"
                + " 1 INVLPG per CPU and 1 IPI",
            yaml: claim(
                """
                  - mmap: {region: huge, length: 2M}
                  - madvise: {region: huge, advice: MADV_HUGEPAGE}
                  - write: {region: huge, page: 0, value: 0x1}
                """, call: "mprotect: {region: huge, prot: read}")),
        SeedClaim(
            name: "three-vmas", title: "(c) one call over three VMAs × 4 populated pages, RW → RO (S3)",
            changed: "one mmu_gather for the whole call: 3 flushes and 3 IPIs become 1 flush of 12 pages and 1 IPI",
            yaml: claim(
                """
                  - mmap: {region: buf, length: 12 pages}
                  - madvise: {region: buf, pages: 4..7, advice: MADV_DONTFORK}
                  - madvise: {region: buf, pages: 8..11, advice: MADV_DONTDUMP}
                  - write: {region: buf, pages: 0..11, value: 0x1}
                """, call: "mprotect: {region: buf, prot: read}")),
    ]

    /// The claim scenario: preamble, `setup`, the other thread filling its TLB, the measured `call`, the sweep.
    static func claim(_ setup: String, call: String) -> String {
        """
        name: seed claim
        machine: {cpus: 2}
        threads:
          - {name: main, cpu: 0}
          - {name: other, cpu: 1, process: main}
        steps:
          - mmap: {region: spin, length: 64 pages}
          - read: {thread: other, region: spin, pages: 0..63}
        \(setup)
          - read: {thread: other, region: spin, pages: 0..63}
            note: the other thread's working set is in its TLB
          - \(call)
            note: the measured call
          - read: {thread: other, region: spin, pages: 0..63}
            note: the follow-up sweep

        """
    }
}
