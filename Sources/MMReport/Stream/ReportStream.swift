import MMScenario

/// Runs a scenario and writes its report step by step as each step completes, keeping no step once written: the
/// memory of a run is the model's state plus its steps' bounded records, however many events a step produces.
public enum ReportStream {
    /// The report's form.
    public enum Format: Sendable {
        /// The text report, coloured with the style.
        case text(ANSIStyle)
        /// One JSON document (docs/json-output.md), with each address space's layout after every step.
        case json
    }

    /// Runs `scenario` and hands the report to `write` in pieces: the header, one piece per step, the totals. With
    /// `verbose` every event is its own record; otherwise repeated events are summarised as runs. Returns the
    /// report without its steps (totals, failures and the steps that could not run).
    public static func run(
        _ scenario: Scenario, format: Format, verbose: Bool = false, costs: CostModel = CostModel(),
        write: (String) -> Void
    ) -> RunReport {
        var json = false
        if case .json = format { json = true }
        let options = RunOptions(summarize: !verbose, layouts: json, keepSteps: false)
        var runner = ScenarioRunner(scenario: scenario, options: options)
        var cycles = 0.0
        var steps = 0
        switch format {
        case .text(let style):
            write(TextReport.header(RunReport(scenario: scenario), style: style).joined(separator: "\n") + "\n")
            let report = runner.run { step in
                cycles += costs.cycles(of: step)
                write(TextReport.block(step, style: style, costs: costs).map { $0 + "\n" }.joined())
            }
            write(TextReport.summary(report, style: style, cycles: cycles).joined(separator: "\n") + "\n")
            return report
        case .json:
            var head = "{\n"
            for (key, value) in JSONReport.header(RunReport(scenario: scenario)).sorted(by: { $0.key < $1.key }) {
                head += "  "
                JSONValue.writeString(key, to: &head)
                head += ": "
                value.write(to: &head, indent: 1)
                head += ",\n"
            }
            write(head + "  \"steps\": [")
            let report = runner.run { step in
                cycles += costs.cycles(of: step)
                var text = steps == 0 ? "\n    " : ",\n    "
                JSONReport.step(step, costs: costs).write(to: &text, indent: 2)
                steps += 1
                write(text)
            }
            var tail = steps == 0 ? "],\n  \"totals\": " : "\n  ],\n  \"totals\": "
            JSONReport.totals(report, cycles: cycles).write(to: &tail, indent: 1)
            write(tail + "\n}\n")
            return report
        }
    }
}
