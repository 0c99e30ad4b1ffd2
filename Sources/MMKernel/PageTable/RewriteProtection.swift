import MMHardware

extension Machine {
    /// The inner loop of `change_pte_range()` without its flush bookkeeping: `pte_modify()` of every present 4 KiB
    /// PTE in `[start, end)` to `newProtection`, through the arena's unsafe fast path. Returns the PTEs rewritten.
    /// The benchmark times it against the real kernel's mprotect of the same region; it is not a syscall (nothing is
    /// flushed, so callers that keep running CPUs must flush themselves).
    public mutating func rewriteProtection(
        _ mmID: MMID, _ start: UInt64, _ end: UInt64, to newProtection: PTEFlags
    )
        -> Int
    {
        var rewritten = 0
        for step in pmdSteps(mmID, start, end) {
            let pmd = pageTables[step.slot.table, step.slot.index]
            guard pmd.hardwarePresent, !pmd.isHuge else { continue }
            let first = PageGeometry.index(step.start, level: 1)
            let count = Int((step.end - step.start) >> PageGeometry.pageShift)
            pageTables.update(PageTableArena.child(of: pmd), first..<(first + count)) { _, pte in
                if pte.isPresent {
                    pte = pte.modified(to: newProtection)
                    rewritten &+= 1
                }
            }
        }
        return rewritten
    }
}
