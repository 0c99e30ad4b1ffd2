import MMScenario

/// Renders a `RunReport` for people: one block per step (call and result, note, faults, flushes, a table of the
/// CPUs whose counters moved, expectation outcomes), then totals.
public enum TextReport {
    /// The report as text. `style` colours it; notes are shown when the scenario has them; `costs` prices cycles.
    public static func render(_ report: RunReport, style: ANSIStyle = .plain, costs: CostModel = CostModel()) -> String
    {
        var lines: [String] = []
        let title = report.name.map { "\($0) — \(report.file)" } ?? report.file
        var settings = "\(report.cpus) CPUs, scheme \(report.scheme), ceiling \(report.ceiling)"
        if !report.mergeVMAs { settings += ", no VMA merging" }
        if report.pti { settings += ", PTI" }
        lines.append(style.bold(title) + style.dim("  (\(settings))"))
        lines.append("")
        for step in report.steps {
            lines.append(contentsOf: block(step, style: style, costs: costs))
        }
        lines.append(contentsOf: summary(report, style: style, costs: costs))
        return lines.joined(separator: "\n") + "\n"
    }

    /// The lines of one step.
    static func block(_ step: StepReport, style: ANSIStyle, costs: CostModel) -> [String] {
        var lines: [String] = []
        let number = pad("#\(step.index)", 4)
        let who = step.thread.map { "\($0)@cpu\(step.cpu ?? 0)" } ?? (step.cpu.map { "cpu\($0)" } ?? "")
        let result = step.result.text
        let resultText: String
        switch step.result {
        case .errno, .signal: resultText = style.yellow(result)
        case .error: resultText = style.red(result)
        default: resultText = result
        }
        var head = "\(style.bold(number)) \(style.dim(pad(who, 14))) \(step.call)"
        if !result.isEmpty { head += " = " + resultText }
        let cycles = CostModel.whole(costs.cycles(of: step))
        if cycles > 0 { head += style.dim("  [\(cycles) cycles]") }
        lines.append(head)
        let indent = "      "
        if let note = step.note { lines.append(indent + style.cyan(note)) }
        for fault in step.faults {
            lines.append(
                indent + "fault  \(fault.thread)@cpu\(fault.cpu) \(hex(fault.address)) [\(fault.error)] → "
                    + style.bold(fault.resolution))
        }
        for flush in step.flushes {
            lines.append(indent + flushLine(flush))
        }
        let moved = step.cpus.filter { !$0.isZero }
        if !moved.isEmpty {
            let header = ["cpu", "access", "hit", "miss", "walk", "fault", "invlpg", "full", "ipi", "cr3"]
            lines.append(indent + style.dim(header.map { pad($0, 7, right: true) }.joined()))
            for cpu in moved {
                let cells = [
                    "cpu\(cpu.cpu)", "\(cpu.accesses)", "\(cpu.tlbHits)", "\(cpu.tlbMisses)", "\(cpu.walks)",
                    "\(cpu.pageFaults)", "\(cpu.invlpg)", "\(cpu.fullFlushes)", "\(cpu.ipisReceived)",
                    "\(cpu.cr3Loads)",
                ]
                lines.append(indent + cells.map { pad($0, 7, right: true) }.joined())
            }
        }
        for outcome in step.expectations {
            if outcome.passed {
                lines.append(indent + style.green("✓ ") + "\(outcome.check) \(outcome.expected)")
            } else {
                lines.append(
                    indent + style.red("✗ \(outcome.check)") + ": expected \(outcome.expected), got \(outcome.actual)"
                        + style.dim("  (line \(outcome.line):\(outcome.column))"))
            }
        }
        return lines
    }

    /// One flush the way `tlb:tlb_flush` shows it: the range, the initiator's local flush (reason 3), the remote
    /// send decision (reason 4) and each remote CPU's received flush (reason 1).
    static func flushLine(_ flush: FlushRecord) -> String {
        let tables = flush.freedTables ? ", freed tables" : ""
        var text =
            "flush  cpu\(flush.cpu) \(pagesText(flush.pages)) at \(hex(flush.start)) stride 2^\(flush.strideShift)\(tables):"
        text += " local " + (flush.local.map(pagesText) ?? "none")
        if flush.sendIPI {
            let received = flush.received.map { "cpu\($0.cpu) \(pagesText($0.pages))" }
            text += "; remote send → " + (received.isEmpty ? "no CPU needed it" : received.joined(separator: ", "))
        }
        return text
    }

    /// `full` for -1, else `N page(s)`.
    static func pagesText(_ pages: Int) -> String {
        pages < 0 ? "full" : "\(pages) page\(pages == 1 ? "" : "s")"
    }

    /// Totals and the verdict.
    static func summary(_ report: RunReport, style: ANSIStyle, costs: CostModel) -> [String] {
        let totals = report.totals
        var lines = [
            "",
            style.bold("Totals: ")
                + "\(totals.faults) faults, \(totals.flushes) flushes, \(totals.invlpg) INVLPG, "
                + "\(totals.fullFlushes) full flushes, \(totals.ipis) IPIs, \(totals.tlbMisses) TLB misses, "
                + "\(totals.tlbHits) TLB hits, \(CostModel.whole(costs.cycles(of: report))) cycles",
        ]
        let checked = totals.expectationsPassed + totals.expectationsFailed
        if totals.expectationsFailed == 0 {
            lines.append(style.green("All \(checked) expectations passed."))
        } else {
            lines.append(style.red("\(totals.expectationsFailed) of \(checked) expectations failed."))
        }
        return lines
    }

    /// `text` padded with spaces to `width` (on the left if `right`).
    static func pad(_ text: String, _ width: Int, right: Bool = false) -> String {
        let fill = String(repeating: " ", count: max(0, width - text.count))
        return right ? fill + text : text + fill
    }

    /// `0x` and lower-case hex.
    static func hex(_ value: UInt64) -> String { "0x" + String(value, radix: 16) }
}
