import MMKernel
import MMScenario

/// Renders a `RunReport` as one JSON document (schema in docs/json-output.md).
public enum JSONReport {
    /// The document as text: deterministic, keys sorted. `costs` prices the `cycles` figures.
    public static func render(_ report: RunReport, costs: CostModel = CostModel()) -> String {
        document(report, costs: costs).rendered()
    }

    /// The document as a value.
    public static func document(_ report: RunReport, costs: CostModel = CostModel()) -> JSONValue {
        var top = header(report)
        top["steps"] = .array(report.steps.map { step($0, costs: costs) })
        top["totals"] = totals(report, cycles: costs.cycles(of: report))
        return .object(top)
    }

    /// The top-level members that precede `steps` (all sort before it): the run's settings.
    static func header(_ report: RunReport) -> [String: JSONValue] {
        [
            "scheme": .string(report.scheme),
            "ceiling": .int(Int64(report.ceiling)),
            "mergeVMAs": .bool(report.mergeVMAs),
            "pti": .bool(report.pti),
            "file": .string(report.file),
            "cpus": .int(Int64(report.cpus)),
            "name": report.name.map(JSONValue.string) ?? .null,
        ]
    }

    /// The `totals` member; `cycles` is the sum of the steps' cycles.
    static func totals(_ report: RunReport, cycles: Double) -> JSONValue {
        let totals = report.totals
        return .object([
            "flushes": .int(Int64(totals.flushes)),
            "invlpg": .int(Int64(totals.invlpg)),
            "fullFlushes": .int(Int64(totals.fullFlushes)),
            "ipis": .int(Int64(totals.ipis)),
            "tlbMisses": .int(Int64(totals.tlbMisses)),
            "tlbHits": .int(Int64(totals.tlbHits)),
            "stlbHits": .int(Int64(totals.stlbHits)),
            "cycles": .int(CostModel.whole(cycles)),
            "walks": .int(Int64(totals.walks)),
            "faults": .int(Int64(totals.faults)),
            "expectationsPassed": .int(Int64(totals.expectationsPassed)),
            "expectationsFailed": .int(Int64(totals.expectationsFailed)),
        ])
    }

    /// One step.
    static func step(_ step: StepReport, costs: CostModel) -> JSONValue {
        var members: [String: JSONValue] = [
            "faultCount": .int(Int64(step.faultCount)),
            "flushCount": .int(Int64(step.flushCount)),
            "tracepointCount": .int(Int64(step.tracepointCount)),
            "omittedFaults": .int(Int64(step.omittedFaults)),
            "omittedFlushes": .int(Int64(step.omittedFlushes)),
            "omittedTracepoints": .int(Int64(step.omittedTracepoints)),
            "cycles": .int(CostModel.whole(costs.cycles(of: step))),
            "tracepoints": .array(step.tracepoints.map(tracepoint)),
            "index": .int(Int64(step.index)),
            "line": .int(Int64(step.line)),
            "kind": .string(step.keyword),
            "thread": step.thread.map(JSONValue.string) ?? .null,
            "cpu": step.cpu.map { .int(Int64($0)) } ?? .null,
            "call": .string(step.call),
            "result": result(step.result),
            "note": step.note.map(JSONValue.string) ?? .null,
            "faults": .array(step.faults.map(fault)),
            "flushes": .array(step.flushes.map(flush)),
            "cpus": .array(step.cpus.map(cpu)),
            "expectations": .array(step.expectations.map(expectation)),
        ]
        if let layout = step.layout { members["layout"] = .array(layout.map(addressSpace)) }
        return .object(members)
    }

    /// One address space after a step: its pid, threads and VMAs as smaps shows them.
    static func addressSpace(_ space: AddressSpaceLayout) -> JSONValue {
        .object([
            "pid": .int(Int64(space.pid)),
            "threads": .array(space.threads.map(JSONValue.string)),
            "vmas": .array(space.vmas.map(vma)),
        ])
    }

