import MMHardware
import MMKernel

extension Machine {
    /// The VMAs of `task` that intersect `[base, base + pages)` (in pages), each as "first-end" page numbers relative
    /// to `base` followed by " lo" for `VM_LOCKED` and " lf" for `VM_LOCKONFAULT` (the smaps VmFlags names), e.g.
    /// `["0-2", "2-4 lo", "4-8 lo lf"]`.
    public func lockLayout(_ task: TaskID, _ base: UInt64, pages: UInt64) -> [String] {
        let vmas = mm(mmID(of: task)).vmas
        return vmas.indices(intersecting: base, base + pages * pageBytes).map { index in
            let vma = vmas[index]
            var text = "\((Int64(vma.start) - Int64(base)) / 4096)-\((Int64(vma.end) - Int64(base)) / 4096)"
            if vma.flags.contains(.locked) { text += " lo" }
            if vma.flags.contains(.lockOnFault) { text += " lf" }
            return text
        }
    }

    /// How many of the `pages` pages from `base` have a present leaf entry (`pte_present()`, as pagemap reports).
    public func presentPages(_ task: TaskID, _ base: UInt64, pages: UInt64) -> Int {
        (0..<pages).filter { leaf(task, base + $0 * pageBytes).entry.isPresent }.count
    }

    /// How many of the `pages` pages from `base` are mapped writable.
    public func writablePages(_ task: TaskID, _ base: UInt64, pages: UInt64) -> Int {
        (0..<pages).filter {
            let entry = leaf(task, base + $0 * pageBytes).entry
            return entry.isPresent && entry.isWritable
        }.count
    }

    /// `locked_vm` of `task`'s mm, in pages (VmLck of /proc/PID/status divided by 4 KiB).
    public func lockedVM(_ task: TaskID) -> Int64 { mm(mmID(of: task)).accounting.lockedVM }
}
