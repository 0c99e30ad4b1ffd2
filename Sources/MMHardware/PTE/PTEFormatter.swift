/// Human-readable rendering of entries for traces and test failures.
enum PTEFormatter {
    static func describe(_ pte: PTE) -> String {
        if pte.isNone { return "none" }
        if let swap = SwapEntry(pte: pte) {
            return "swap(\(swap.kind), offset: \(swap.offset)\(swap.uffdWP ? ", uffd-wp" : ""))"
        }
        let names: [(PTEFlags, String)] = [
            (.present, "P"), (.writable, "RW"), (.user, "U"), (.accessed, "A"), (.dirty, "D"), (.pse, "PSE"),
            (.protNone, pte.hardwarePresent ? "G" : "PROTNONE"), (.special, "SPECIAL"), (.uffdWP, "UFFD_WP"),
            (.softDirty, "SOFT_DIRTY"), (.noExecute, "NX"),
        ]
        let set = names.filter { pte.contains($0.0) }.map(\.1)
        return "\(pte.pfn) [\(set.joined(separator: " "))\(pte.pkey != 0 ? " pkey=\(pte.pkey)" : "")]"
    }
}
