/// The registry of built-in scenarios, in the order `mmsim scenarios` lists them.
public enum BuiltInScenarios {
    /// Every built-in scenario.
    public static let all: [BuiltInScenario] = flushTableRows + hostShapes + amit

    /// The built-in called `name` (case-insensitive), if any.
    public static func named(_ name: String) -> BuiltInScenario? {
        all.first { $0.name.lowercased() == name.lowercased() }
    }

    /// The rows of the flush table that could not be built, with the reason, for `mmsim scenarios` and the docs.
    public static let omitted: [(name: String, reason: String)] = [
        ("S3c", "needs a VM_PFNMAP VMA; the model has no driver mapping that creates one"),
        ("S6b", "needs a hugetlb VMA; the model has no hugetlbfs"),
        ("S9", "needs swap or migration entries; no scenario step can swap a page out or start a migration"),
    ]

    /// The common preamble of the flush-table and host rows: two CPUs, `main` on CPU 0, `other` (same mm) on CPU 1 kept
    /// running by a first access to its own buffer, so that it is in `mm_cpumask` and not lazy.
    static func twoThreads(_ name: String, machine: String = "") -> String {
        """
        name: "\(name)"
        machine: {cpus: 2\(machine.isEmpty ? "" : ", " + machine)}
        threads:
          - {name: main, cpu: 0}
          - {name: other, cpu: 1, process: main}
        steps:
          - mmap: {region: spin, length: 16 pages}
            note: the other thread's own buffer (like the host probe's spinner)
          - read: {thread: other, region: spin, pages: 0..15}
            note: CPU 1 now runs the mm, non-lazy, and is in mm_cpumask
        """
    }
}
