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
    /// One report per step, in order.
    public var steps: [StepReport] = []

    /// Creates an empty report.
    public init(file: String, name: String?, cpus: Int) {
        self.file = file
        self.name = name
        self.cpus = cpus
    }

    /// Sums over all steps.
    public var totals: Totals {
        var totals = Totals()
        for step in steps {
            totals.flushes += step.flushes.count
            totals.faults += step.faults.count
            for cpu in step.cpus {
                totals.invlpg += cpu.invlpg
                totals.fullFlushes += cpu.fullFlushes
                totals.ipis += cpu.ipisReceived
                totals.tlbMisses += cpu.tlbMisses
                totals.tlbHits += cpu.tlbHits
                totals.stlbHits += cpu.stlbHits
                totals.walks += cpu.walks
            }
            for outcome in step.expectations {
                if outcome.passed { totals.expectationsPassed += 1 } else { totals.expectationsFailed += 1 }
            }
        }
        return totals
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
    /// Page faults taken, in order.
    public var faults: [FaultRecord] = []
    /// Every `tlb:tlb_flush` event of the step, in order (task-switch flushes included).
    public var tracepoints: [TracepointRecord] = []
    /// `flush_tlb_mm_range()` calls, in order.
    public var flushes: [FlushRecord] = []
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
