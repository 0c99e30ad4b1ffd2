import MMHardware
import MMKernel

/// How a run records what happened.
public struct RunOptions: Hashable, Sendable {
    /// Fold repeated events (faults, flushes, tracepoints alike but for their address) into runs and keep at most
    /// `ScenarioRunner.recordsKept` records of each kind per step, so that memory grows with the steps, not the
    /// events. Off: one record per event (`--verbose`).
    public var summarize: Bool
    /// Record every address space's smaps layout after every step (`run --json`).
    public var layouts: Bool
    /// Keep each step's report in `RunReport.steps` (off when the caller streams them).
    public var keepSteps: Bool

    /// Options; the defaults keep every event and every step and collect no layouts.
    public init(summarize: Bool = false, layouts: Bool = false, keepSteps: Bool = true) {
        self.summarize = summarize
        self.layouts = layouts
        self.keepSteps = keepSteps
    }
}

/// Runs a parsed `Scenario` on a fresh `Machine` and records a `RunReport`. Runtime problems (a region whose mmap
/// failed, an address that overflows) become failed steps, never crashes.
public struct ScenarioRunner {
    /// The machine the scenario runs on.
    public internal(set) var machine: Machine
    /// The scenario.
    let scenario: Scenario
    /// How the run records.
    let options: RunOptions
    /// Threads by name.
    var tasks: [String: TaskID] = [:]
    /// Mapped regions by name: start and page-aligned length.
    var regions: [String: (start: UInt64, length: UInt64)] = [:]
    /// The report being built.
    var report: RunReport
    /// The tokens the last access step returned, one per completed access.
    var accessValues: [UInt64] = []
    /// Pages touched by access steps so far (bounded by `maxPagesPerRun`).
    var pagesTouched: UInt64 = 0

    /// Runs of one kind of event the machine keeps per step when summarising. More than the longest list an
    /// expectation can name (a scenario has at most 100,000 YAML nodes), so a `resolutions` or `flush_pages` check is
    /// exact even when the step's runs were cut: a cut list is longer than any expected one.
    public static let maxRunsPerStep = 1 << 17

    /// Records of each kind a summarised step keeps once its expectations are checked (the rest are counted).
    public static let recordsKept = 64

    /// Builds the machine, its threads and its files (in order, so that the files are descriptors 3, 4, ... of every
    /// call, as `Machine.fileID(forDescriptor:)` maps them).
    public init(scenario: Scenario, options: RunOptions = RunOptions()) {
        self.scenario = scenario
        self.options = options
        machine = Machine(config: scenario.config)
        report = RunReport(scenario: scenario)
        for spec in scenario.files {
            _ = machine.createFile(
                name: spec.name, sizePages: spec.sizePages, readable: spec.readable, writable: spec.writable,
                noexec: spec.noexec, sealWrite: spec.sealWrite, isShmem: spec.shmem)
        }
        for spec in scenario.threads {
            let cpu = CPUID(spec.cpu)
            if let process = spec.process, let leader = tasks[process] {
                tasks[spec.name] = machine.createThread(
                    name: spec.name, mm: machine.task(leader).mm, cpu: cpu, parent: leader)
            } else {
                tasks[spec.name] = machine.createProcess(name: spec.name, cpu: cpu)
            }
        }
        machine.trace.removeAll()
        machine.traceSummary = TraceSummary(
            merging: options.summarize, limit: options.summarize ? Self.maxRunsPerStep : Int.max)
    }

    /// Runs `scenario` from start to end on a fresh machine.
    public static func run(_ scenario: Scenario, options: RunOptions = RunOptions()) -> RunReport {
        var runner = ScenarioRunner(scenario: scenario, options: options)
        return runner.run()
    }

