import MMKernel

/// What running a scenario produced: per step the call, its result, what the hardware and kernel did, and the
/// outcome of each expectation; then totals. Renderers (text, JSON) live in MMReport.
public struct RunReport: Sendable {
    /// The TLB-flush scheme used when neither the file nor the command line names one.
    public static let defaultScheme = "merged"

    /// The flush scheme the run used (`before`, `seed` or `merged`).
    public var scheme: String = RunReport.defaultScheme
    /// `tlb_single_page_flush_ceiling` of the run.
    public var ceiling: UInt64 = 33
    /// Whether the mmu_gather merged VMAs (`CONFIG_MMU_GATHER_MERGE_VMAS`).
    public var mergeVMAs = true
    /// Whether page-table isolation doubled the flushes.
    public var pti = false
    /// The scenario's file name.
    public var file: String
    /// The scenario's `name:`, if any.
    public var name: String?
    /// Number of simulated CPUs.
    public var cpus: Int
    /// One report per step, in order (empty when the run streamed its steps without keeping them).
    public var steps: [StepReport] = []
    /// Sums over every step run so far (kept whether or not `steps` is).
    public internal(set) var totals = Totals()
    /// The steps that could not run (an address that overflows, a region whose mmap failed), in order.
    public internal(set) var stepErrors: [StepError] = []

    /// Creates an empty report.
    public init(file: String, name: String?, cpus: Int) {
        self.file = file
        self.name = name
        self.cpus = cpus
    }

    /// The empty report of a run of `scenario`: its file, name and machine settings, no steps yet.
    public init(scenario: Scenario) {
        self.init(file: scenario.file, name: scenario.name, cpus: scenario.config.cpus)
        scheme = scenario.config.scheme.rawValue
        ceiling = scenario.config.flushCeiling
        mergeVMAs = scenario.config.mergeVMAs
        pti = scenario.config.pti
    }

    /// Adds `step` to the totals (and to `steps` if `keep`).
    public mutating func add(_ step: StepReport, keep: Bool = true) {
        totals.add(step)
        if case .error(let message) = step.result {
            stepErrors.append(StepError(index: step.index, line: step.line, keyword: step.keyword, message: message))
        }
        if keep { steps.append(step) }
    }

    /// Expectations that failed: the scenario's failure count.
    public var failures: Int { totals.expectationsFailed }
}

/// Sums over a run.
public struct Totals: Hashable, Sendable {
    /// `flush_tlb_mm_range()` calls.
    public var flushes = 0
    /// INVLPG instructions.
    public var invlpg = 0
    /// Full TLB flushes.
    public var fullFlushes = 0
    /// Flush IPIs received.
    public var ipis = 0
    /// TLB misses.
    public var tlbMisses = 0
    /// TLB hits.
    public var tlbHits = 0
    /// Of the hits, those served by the second-level TLB.
    public var stlbHits = 0
    /// Page walks.
    public var walks = 0
    /// Page faults handled.
    public var faults = 0
    /// Expectations that held.
    public var expectationsPassed = 0
    /// Expectations that failed.
    public var expectationsFailed = 0

    /// Adds one step's figures.
    mutating func add(_ step: StepReport) {
        flushes += step.flushCount
        faults += step.faultCount
        for cpu in step.cpus {
            invlpg += cpu.invlpg
            fullFlushes += cpu.fullFlushes
            ipis += cpu.ipisReceived
            tlbMisses += cpu.tlbMisses
            tlbHits += cpu.tlbHits
            stlbHits += cpu.stlbHits
            walks += cpu.walks
        }
        for outcome in step.expectations {
            if outcome.passed { expectationsPassed += 1 } else { expectationsFailed += 1 }
        }
    }
}

/// A step that could not be performed: bad input found at run time.
public struct StepError: Hashable, Sendable {
    /// 1-based step number.
    public var index: Int
    /// The step's line in the file.
    public var line: Int
    /// The step's keyword.
    public var keyword: String
    /// Why it could not run.
    public var message: String
}

