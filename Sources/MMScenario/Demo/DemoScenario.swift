/// The scenario `mmsim tour` runs: a short tour of demand faults, TLB fills, copy-on-write
/// and a munmap shootdown, each step with a note explaining it.
public enum DemoScenario {
    /// The file name reports show for the demo.
    public static let file = "<built-in demo>"

    /// The demo as scenario YAML.
    public static let yaml = """
        name: A tour of faults and TLB fills
        machine: {cpus: 2}
        threads:
          - {name: main, cpu: 0}
          - {name: worker, cpu: 1, process: main}
        steps:
          - mmap: {region: buf, length: 4 pages, prot: [read, write], flags: [private, anonymous]}
            note: mmap only creates a VMA; no page is touched, no page table is filled.
            expect: {result: ok, faults: 0}
          - read: {region: buf, page: 0}
            note: First read faults; the kernel maps the shared zero page read-only. The restarted read walks again and fills the TLB.
            expect: {value: 0, resolutions: [zero-page], tlb_misses: 2}
          - write: {region: buf, page: 0, value: 0x11}
            note: The write hits the read-only zero-page entry, so it is copy-on-write from the zero page to a new private page, and the stale entry is flushed.
            expect: {value: 0x11, resolutions: [cow], invlpg: 1}
          - read: {region: buf, page: 0}
            note: The translation is cached now, so the read is a TLB hit with no walk.
            expect: {value: 0x11, tlb_hits: 1, tlb_misses: 0, faults: 0}
          - read: {thread: worker, region: buf, page: 0}
            note: A second thread of the process on CPU 1 sees the same page; its own TLB misses once.
            expect: {value: 0x11, faults: 0, tlb_misses: 1}
          - fork: {thread: main, child: kid, cpu: 1}
            note: fork write-protects the private pages in both processes and flushes the parent's TLBs.
            expect: {result: ok}
          - write: {thread: kid, region: buf, page: 0, value: 0x22}
            note: The child's write faults on the write-protected page and gets its own copy.
            expect: {value: 0x22, resolutions: [cow]}
          - read: {thread: main, region: buf, page: 0}
            note: The parent still sees its own value.
            expect: {value: 0x11}
          - munmap: {thread: main, region: buf}
            note: munmap zaps the PTEs and flushes; CPU 1 still has the parent's mm in its TLB, so it gets an IPI.
            expect: {result: 0}
          - read: {thread: main, region: buf, page: 0}
            note: The region is gone; the access is a SIGSEGV with SEGV_MAPERR.
            expect: {signal: SIGSEGV, code: SEGV_MAPERR}
        """
}