    /// One VMA: range, permissions, name, `Rss` and `AnonHugePages` in kB, `VmFlags`, and the protection key when
    /// the machine has them.
    static func vma(_ entry: SmapsEntry) -> JSONValue {
        var members: [String: JSONValue] = [
            "start": .string(hex(entry.start)), "end": .string(hex(entry.end)),
            "perms": .string(entry.permissions), "name": .string(entry.name),
            "rssKB": .int(Int64(entry.rss / 1024)), "anonHugePagesKB": .int(Int64(entry.anonHugePages / 1024)),
            "vmflags": .array(entry.vmFlags.map(JSONValue.string)),
        ]
        if let key = entry.protectionKey { members["protectionKey"] = .int(Int64(key)) }
        return .object(members)
    }

    /// A result: an integer, an errno name, a hex string, a signal object, an error object, or null.
    static func result(_ result: StepResult) -> JSONValue {
        switch result {
        case .none: return .null
        case .integer(let value): return .int(value)
        case .address(let value), .value(let value): return .string(hex(value))
        case .errno(let name): return .string(name)
        case .signal(let name, let code, let address):
            return .object(["signal": .string(name), "code": .string(code), "address": .string(hex(address))])
        case .error(let message): return .object(["error": .string(message)])
        }
    }

    /// A fault.
    static func fault(_ fault: FaultRecord) -> JSONValue {
        .object([
            "thread": .string(fault.thread), "cpu": .int(Int64(fault.cpu)), "address": .string(hex(fault.address)),
            "error": .string(fault.error), "resolution": .string(fault.resolution), "count": .int(Int64(fault.count)),
            "stride": .string(hex(fault.stride)),
        ])
    }

    /// A flush request.
    static func flush(_ flush: FlushRecord) -> JSONValue {
        .object([
            "cpu": .int(Int64(flush.cpu)), "start": .string(hex(flush.start)), "pages": .int(Int64(flush.pages)),
            "strideShift": .int(Int64(flush.strideShift)), "freedTables": .bool(flush.freedTables),
            "remote": .array(flush.remote.map { .int(Int64($0)) }),
            "local": flush.local.map { .int(Int64($0)) } ?? .null, "sendIPI": .bool(flush.sendIPI),
            "received": .array(
                flush.received.map { .object(["cpu": .int(Int64($0.cpu)), "pages": .int(Int64($0.pages))]) }),
            "count": .int(Int64(flush.count)), "stride": .string(hex(flush.stride)),
        ])
    }

    /// A `tlb:tlb_flush` event.
    static func tracepoint(_ event: TracepointRecord) -> JSONValue {
        .object([
            "cpu": .int(Int64(event.cpu)), "reason": .int(Int64(event.reason)), "reasonName": .string(event.reasonName),
            "pages": .int(Int64(event.pages)), "count": .int(Int64(event.count)),
        ])
    }

    /// One CPU's deltas.
    static func cpu(_ cpu: CPUCounterDelta) -> JSONValue {
        .object([
            "cpu": .int(Int64(cpu.cpu)), "accesses": .int(Int64(cpu.accesses)), "tlbHits": .int(Int64(cpu.tlbHits)),
            "tlbMisses": .int(Int64(cpu.tlbMisses)), "stlbHits": .int(Int64(cpu.stlbHits)),
            "walks": .int(Int64(cpu.walks)),
            "pageFaults": .int(Int64(cpu.pageFaults)), "invlpg": .int(Int64(cpu.invlpg)),
            "fullFlushes": .int(Int64(cpu.fullFlushes)), "ipisReceived": .int(Int64(cpu.ipisReceived)),
            "cr3Loads": .int(Int64(cpu.cr3Loads)),
        ])
    }

    /// An expectation outcome.
    static func expectation(_ outcome: ExpectationOutcome) -> JSONValue {
        .object([
            "line": .int(Int64(outcome.line)), "column": .int(Int64(outcome.column)), "check": .string(outcome.check),
            "expected": .string(outcome.expected), "actual": .string(outcome.actual), "passed": .bool(outcome.passed),
        ])
    }

    /// `0x` and lower-case hex.
    static func hex(_ value: UInt64) -> String { "0x" + String(value, radix: 16) }
}
