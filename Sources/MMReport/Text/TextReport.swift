import MMScenario

/// Renders a `RunReport` for people: one block per step (call and result, note, faults, flushes, a table of the
/// CPUs whose counters moved, expectation outcomes), then totals.
public enum TextReport {
    /// The report as text. `style` colours it; notes are shown when the scenario has them; `costs` prices cycles.
    public static func render(_ report: RunReport, style: ANSIStyle = .plain, costs: CostModel = CostModel()) -> String
    {
        var lines = header(report, style: style)
        for step in report.steps {
            lines.append(contentsOf: block(step, style: style, costs: costs))
        }
        lines.append(contentsOf: summary(report, style: style, cycles: costs.cycles(of: report)))
        return lines.joined(separator: "\n") + "\n"
    }

    /// The title line (and the blank line after it).
    static func header(_ report: RunReport, style: ANSIStyle) -> [String] {
        let title = report.name.map { "\($0) — \(report.file)" } ?? report.file
        var settings = "\(report.cpus) CPUs, scheme \(report.scheme), ceiling \(report.ceiling)"
        if !report.mergeVMAs { settings += ", no VMA merging" }
        if report.pti { settings += ", PTI" }
        return [style.bold(title) + style.dim("  (\(settings))"), ""]
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
            lines.append(indent + faultLine(fault, style: style))
        }
        if step.omittedFaults > 0 {
            lines.append(
                indent
                    + style.dim("… \(grouped(step.omittedFaults)) more faults (\(grouped(step.faultCount)) in all)"))
        }
        for flush in step.flushes {
            lines.append(indent + flushLine(flush))
        }
        if step.omittedFlushes > 0 {
            lines.append(
                indent
                    + style.dim("… \(grouped(step.omittedFlushes)) more flushes (\(grouped(step.flushCount)) in all)"))
        }
        let moved = step.cpus.filter { !$0.isZero }
        if !moved.isEmpty {
            let header = ["cpu", "access", "hit", "miss", "walk", "fault", "invlpg", "full", "ipi", "cr3"]
            let rows = moved.map { cpu in
                [
                    "cpu\(cpu.cpu)", "\(cpu.accesses)", "\(cpu.tlbHits)", "\(cpu.tlbMisses)", "\(cpu.walks)",
                    "\(cpu.pageFaults)", "\(cpu.invlpg)", "\(cpu.fullFlushes)", "\(cpu.ipisReceived)",
                    "\(cpu.cr3Loads)",
                ]
            }
            // Seven columns wide, wider where a figure needs it (millions of accesses), always a space apart.
            let widths = header.indices.map { column in rows.reduce(7) { max($0, $1[column].count + 1) } }
            lines.append(indent + style.dim(zip(header, widths).map { pad($0, $1, right: true) }.joined()))
            for cells in rows {
                lines.append(indent + zip(cells, widths).map { pad($0, $1, right: true) }.joined())
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

    /// One fault, or a run of faults alike but for the address:
    /// `faults 16,777,216× main@cpu0 0x7f0000000000…0x7f0ffffff000 step 4K [#PF(0x6 WRITE|USER)] → anon`.
    static func faultLine(_ fault: FaultRecord, style: ANSIStyle) -> String {
        let head = fault.count == 1 ? "fault  " : "faults \(grouped(fault.count))× "
        return head + "\(fault.thread)@cpu\(fault.cpu) "
            + addresses(fault.address, count: fault.count, stride: fault.stride) + " [\(fault.error)] → "
            + style.bold(fault.resolution)
    }

    /// `0x1000` for one address; `0x1000…0x3000 step 4K` for a run.
    static func addresses(_ first: UInt64, count: Int, stride: UInt64) -> String {
        guard count > 1 else { return hex(first) }
        let last = first &+ stride &* UInt64(count - 1)
        return "\(hex(first))…\(hex(last)) step \(sizeText(stride))"
    }

    /// A stride as `4K`, `2M`, `1G` when it is a whole number of those, else hex.
    static func sizeText(_ bytes: UInt64) -> String {
        for (shift, unit) in [(30, "G"), (20, "M"), (10, "K")] where bytes != 0 && bytes % (1 << shift) == 0 {
            return "\(bytes >> shift)\(unit)"
        }
        return hex(bytes)
    }

    /// `16,777,216`: a count with thousands separated.
    static func grouped(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var text = ""
        for (offset, digit) in digits.enumerated() {
            if offset > 0 && (digits.count - offset) % 3 == 0 { text.append(",") }
            text.append(digit)
        }
        return value < 0 ? "-" + text : text
    }

    /// One flush the way `tlb:tlb_flush` shows it: the range, the initiator's local flush (reason 3), the remote
    /// send decision (reason 4) and each remote CPU's received flush (reason 1). A run of flushes alike but for
    /// their start shows its count and the starts.
    static func flushLine(_ flush: FlushRecord) -> String {
        let tables = flush.freedTables ? ", freed tables" : ""
        let head = flush.count == 1 ? "flush  " : "flushes \(grouped(flush.count))× "
        let starts = addresses(flush.start, count: flush.count, stride: flush.stride)
        var text =
            head + "cpu\(flush.cpu) \(pagesText(flush.pages)) at \(starts) stride 2^\(flush.strideShift)\(tables):"
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
    static func summary(_ report: RunReport, style: ANSIStyle, cycles: Double) -> [String] {
        let totals = report.totals
        var lines = [
            "",
            style.bold("Totals: ")
                + "\(totals.faults) faults, \(totals.flushes) flushes, \(totals.invlpg) INVLPG, "
                + "\(totals.fullFlushes) full flushes, \(totals.ipis) IPIs, \(totals.tlbMisses) TLB misses, "
                + "\(totals.tlbHits) TLB hits, \(CostModel.whole(cycles)) cycles",
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
