import MMHardware
import MMKernel

/// Runs a parsed `Scenario` on a fresh `Machine` and records a `RunReport`. Runtime problems (a region whose mmap
/// failed, an address that overflows) become failed steps, never crashes.
public struct ScenarioRunner {
    /// The machine the scenario runs on.
    public internal(set) var machine: Machine
    /// The scenario.
    let scenario: Scenario
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

    /// Builds the machine, its threads and its files (in order, so that the files are descriptors 3, 4, ... of every
    /// call, as `Machine.fileID(forDescriptor:)` maps them).
    public init(scenario: Scenario) {
        self.scenario = scenario
        machine = Machine(config: scenario.config)
        report = RunReport(file: scenario.file, name: scenario.name, cpus: scenario.config.cpus)
        report.scheme = scenario.config.scheme.rawValue
        report.ceiling = scenario.config.flushCeiling
        report.mergeVMAs = scenario.config.mergeVMAs
        report.pti = scenario.config.pti
        for spec in scenario.files {
            _ = machine.createFile(
                name: spec.name, sizePages: spec.sizePages, readable: spec.readable, writable: spec.writable,
                noexec: spec.noexec, sealWrite: spec.sealWrite, isShmem: spec.shmem)
        }
        for spec in scenario.threads {
            let cpu = CPUID(spec.cpu)
            if let process = spec.process, let leader = tasks[process] {
                tasks[spec.name] = machine.createThread(name: spec.name, mm: machine.task(leader).mm, cpu: cpu)
            } else {
                tasks[spec.name] = machine.createProcess(name: spec.name, cpu: cpu)
            }
        }
        machine.trace.removeAll()
    }

    /// Runs `scenario` from start to end on a fresh machine.
    public static func run(_ scenario: Scenario) -> RunReport {
        var runner = ScenarioRunner(scenario: scenario)
        return runner.run()
    }

    /// Runs every step and returns the report.
    public mutating func run() -> RunReport {
        var previous: StepReport?
        for (offset, step) in scenario.steps.enumerated() {
            var record = execute(step, index: offset + 1)
            let subject = step.kind.isExpect ? previous : record
            record.expectations = step.expectations.compactMap { evaluate($0, step: record, subject: subject) }
            if !step.kind.isExpect { previous = record }
            report.steps.append(record)
        }
        return report
    }

    /// Runs one step, capturing its trace events and counter deltas.
    mutating func execute(_ step: Step, index: Int) -> StepReport {
        machine.trace.removeAll()
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
        var pending: [TracepointRecord] = []
        for event in machine.trace {
            switch event {
            case .tlbFlush(let cpu, let reason, let pages):
                let tracepoint = TracepointRecord(
                    cpu: cpu.rawValue, reason: reason.rawValue, reasonName: reason.name, pages: pages)
                record.tracepoints.append(tracepoint)
                if reason != .taskSwitch { pending.append(tracepoint) }
            case .pageFault(let task, let cpu, let address, let error, let resolution):
                record.faults.append(
                    FaultRecord(
                        thread: machine.task(task).name, cpu: cpu.rawValue, address: address,
                        error: error.description, resolution: resolution.rawValue))
            case .flushRequest(let request):
                record.flushes.append(Self.flushRecord(request, tracepoints: pending))
                pending = []
            default: break
            }
        }
        machine.trace.removeAll()
        return record
    }

    /// A flush request with the `tlb:tlb_flush` events it caused (those recorded since the previous request).
    static func flushRecord(_ request: FlushRequest, tracepoints: [TracepointRecord]) -> FlushRecord {
        var flush = FlushRecord(
            cpu: request.initiator.rawValue, start: request.start, pages: request.pages,
            strideShift: Int(request.strideShift), freedTables: request.freedTables,
            remote: request.remote.map(\.rawValue))
        for event in tracepoints {
            switch FlushReason(rawValue: event.reason) {
            case .localMMShootdown where event.cpu == flush.cpu: flush.local = event.pages
            case .remoteSendIPI: flush.sendIPI = true
            case .remoteShootdown: flush.received.append(RemoteFlush(cpu: event.cpu, pages: event.pages))
            default: break
            }
        }
        return flush
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
