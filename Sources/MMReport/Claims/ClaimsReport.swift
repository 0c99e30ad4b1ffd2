import MMScenario

/// Renders the seed patch's three claims: for each, a small table of `before` against `merged` and one line saying
/// what changed.
public enum ClaimsReport {
    /// One claim's runs.
    public struct Entry: Sendable {
        /// The claim.
        public var claim: SeedClaim
        /// Its figures under `before`.
        public var before: ClaimNumbers
        /// Its figures under `merged`.
        public var merged: ClaimNumbers

        /// Creates an entry.
        public init(claim: SeedClaim, before: ClaimNumbers, merged: ClaimNumbers) {
            self.claim = claim
            self.before = before
            self.merged = merged
        }
    }

    /// The text: a heading, then per claim its title, table and the line of what changed.
    public static func render(_ entries: [Entry], style: ANSIStyle = .plain) -> String {
        var lines = [
            style.bold("What the seed patch (4a18419f71cd, merged in 5.19) changed for mprotect"),
            style.dim(
                "main on CPU 0 calls mprotect; other thread of the mm runs on CPU 1 with 64 pages in its TLB, then"
                    + " sweeps them again."),
            style.dim("Run one under every scheme with 'mmsim compare S1|S2|S3'; tour of faults: 'mmsim tour'."),
        ]
        for entry in entries {
            lines.append("")
            lines.append(style.bold(entry.claim.title))
            lines.append(
                style.dim(
                    TextReport.pad("", 30) + TextReport.pad("before", 14, right: true)
                        + TextReport.pad("merged", 14, right: true)))
            func row(_ label: String, _ before: String, _ merged: String) {
                lines.append(
                    "  " + TextReport.pad(label, 28) + TextReport.pad(before, 14, right: true)
                        + TextReport.pad(merged, 14, right: true))
            }
            let (b, m) = (entry.before, entry.merged)
            row("flushes (pages)", "\(b.flushes) (\(b.pages))", "\(m.flushes) (\(m.pages))")
            row("INVLPG cpu0/cpu1", perCPU(b.invlpg), perCPU(m.invlpg))
            row("full flushes cpu0/cpu1", perCPU(b.fullFlushes), perCPU(m.fullFlushes))
            row("IPIs", "\(b.ipis)", "\(m.ipis)")
            row("TLB misses, sweep on cpu1", "\(b.sweepMisses)", "\(m.sweepMisses)")
            row("cycles (call + sweep)", "\(b.cycles)", "\(m.cycles)")
            lines.append("  " + style.green("→ ") + entry.claim.changed)
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// `a/b` for the first two CPUs.
    static func perCPU(_ values: [Int]) -> String {
        values.prefix(2).map(String.init).joined(separator: "/")
    }
}