/// One step's record.
public struct StepReport: Sendable {
    /// 1-based step number.
    public var index: Int
    /// The step's line in the file.
    public var line: Int
    /// `mmap`, `write`, `expect`, ...
    public var keyword: String
    /// The thread that ran it, if any.
    public var thread: String?
    /// That thread's CPU (or the idling CPU).
    public var cpu: Int?
    /// strace-like text of the call.
    public var call: String
    /// What it returned.
    public var result: StepResult
    /// The scenario's explanation of the step.
    public var note: String?
    /// Whether the step is a syscall (the cost model charges its fixed cost).
    public var isSyscall = false
    /// Page faults taken, in order: one record per fault, or per run of faults when the run summarises (a record's
    /// `count`); possibly cut short (`omittedFaults`).
    public var faults: [FaultRecord] = []
    /// Every `tlb:tlb_flush` event of the step, in order (task-switch flushes included), as `faults` are.
    public var tracepoints: [TracepointRecord] = []
    /// `flush_tlb_mm_range()` calls, in order, as `faults` are.
    public var flushes: [FlushRecord] = []
    /// Page faults handled: exact, whatever the records keep.
    public var faultCount = 0
    /// `flush_tlb_mm_range()` calls: exact.
    public var flushCount = 0
    /// `tlb:tlb_flush` events: exact.
    public var tracepointCount = 0
    /// Faults after the last fault record (counted, not kept).
    public var omittedFaults = 0
    /// Flushes after the last flush record.
    public var omittedFlushes = 0
    /// Tracepoints after the last tracepoint record.
    public var omittedTracepoints = 0
    /// Every live address space after the step, as /proc/PID/smaps shows it; nil unless the run collects layouts.
    public var layout: [AddressSpaceLayout]?
    /// Counter deltas of every CPU, in CPU order.
    public var cpus: [CPUCounterDelta] = []
    /// Expectation outcomes, in the order written.
    public var expectations: [ExpectationOutcome] = []
}

/// What a step returned.
public enum StepResult: Hashable, Sendable {
    /// Nothing (idle, expect).
    case none
    /// A syscall's integer return (0, or a pid).
    case integer(Int64)
    /// An address (mmap).
    case address(UInt64)
    /// A syscall error.
    case errno(String)
    /// The token of the last access.
    case value(UInt64)
    /// The signal an access raised.
    case signal(name: String, code: String, address: UInt64)
    /// The step could not run (an undefined region, an address overflow); the message says why.
    case error(String)

    /// Short text: `0`, `0x7f...`, `EINVAL`, `SIGSEGV (SEGV_ACCERR)`.
    public var text: String {
        switch self {
        case .none: return ""
        case .integer(let value): return "\(value)"
        case .address(let value), .value(let value): return "0x" + String(value, radix: 16)
        case .errno(let name): return "-1 \(name)"
        case .signal(let name, let code, let address):
            return "\(name) {si_code=\(code), si_addr=0x\(String(address, radix: 16))}"
        case .error(let message): return "error: \(message)"
        }
    }
}

/// A page fault as the report shows it.
public struct FaultRecord: Hashable, Sendable {
    /// The faulting thread's name.
    public var thread: String
    /// The CPU it ran on.
    public var cpu: Int
    /// The faulting address.
    public var address: UInt64
    /// The x86 error code, e.g. `WRITE|USER`.
    public var error: String
    /// How the kernel resolved it (`zero-page`, `anon`, `cow`, ...).
    public var resolution: String
    /// How many faults the record stands for: `count` faults alike but for the address, at `address`,
    /// `address + stride`, ... (1 unless the run summarises).
    public var count = 1
    /// The address step between the faults of the record (0 for a single fault).
    public var stride: UInt64 = 0
}

