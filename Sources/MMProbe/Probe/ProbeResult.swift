/// One measured call of a probed scenario: what the kernel and the model did.
public struct CallProbe: Hashable, Sendable {
    /// 1-based step number in the scenario.
    public var step: Int
    /// The step's line in the scenario file.
    public var line: Int
    /// The call as the model's report writes it (model addresses).
    public var call: String
    /// The model's return value (`0`, `-1 EINVAL`, an address).
    public var modelResult: String
    /// The kernel's return value in the same notation (mmap addresses translated to the model's).
    public var kernelResult: String
    /// The model's flushes.
    public var model: [ProbeFlush]
    /// The kernel's flushes in the first run.
    public var kernel: [ProbeFlush]
    /// How many different kernel flush lists the repeated runs gave (1 = stable).
    public var kernelVariants: Int
    /// Every differing kernel flush list after the first, for the flakiness report.
    public var otherKernelRuns: [[ProbeFlush]]
    /// Page-population differences after the call (first run); nil if not compared.
    public var population: [String]?
    /// Whether the remote-send decision (and the pages sent) is compared (two threads).
    public var comparesRemote = true
    /// Harness failures in some run: flushes of the measuring thread inside the window but outside the measured
    /// system call, or the call's system-call events missing. Any makes the call disagree.
    public var harness: [String] = []
    /// Remarks that do not change agreement: the parent's copy-on-write flushes after a fork returned, foreign
    /// tasks on the other CPU while the second thread was parked.
    public var notes: [String] = []

    /// Creates a call's result.
    public init(
        step: Int, line: Int, call: String, modelResult: String, kernelResult: String, model: [ProbeFlush],
        kernel: [ProbeFlush], kernelVariants: Int = 1, otherKernelRuns: [[ProbeFlush]] = [],
        population: [String]? = nil, comparesRemote: Bool = true
    ) {
        self.step = step
        self.line = line
        self.call = call
        self.modelResult = modelResult
        self.kernelResult = kernelResult
        self.model = model
        self.kernel = kernel
        self.kernelVariants = kernelVariants
        self.otherKernelRuns = otherKernelRuns
        self.population = population
        self.comparesRemote = comparesRemote
    }

    /// The differences in flushes and return value, one sentence each.
    public var differences: [String] {
        var result = FlushAgreement.differences(kernel: kernel, model: model, remote: comparesRemote)
        if kernelResult != modelResult { result.append("kernel returned \(kernelResult), model \(modelResult)") }
        if kernelVariants > 1 { result.append("kernel results varied over the runs (\(kernelVariants) variants)") }
        return result + harness
    }

    /// Whether flushes, decision and return value agree, and the kernel was stable over the runs.
    public var agree: Bool { differences.isEmpty }

    /// Whether page population agrees (true if not compared).
    public var populationAgrees: Bool { population?.isEmpty ?? true }
}

/// The probe of one scenario.
public struct ShapeProbe: Hashable, Sendable {
    /// The scenario's name (built-in name or file).
    public var name: String
    /// One line describing it, if known.
    public var summary: String?
    /// Why it could not be run on the real kernel, if so.
    public var notProbeable: String?
    /// A failure while running it for real (e.g. an mmap that could not be placed), if any.
    public var error: String?
    /// The measured calls, in order.
    public var calls: [CallProbe] = []
    /// How many times it ran on the kernel.
    public var repeats = 0
    /// Whether the second thread ran as `SCHED_FIFO` (nil: single thread).
    public var spinnerFIFO: Bool?

    /// Creates a result.
    public init(name: String, summary: String? = nil, notProbeable: String? = nil, error: String? = nil) {
        self.name = name
        self.summary = summary
        self.notProbeable = notProbeable
        self.error = error
    }

    /// Whether the kernel's results differed between runs.
    public var flaky: Bool { calls.contains { $0.kernelVariants > 1 } }

    /// Whether it was run and every call agreed.
    public var agree: Bool { notProbeable == nil && error == nil && calls.allSatisfy(\.agree) }

    /// Whether page population agreed after every call.
    public var populationAgrees: Bool { calls.allSatisfy(\.populationAgrees) }
}

/// A whole probe run: settings and every scenario's result.
public struct ProbeReport: Hashable, Sendable {
    /// The scenarios, in the order given.
    public var shapes: [ShapeProbe]
    /// Threads used (1 or 2).
    public var threads: Int
    /// Runs per scenario.
    public var repeats: Int
    /// The model's settings, e.g. `scheme merged, ceiling 33, merge-vmas, no pti`.
    public var model: String
    /// The kernel release.
    public var kernel: String

    /// Creates a report.
    public init(shapes: [ShapeProbe], threads: Int, repeats: Int, model: String, kernel: String) {
        self.shapes = shapes
        self.threads = threads
        self.repeats = repeats
        self.model = model
        self.kernel = kernel
    }

    /// Whether every scenario that could run agreed (not probeable ones do not count).
    public var allAgree: Bool { shapes.allSatisfy { $0.agree || $0.notProbeable != nil } }
}
