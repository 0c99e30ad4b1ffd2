import MMScenario

/// Renders runs of one scenario under several flush schemes side by side: per step and in total, each scheme's
/// flushes, their sizes, IPIs and cycles.
public enum CompareReport {
    /// The JSON document: an object keyed by scheme name, each value shaped like `run --json`.
    public static func document(_ runs: [RunReport], costs: CostModel = CostModel()) -> JSONValue {
        var members: [String: JSONValue] = [:]
        for run in runs { members[run.scheme] = JSONReport.document(run, costs: costs) }
        return .object(members)
    }

    /// The JSON document as text.
    public static func renderJSON(_ runs: [RunReport], costs: CostModel = CostModel()) -> String {
        document(runs, costs: costs).rendered()
    }

    /// Flush sizes compacted: `1×full`, `3×4`, `1×full+1×1` (runs of equal sizes, in order); `-` for none.
    public static func pagesSummary(_ flushes: [FlushRecord]) -> String {
        var groups: [(pages: Int, count: Int)] = []
        for flush in flushes {
            if let last = groups.last, last.pages == flush.pages {
                groups[groups.count - 1].count += flush.count
            } else {
                groups.append((flush.pages, flush.count))
            }
        }
        if groups.isEmpty { return "-" }
        return groups.map { "\($0.count)×\($0.pages < 0 ? "full" : String($0.pages))" }.joined(separator: "+")
    }

    /// One scheme's cell for a step: flushes, sizes, IPIs, cycles.
    static func cell(_ step: StepReport, costs: CostModel) -> [String] {
        let ipis = step.cpus.reduce(0) { $0 + $1.ipisReceived }
        let pages = pagesSummary(step.flushes) + (step.omittedFlushes > 0 ? "+…" : "")
        return [
            "\(step.flushCount)", pages, "\(ipis)",
            "\(CostModel.whole(costs.cycles(of: step)))",
        ]
    }

    /// The side-by-side table as text: one row per step (every step, so that rows line up), then totals, the
    /// expectation verdict per scheme, and each failed expectation.
    public static func render(_ runs: [RunReport], style: ANSIStyle = .plain, costs: CostModel = CostModel()) -> String
    {
        guard let first = runs.first else { return "" }
        var lines: [String] = []
        let title = first.name.map { "\($0) — \(first.file)" } ?? first.file
        lines.append(style.bold(title) + style.dim("  (\(first.cpus) CPUs, ceiling \(first.ceiling))"))
        lines.append("")
        let callWidth = 44
        let columns = ["flush", "pages", "IPI", "cycles"]
        let widths = [5, 12, 4, 9]
        var header = TextReport.pad("step", 4 + 1 + callWidth)
        var subheader = String(repeating: " ", count: 4 + 1 + callWidth)
        for run in runs {
            let width = widths.reduce(0, +) + widths.count + 2
            header += " │ " + TextReport.pad(run.scheme, width - 3)
            subheader += " │" + zip(columns, widths).map { " " + TextReport.pad($0, $1, right: true) }.joined()
        }
        lines.append(style.bold(header))
        lines.append(style.dim(subheader))
        for (index, step) in first.steps.enumerated() {
            let call = step.call.count > callWidth ? String(step.call.prefix(callWidth - 1)) + "…" : step.call
            var line = TextReport.pad("#\(step.index)", 4) + " " + TextReport.pad(call, callWidth)
            for run in runs {
                let cells = cell(run.steps[index], costs: costs)
                line += " │" + zip(cells, widths).map { " " + TextReport.pad($0, $1, right: true) }.joined()
            }
            lines.append(line)
        }
        var totals = TextReport.pad("", 4) + " " + TextReport.pad("totals", callWidth)
        var verdicts = TextReport.pad("", 4) + " " + TextReport.pad("expectations", callWidth)
        for run in runs {
            let sum = run.totals
            let allFlushes = run.steps.flatMap(\.flushes)
            let omitted = run.steps.contains { $0.omittedFlushes > 0 }
            let cells = [
                "\(sum.flushes)", pagesSummary(allFlushes) + (omitted ? "+…" : ""), "\(sum.ipis)",
                "\(CostModel.whole(costs.cycles(of: run)))",
            ]
            totals += " │" + zip(cells, widths).map { " " + TextReport.pad($0, $1, right: true) }.joined()
            let checked = sum.expectationsPassed + sum.expectationsFailed
            let verdict =
                sum.expectationsFailed == 0
                ? style.green(TextReport.pad("\(checked) passed", widths.reduce(0, +) + widths.count - 1))
                : style.red(
                    TextReport.pad(
                        "\(sum.expectationsFailed)/\(checked) failed", widths.reduce(0, +) + widths.count - 1))
            verdicts += " │ " + verdict
        }
        lines.append(style.bold(totals))
        lines.append(verdicts)
        for run in runs {
            for step in run.steps {
                for outcome in step.expectations where !outcome.passed {
                    lines.append(
                        style.red("✗ \(run.scheme) #\(step.index) \(outcome.check)")
                            + ": expected \(outcome.expected), got \(outcome.actual)"
                            + style.dim("  (line \(outcome.line):\(outcome.column))"))
                }
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