/// One `flush_tlb_mm_range()` call.
public struct FlushRecord: Hashable, Sendable {
    /// The initiating CPU.
    public var cpu: Int
    /// Start of the range.
    public var start: UInt64
    /// INVLPGs per CPU, or -1 for a full flush.
    public var pages: Int
    /// log2 of the stride.
    public var strideShift: Int
    /// Whether page tables were freed.
    public var freedTables: Bool
    /// CPUs that received an IPI.
    public var remote: [Int]
    /// The initiator's own flush as `tlb:tlb_flush` reason 3 shows it (INVLPGs or -1), nil if it did not flush
    /// (its TLB already current, or the mm not loaded there).
    public var local: Int?
    /// Whether the kernel decided to send the flush to other CPUs of `mm_cpumask` (reason 4, "remote ipi send").
    public var sendIPI = false
    /// Each remote CPU's received flush (reason 1, "remote shootdown"), in delivery order.
    public var received: [RemoteFlush] = []
    /// How many flushes the record stands for, alike but for `start`, which advances by `stride`.
    public var count = 1
    /// The step of `start` between the flushes of the record.
    public var stride: UInt64 = 0
}

/// A remote CPU's part of a flush, as `tlb:tlb_flush` reason 1 shows it.
public struct RemoteFlush: Hashable, Sendable {
    /// The CPU that ran the flush.
    public var cpu: Int
    /// INVLPGs it executed, or -1 for a full flush.
    public var pages: Int
}

/// One `tlb:tlb_flush` event: the CPU, the reason (the kernel's `enum tlb_flush_reason` value) and pages.
public struct TracepointRecord: Hashable, Sendable {
    /// The CPU the event fired on.
    public var cpu: Int
    /// The raw reason: 0 task switch, 1 remote shootdown, 3 local mm shootdown, 4 remote ipi send, 5 wrong CPU.
    public var reason: Int
    /// The reason's name as the tracepoint prints it.
    public var reasonName: String
    /// INVLPGs, or -1 for a full flush.
    public var pages: Int
    /// How many identical consecutive events the record stands for.
    public var count = 1
}

/// One CPU's counter deltas over a step.
public struct CPUCounterDelta: Hashable, Sendable {
    /// The CPU.
    public var cpu: Int
    /// User accesses executed.
    public var accesses = 0
    /// TLB hits (L1 and STLB).
    public var tlbHits = 0
    /// TLB misses.
    public var tlbMisses = 0
    /// Of the hits, those served by the second-level TLB.
    public var stlbHits = 0
    /// Page walks.
    public var walks = 0
    /// Hardware page faults raised.
    public var pageFaults = 0
    /// INVLPGs executed.
    public var invlpg = 0
    /// Full flushes.
    public var fullFlushes = 0
    /// Flush IPIs received.
    public var ipisReceived = 0
    /// CR3 loads.
    public var cr3Loads = 0

    /// Whether every counter is zero.
    public var isZero: Bool {
        accesses == 0 && tlbHits == 0 && tlbMisses == 0 && walks == 0 && pageFaults == 0 && invlpg == 0
            && fullFlushes == 0 && ipisReceived == 0 && cr3Loads == 0
    }
}

/// One expectation's outcome.
public struct ExpectationOutcome: Hashable, Sendable {
    /// Line of the expectation's key.
    public var line: Int
    /// Column of the expectation's key.
    public var column: Int
    /// What was checked: `result`, `value`, `signal`, `layout`, `flushes`, ...
    public var check: String
    /// The expected value as text.
    public var expected: String
    /// The observed value as text.
    public var actual: String
    /// Whether it held.
    public var passed: Bool
}

extension StepReport {
    /// Keeps the first `limit` records of each kind and counts the events of the others as omitted, so that a kept
    /// report costs the same for a step of ten faults and one of ten million.
    public mutating func keepRecords(_ limit: Int) {
        if faults.count > limit {
            omittedFaults += faults[limit...].reduce(0) { $0 + $1.count }
            faults = Array(faults.prefix(limit))
        }
        if flushes.count > limit {
            omittedFlushes += flushes[limit...].reduce(0) { $0 + $1.count }
            flushes = Array(flushes.prefix(limit))
        }
        if tracepoints.count > limit {
            omittedTracepoints += tracepoints[limit...].reduce(0) { $0 + $1.count }
            tracepoints = Array(tracepoints.prefix(limit))
        }
    }
}
