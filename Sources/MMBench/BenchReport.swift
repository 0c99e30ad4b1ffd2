import Foundation

/// What `mmsim bench` measured, in one run, side by side: the simulator's sweeps and the real kernel's.
public struct BenchReport: Codable, Hashable, Sendable {
    /// Bytes of the populated region.
    public var regionBytes: Int
    /// 4 KiB pages (PTEs) in the region.
    public var pages: Int
    public var repetitions: Int
    /// Simulator: ns per page for the populate sweep (a write fault per page).
    public var simPopulateNsPerPage: Double
    /// Simulator: ns per access for a read sweep of the populated region (TLB miss and walk per page).
    public var simReadSweepNsPerAccess: Double
    /// Simulator: ns per PTE for the RW→RO rewrite walk, median over repetitions.
    public var simRewriteToReadOnlyNsPerPTE: Double
    /// Simulator: ns per PTE for the RO→RW rewrite walk, median over repetitions.
    public var simRewriteToReadWriteNsPerPTE: Double
    /// Simulator: ns per PTE of the modelled mprotect(PROT_READ) syscall (merged scheme), median.
    public var simMprotectToReadOnlyNsPerPTE: Double
    /// Simulator: ns per PTE of the modelled mprotect(PROT_READ|PROT_WRITE) syscall, median.
    public var simMprotectToReadWriteNsPerPTE: Double
    /// Simulator: model bytes (PTE arena + contents tokens + `struct page`) per populated page.
    public var simModelBytesPerPage: Double
    /// Simulator: growth of this process's resident set while building the populated machine, per page.
    public var simResidentBytesPerPage: Double
    /// Simulator: model bytes added by a 100 TiB PROT_NONE reservation (expected: none).
    public var simReservationModelBytes: Int
    /// Simulator: resident-set growth during that reservation.
    public var simReservationResidentBytes: Int
    /// Real kernel: ns per page to populate by writing, nil if the host part was skipped or failed.
    public var kernelPopulateNsPerPage: Double?
    /// Real kernel: ns per PTE of mprotect(PROT_READ) over the populated region, median.
    public var kernelReadOnlyNsPerPTE: Double?
    /// Real kernel: ns per PTE of mprotect(PROT_READ|PROT_WRITE), median.
    public var kernelReadWriteNsPerPTE: Double?
    /// Why the host part is missing, if it is.
    public var kernelError: String?

    /// Simulator rewrite cost over the kernel's mprotect cost per PTE (target ≤ 1.0), RW→RO and RO→RW averaged.
    public var rewriteRatio: Double? {
        guard let readOnly = kernelReadOnlyNsPerPTE, let readWrite = kernelReadWriteNsPerPTE else { return nil }
        return (simRewriteToReadOnlyNsPerPTE + simRewriteToReadWriteNsPerPTE) / (readOnly + readWrite)
    }

    /// Simulator mprotect cost over the kernel's per PTE (target ≤ 1.0), both directions averaged.
    public var mprotectRatio: Double? {
        guard let readOnly = kernelReadOnlyNsPerPTE, let readWrite = kernelReadWriteNsPerPTE else { return nil }
        return (simMprotectToReadOnlyNsPerPTE + simMprotectToReadWriteNsPerPTE) / (readOnly + readWrite)
    }

    /// A plain-text table.
    public func renderText() -> String {
        func format(_ value: Double?) -> String {
            guard let value else { return "-" }
            return String(format: "%.2f", value)
        }
        var lines: [String] = []
        lines.append(
            "mmsim bench: \(regionBytes >> 20) MiB populated anonymous region, \(pages) PTEs, "
                + "\(repetitions) repetitions")
        lines.append("")
        lines.append("                                   simulator     real kernel")
        lines.append(
            "populate, ns/page                  \(pad(format(simPopulateNsPerPage)))  "
                + "\(pad(format(kernelPopulateNsPerPage)))")
        lines.append(
            "rewrite RW->RO, ns/PTE             \(pad(format(simRewriteToReadOnlyNsPerPTE)))  "
                + "\(pad(format(kernelReadOnlyNsPerPTE)))  (kernel: mprotect PROT_READ)")
        lines.append(
            "rewrite RO->RW, ns/PTE             \(pad(format(simRewriteToReadWriteNsPerPTE)))  "
                + "\(pad(format(kernelReadWriteNsPerPTE)))  (kernel: mprotect PROT_READ|PROT_WRITE)")
        lines.append(
            "mprotect RW->RO, ns/PTE            \(pad(format(simMprotectToReadOnlyNsPerPTE)))  "
                + "\(pad(format(kernelReadOnlyNsPerPTE)))  (simulator: merged scheme)")
        lines.append(
            "mprotect RO->RW, ns/PTE            \(pad(format(simMprotectToReadWriteNsPerPTE)))  "
                + "\(pad(format(kernelReadWriteNsPerPTE)))")
        lines.append("read sweep, ns/access              \(pad(format(simReadSweepNsPerAccess)))")
        lines.append("")
        lines.append("rewrite ratio simulator/kernel:    \(format(rewriteRatio))  (target <= 1.00)")
        lines.append("mprotect ratio simulator/kernel:   \(format(mprotectRatio))  (target <= 1.00)")
        lines.append("model bytes per populated page:    \(format(simModelBytesPerPage))  (target <= 72)")
        lines.append("resident bytes per populated page: \(format(simResidentBytesPerPage))")
        lines.append(
            "100 TiB PROT_NONE reservation:     \(simReservationModelBytes) model bytes, "
                + "\(simReservationResidentBytes) resident bytes")
        if let kernelError { lines.append("real kernel part skipped: \(kernelError)") }
        return lines.joined(separator: "\n")
    }

    private func pad(_ text: String) -> String {
        String(repeating: " ", count: max(0, 12 - text.count)) + text
    }

    /// One JSON document with sorted keys.
    public func renderJSON() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }
}