    /// Runs every step and returns the report; `onStep` receives each step's report as soon as it is complete
    /// (expectations checked), so that a caller can print it and let it go.
    public mutating func run(onStep: (StepReport) -> Void = { _ in }) -> RunReport {
        var previous: StepReport?
        for (offset, step) in scenario.steps.enumerated() {
            var record = execute(step, index: offset + 1)
            let subject = step.kind.isExpect ? previous : record
            record.expectations = step.expectations.compactMap { evaluate($0, step: record, subject: subject) }
            if options.layouts { record.layout = layouts() }
            // A following standalone `expect:` checks this step with every run the machine kept.
            if !step.kind.isExpect { previous = record }
            if options.summarize { record.keepRecords(Self.recordsKept) }
            report.add(record, keep: options.keepSteps)
            onStep(record)
        }
        return report
    }

    /// Runs one step, capturing its trace events and counter deltas.
    mutating func execute(_ step: Step, index: Int) -> StepReport {
        machine.trace.removeAll()
        machine.traceSummary?.removeAll()
        accessValues = []
        let before = machine.cpus.map(\.counters)
        var record = StepReport(
            index: index, line: step.location.line, keyword: step.keyword, thread: nil, cpu: nil, call: step.keyword,
            result: .none, note: step.note)
        record.isSyscall = step.isSyscall
        perform(step.kind, into: &record)
        record.cpus = machine.cpus.indices.map { index in
            delta(cpu: index, machine.cpus[index].counters - before[index])
        }
        if let summary = machine.traceSummary { fill(&record, from: summary) }
        machine.traceSummary?.removeAll()
        return record
    }

    /// Copies the step's events from the machine's summary into the report: every run as a record, and the exact
    /// counts.
    func fill(_ record: inout StepReport, from summary: TraceSummary) {
        record.faultCount = summary.faults.total
        record.omittedFaults = summary.faults.omitted
        record.faults = summary.faults.runs.map { run in
            let fault = run.first
            return FaultRecord(
                thread: machine.task(fault.task).name, cpu: fault.cpu.rawValue, address: fault.address,
                error: fault.error.description, resolution: fault.resolution.rawValue, count: run.count,
                stride: run.stride)
        }
        record.tracepointCount = summary.tracepoints.total
        record.omittedTracepoints = summary.tracepoints.omitted
        record.tracepoints = summary.tracepoints.runs.map { run in
            let event = run.first
            return TracepointRecord(
                cpu: event.cpu.rawValue, reason: event.reason.rawValue, reasonName: event.reason.name,
                pages: event.pages, count: run.count)
        }
        record.flushCount = summary.flushes.total
        record.omittedFlushes = summary.flushes.omitted
        record.flushes = summary.flushes.runs.map { run in
            var flush = Self.flushRecord(run.first)
            flush.count = run.count
            flush.stride = run.stride
            return flush
        }
    }

    /// A flush request with what `tlb:tlb_flush` showed for it.
    static func flushRecord(_ traced: TracedFlush) -> FlushRecord {
        let request = traced.request
        return FlushRecord(
            cpu: request.initiator.rawValue, start: request.start, pages: request.pages,
            strideShift: Int(request.strideShift), freedTables: request.freedTables,
            remote: request.remote.map(\.rawValue), local: traced.local, sendIPI: traced.sendIPI,
            received: traced.received.map { RemoteFlush(cpu: $0.cpu.rawValue, pages: $0.pages) })
    }

    /// Converts hardware counters to the report's delta.
    func delta(cpu: Int, _ counters: CPUCounters) -> CPUCounterDelta {
        var delta = CPUCounterDelta(cpu: cpu)
        delta.accesses = counters.accesses
        delta.tlbHits = counters.l1Hits + counters.stlbHits
        delta.tlbMisses = counters.misses
        delta.stlbHits = counters.stlbHits
        delta.walks = counters.walks
        delta.pageFaults = counters.pageFaults
        delta.invlpg = counters.invlpg
        delta.fullFlushes = counters.fullFlushes
        delta.ipisReceived = counters.ipisReceived
        delta.cr3Loads = counters.cr3Loads
        return delta
    }
}

extension Step.Kind {
    /// Whether this is a standalone `expect:` step.
    var isExpect: Bool {
        if case .expect = self { return true }
        return false
    }
}
