import MMProbe

/// Counts over a probe run, shared by the text and JSON reports.
struct ProbeSummary {
    /// Scenarios probed.
    var shapes = 0
    /// Scenarios whose every call agreed.
    var agree = 0
    /// Scenarios that ran and disagreed (or failed to run).
    var disagree = 0
    /// Scenarios that could not run on the real kernel.
    var notProbeable = 0
    /// Scenarios whose kernel results varied between runs.
    var flaky = 0
    /// Scenarios that ran whose page population agreed after every call.
    var populationAgree = 0
    /// Measured calls.
    var calls = 0
    /// Measured calls that agreed.
    var callsAgree = 0

    /// Counts `report`.
    init(_ report: ProbeReport) {
        shapes = report.shapes.count
        for shape in report.shapes {
            if shape.notProbeable != nil {
                notProbeable += 1
                continue
            }
            if shape.agree { agree += 1 } else { disagree += 1 }
            if shape.flaky { flaky += 1 }
            if shape.error == nil && shape.populationAgrees { populationAgree += 1 }
            calls += shape.calls.count
            callsAgree += shape.calls.filter(\.agree).count
        }
    }
}
