import MMProbe

/// Renders a `ProbeReport` as the agreement table: one row per scenario (calls, ✓/✗, the kernel's and the model's
/// flushes, page population), then the differences and a summary line.
public enum ProbeTextReport {
    /// The report as text.
    public static func render(_ report: ProbeReport, style: ANSIStyle = .plain) -> String {
        var output = style.bold("mmsim probe") + ": Linux \(report.kernel), \(report.threads) thread"
        output += report.threads == 1 ? "" : "s"
        if report.threads == 2, let fifo = report.shapes.compactMap(\.spinnerFIFO).first {
            output += fifo ? " (spinner SCHED_FIFO)" : " (spinner SCHED_OTHER)"
        }
        output += ", \(report.repeats) run\(report.repeats == 1 ? "" : "s") each; model: \(report.model)\n\n"
        let headers = ["shape", "calls", "agree", "kernel flushes", "model flushes", "population"]
        var rows: [[String]] = []
        var marks: [Bool?] = []
        for shape in report.shapes {
            if let reason = shape.notProbeable {
                rows.append([shape.name, "—", "n/a", "not probeable: " + reason, "", ""])
                marks.append(nil)
                continue
            }
            if let error = shape.error {
                rows.append([shape.name, "—", "✗", "error: " + error, "", ""])
                marks.append(false)
                continue
            }
            let flushing = shape.calls.filter { !$0.kernel.isEmpty || !$0.model.isEmpty }
            let kernel = flushing.isEmpty ? "—" : flushing.map { ProbeFlush.summary($0.kernel) }.joined(separator: "; ")
            let model = flushing.isEmpty ? "—" : flushing.map { ProbeFlush.summary($0.model) }.joined(separator: "; ")
            let population = shape.calls.allSatisfy { $0.population == nil } ? "—" : shape.populationAgrees ? "✓" : "✗"
            rows.append([
                shape.name, "\(shape.calls.count)", shape.agree ? "✓" : "✗", kernel + (shape.flaky ? " (flaky)" : ""),
                model, population,
            ])
            marks.append(shape.agree)
        }
        let widths = headers.indices.map { column in
            ([headers[column]] + rows.map { $0[column] }).map(\.count).max() ?? 0
        }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { $1 + String(repeating: " ", count: max(0, widths[$0] - $1.count)) }
                .joined(separator: "  ").trimmingTrailingSpaces() + "\n"
        }
        output += style.bold(line(headers))
        for (row, mark) in zip(rows, marks) {
            let text = line(row)
            switch mark {
            case .some(true): output += text
            case .some(false): output += style.red(text)
            case .none: output += style.dim(text)
            }
        }
        output += details(report)
        let summary = ProbeSummary(report)
        output += "\n\(summary.shapes) shapes: \(summary.agree) agree, \(summary.disagree) disagree, "
        output +=
            "\(summary.notProbeable) not probeable, \(summary.flaky) flaky; \(summary.callsAgree)/\(summary.calls) "
        output += "calls agree; population agrees in \(summary.populationAgree)/\(summary.agree + summary.disagree)\n"
        output += "flushes: pages per flush (-1 = full), +ipi = sent to other CPUs (kernel reason 4 / model IPI), "
        output += "+ipi(N) = the send side's pages differ\n"
        return output
    }

    /// One paragraph per disagreeing call, population mismatch or call with notes.
    static func details(_ report: ProbeReport) -> String {
        var output = ""
        for shape in report.shapes where shape.error == nil && shape.notProbeable == nil {
            for call in shape.calls where !call.agree || !call.populationAgrees || !call.notes.isEmpty {
                output += "\n\(shape.name) step \(call.step) (line \(call.line)): \(call.call)\n"
                output += "  kernel \(ProbeFlush.summary(call.kernel)), model \(ProbeFlush.summary(call.model))\n"
                for difference in call.differences { output += "  - \(difference)\n" }
                for variant in call.otherKernelRuns { output += "  - another run: \(ProbeFlush.summary(variant))\n" }
                for mismatch in call.population ?? [] { output += "  - population: \(mismatch)\n" }
                for note in call.notes { output += "  - note: \(note)\n" }
            }
        }
        return output
    }
}

extension String {
    /// The string without trailing spaces.
    func trimmingTrailingSpaces() -> String {
        var result = self
        while result.last == " " { result.removeLast() }
        return result
    }
}
