extension BuiltInScenarios {
    /// Iterations of the benchmark loop in the built-ins.
    static let amitIterations = 100

    /// The group of the loop's built-ins in `mmsim scenarios`.
    static let amitGroup = "Nadav Amit's mprotect benchmark loop"

    /// The benchmark of Nadav Amit's v3 cover letter for the mmu_gather series (LKML, 2022-03-08): on one page,
    /// `mprotect(PROT_READ)`, `mprotect(PROT_READ|PROT_WRITE)`, then a write, repeated; with one thread, and with a
    /// second thread of the mm running on CPU 1.
    static let amit: [BuiltInScenario] = [
        BuiltInScenario(
            name: "amit-1t", group: amitGroup,
            summary: "Amit's loop, 1 thread: mprotect(R); mprotect(RW); write — \(amitIterations)×",
            yaml: amitLoop(threads: 1)),
        BuiltInScenario(
            name: "amit-2t", group: amitGroup,
            summary: "Amit's loop, 2 threads (the other running on CPU 1): every flush costs an IPI",
            yaml: amitLoop(threads: 2)),
        BuiltInScenario(
            name: "amit-1t-5.19", group: amitGroup,
            summary: "Amit's loop, 1 thread, on the 5.19 kernel the patch was merged into (no private write upgrade)",
            yaml: amitLoop(threads: 1, kernel519: true)),
        BuiltInScenario(
            name: "amit-2t-5.19", group: amitGroup,
            summary: "Amit's loop, 2 threads, 5.19: mprotect(RW) rewrites nothing and flushes nothing (the −68%)",
            yaml: amitLoop(threads: 2, kernel519: true)),
    ]

    /// The loop's YAML. Under `merged` (current kernels, ≥6.0) the READ→RW mprotect makes the dirty exclusive PTE
    /// writable in place (`MM_CP_TRY_CHANGE_WRITABLE`), so it flushes and the write does not fault; under `before`
    /// and `seed` (5.18/5.19 before that change) the PTE stays read-only and the write takes a fault. With
    /// `kernel519` the machine turns that upgrade off, which is the kernel of the v3 cover letter's figures: there
    /// the READ→RW mprotect leaves the PTE as it was and `merged` records no flush.
    static func amitLoop(threads: Int, kernel519: Bool = false) -> String {
        let remote = threads == 2 ? 1 : 0
        let machine = kernel519 ? "private_write_upgrade: false" : ""
        let upgradeFlushes = kernel519 ? 0 : 1
        var yaml =
            threads == 2
            ? twoThreads("Amit's mprotect benchmark, 2 threads", machine: machine)
            : """
            name: Amit's mprotect benchmark, 1 thread
            machine: {cpus: 2\(kernel519 ? ", " + machine : "")}
            threads:
              - {name: main, cpu: 0}
            steps:
            """
        yaml += """

              - mmap: {region: page, length: 1 page}
              - write: {region: page, page: 0, value: 0x1}
            """
        for iteration in 1...amitIterations {
            let note = iteration == 1 ? "\n    note: iteration 1 of \(amitIterations)" : ""
            yaml += """

                  - mprotect: {region: page, prot: read}\(note)
                    expect: {result: 0, flushes: 1, flush_pages: [1], ipis: \(remote)}
                  - mprotect: {region: page, prot: [read, write]}
                    expect: {result: 0, flushes: {merged: \(upgradeFlushes)}, ipis: {merged: \(remote * upgradeFlushes)}}
                  - write: {region: page, page: 0, value: \(iteration)}
                    expect: {value: \(iteration), faults: {merged: \(1 - upgradeFlushes)}}
                """
        }
        return yaml + "\n"
    }
}
