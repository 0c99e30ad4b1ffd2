import MMProbe

/// Renders a `ProbeReport` as one JSON document: `{"shapes": [{"name", "agree", "kernel": [flushes],
/// "model": [flushes], "calls": [...], "population": {...}}], "summary": {...}, ...}`, flushes in `run --json`'s
/// flush shape (`cpu`, `pages`, `strideShift` — null for the kernel, whose events do not tell — and `remote`).
public enum ProbeJSONReport {
    /// The document as text.
    public static func render(_ report: ProbeReport) -> String {
        document(report).rendered()
    }

    /// The document as a value.
    public static func document(_ report: ProbeReport) -> JSONValue {
        let summary = ProbeSummary(report)
        return .object([
            "kernel": .string(report.kernel),
            "model": .string(report.model),
            "threads": .int(Int64(report.threads)),
            "repeats": .int(Int64(report.repeats)),
            "agree": .bool(report.allAgree),
            "shapes": .array(report.shapes.map(shape)),
            "summary": .object([
                "shapes": .int(Int64(summary.shapes)), "agree": .int(Int64(summary.agree)),
                "disagree": .int(Int64(summary.disagree)), "notProbeable": .int(Int64(summary.notProbeable)),
                "flaky": .int(Int64(summary.flaky)), "populationAgree": .int(Int64(summary.populationAgree)),
                "calls": .int(Int64(summary.calls)), "callsAgree": .int(Int64(summary.callsAgree)),
            ]),
        ])
    }

    /// One scenario.
    static func shape(_ shape: ShapeProbe) -> JSONValue {
        let mismatches = shape.calls.flatMap { call in (call.population ?? []).map { "step \(call.step): \($0)" } }
        return .object([
            "name": .string(shape.name),
            "summary": shape.summary.map(JSONValue.string) ?? .null,
            "agree": .bool(shape.agree),
            "probeable": .bool(shape.notProbeable == nil),
            "reason": shape.notProbeable.map(JSONValue.string) ?? .null,
            "error": shape.error.map(JSONValue.string) ?? .null,
            "flaky": .bool(shape.flaky),
            "repeats": .int(Int64(shape.repeats)),
            "spinnerFIFO": shape.spinnerFIFO.map(JSONValue.bool) ?? .null,
            "kernel": .array(shape.calls.flatMap(\.kernel).map(flush)),
            "model": .array(shape.calls.flatMap(\.model).map(flush)),
            "calls": .array(shape.calls.map(call)),
            "population": .object([
                "agree": .bool(shape.populationAgrees), "mismatches": .array(mismatches.map(JSONValue.string)),
            ]),
        ])
    }

    /// One measured call.
    static func call(_ call: CallProbe) -> JSONValue {
        .object([
            "step": .int(Int64(call.step)),
            "line": .int(Int64(call.line)),
            "call": .string(call.call),
            "agree": .bool(call.agree),
            "kernelResult": .string(call.kernelResult),
            "modelResult": .string(call.modelResult),
            "kernel": .array(call.kernel.map(flush)),
            "model": .array(call.model.map(flush)),
            "kernelVariants": .int(Int64(call.kernelVariants)),
            "otherKernelRuns": .array(call.otherKernelRuns.map { .array($0.map(flush)) }),
            "differences": .array(call.differences.map(JSONValue.string)),
            "notes": .array(call.notes.map(JSONValue.string)),
            "population": call.population.map {
                .object(["agree": .bool($0.isEmpty), "mismatches": .array($0.map(JSONValue.string))])
            } ?? .null,
        ])
    }

    /// One flush in `run --json`'s shape plus the kernel's decision and deliveries.
    static func flush(_ flush: ProbeFlush) -> JSONValue {
        .object([
            "cpu": .int(Int64(flush.cpu)),
            "pages": .int(Int64(flush.pages)),
            "strideShift": flush.strideShift.map { .int(Int64($0)) } ?? .null,
            "remote": .array(flush.remote.map { .int(Int64($0)) }),
            "sendIPI": .bool(flush.sendIPI),
            "sentPages": flush.sentPages.map { .int(Int64($0)) } ?? .null,
            "received": .array(flush.received.map { .int(Int64($0)) }),
        ])
    }
}
