import MMHost
import MMKernel

/// The driver of `mmsim conform`: generates sequences, runs each on the real kernel (a worker process) and on
/// the model, compares result and layout after every call, and shrinks each difference to a reproducer.
public struct ConformRunner {
    /// The seed of the run.
    public var seed: UInt64
    /// Calls to compare in total (the run stops at the first sequence boundary at or past this).
    public var calls: Int
    /// Calls per sequence (one worker process and one fresh window each).
    public var callsPerSequence = 50
    /// Every this many sequences one is a near-`max_map_count` sequence (0: none).
    public var nearLimitEvery = 10
    /// The worker command: executable and arguments (e.g. `/proc/self/exe conform-worker`).
    public var workerExecutable: String
    /// Arguments of the worker command.
    public var workerArguments: [String]
    /// The host profile (kernel release, `max_map_count`) and the model configuration made from it.
    public var profile: HostProfile
    /// The model configuration (normally `profile.kernelConfig`).
    public var config: KernelConfig

    /// A runner for `seed` and `calls` with the worker command and profile.
    public init(seed: UInt64, calls: Int, workerExecutable: String, workerArguments: [String], profile: HostProfile) {
        self.seed = seed
        self.calls = calls
        self.workerExecutable = workerExecutable
        self.workerArguments = workerArguments
        self.profile = profile
        self.config = profile.kernelConfig
        if HostFile.exists(path: "/sys/kernel/mm/hugepages/hugepages-1048576kB") { config.hugePageShifts.insert(30) }
    }

    /// How one sequence went on both sides.
    public struct Outcome: Sendable {
        /// Calls compared.
        public var compared = 0
        /// Index of the first call whose observations differ.
        public var differenceAt: Int?
        /// The kernel's observations, in call order.
        public var kernel: [ConformObservation] = []
        /// The model's observations, in call order.
        public var model: [ConformObservation] = []
        /// The window the worker used.
        public var window: ConformWindow?
        /// Why the sequence could not be (fully) compared, if it could not.
        public var problem: String?
    }

    /// A difference, shrunk.
    public struct Difference: Sendable {
        /// The sequence as generated.
        public var original: ConformSequence
        /// The shrunk sequence.
        public var shrunk: ConformSequence
        /// Its outcome (the last call is where the sides differ).
        public var outcome: Outcome
        /// The reproducer text (a scenario, or an op list).
        public var reproducer: String
        /// The reproducer's file name.
        public var fileName: String
    }

    /// The whole run.
    public struct Report: Sendable {
        /// Calls compared.
        public var calls = 0
        /// Sequences run.
        public var sequences = 0
        /// The differences found.
        public var differences: [Difference] = []
        /// Worker crashes and other sequences that could not be compared.
        public var problems: [String] = []
        /// What the compared calls exercised, on both sides.
        public var coverage = ConformCoverage()

        /// `N calls compared, M differences`.
        public var summary: String { "\(calls) calls compared, \(differences.count) differences" }
    }

    /// The generator of this run: commit-limit mmaps only under overcommit modes 0 and 2 (mode 1 would grant them).
    public var generator: ConformGenerator {
        let limit = UInt64(config.ramFrames + config.swapFrames)
        return ConformGenerator(
            seed: seed, maxMapCount: profile.maxMapCount ?? config.maxMapCount,
            commitLimitPages: config.overcommitMode == 1 ? nil : limit)
    }

    /// Runs sequences until `calls` calls are compared; `progress` gets a line per difference or problem, and
    /// `sequenceDone` the calls compared so far after every sequence (for a progress line).
    public func run(progress: (String) -> Void = { _ in }, sequenceDone: (Int) -> Void = { _ in }) -> Report {
        var report = Report()
        var index = 0
        while report.calls < calls {
            let kind: ConformSequence.Kind =
                nearLimitEvery > 0 && index % nearLimitEvery == nearLimitEvery / 2 ? .nearMaxMapCount : .normal
            let count = min(callsPerSequence, max(calls - report.calls, 1))
            let sequence = generator.sequence(index: index, kind: kind, count: count)
            index += 1
            report.sequences += 1
            let outcome = compare(sequence)
            report.calls += outcome.compared
            for index in 0..<outcome.compared {
                report.coverage.record(
                    sequence.calls[index], kernel: outcome.kernel[index].result, model: outcome.model[index].result)
            }
            sequenceDone(report.calls)
            if let problem = outcome.problem {
                report.problems.append("sequence \(sequence.index) (\(sequence.kind.rawValue)): \(problem)")
                progress("problem: sequence \(sequence.index): \(problem)")
                if outcome.compared == 0 && report.problems.count >= 3 && report.calls == 0 { break }
            }
            if outcome.differenceAt != nil {
                let difference = shrink(sequence, outcome)
                report.differences.append(difference)
                progress(
                    "difference: sequence \(sequence.index), \(difference.shrunk.calls.count) calls after shrinking")
            }
        }
        return report
    }

    /// Runs `sequence` on both sides, comparing after every call, stopping at the first difference.
    public func compare(_ sequence: ConformSequence) -> Outcome {
        var outcome = Outcome()
        let host: ConformHostSession
        do {
            host = try ConformHostSession(
                executable: workerExecutable, arguments: workerArguments, pages: sequence.pages,
                layoutFromPage: sequence.layoutFromPage, layoutPages: sequence.layoutPages)
        } catch {
            outcome.problem = "worker did not start: \(error)"
            return outcome
        }
        defer { host.finish() }
        outcome.window = host.window
        var modelConfig = config
        modelConfig.maxMapCount = host.maxMapCount - host.outsideAtStart
        modelConfig.memlockLimit = host.memlockLimit
        modelConfig.capIPCLock = host.capIPCLock
        var model: ConformModelSession
        do {
            model = try ConformModelSession(config: modelConfig, window: host.window, fileSystem: host.fileSystem)
        } catch {
            outcome.problem = "model window setup failed: \(error)"
            return outcome
        }
        for (index, call) in sequence.calls.enumerated() {
            let kernel: ConformObservation
            do {
                kernel = try host.run(call).observation
            } catch {
                outcome.problem = "\(error)"
                return outcome
            }
            let modelled = model.run(call)
            outcome.kernel.append(kernel)
            outcome.model.append(modelled)
            outcome.compared += 1
            if kernel != modelled {
                outcome.differenceAt = index
                return outcome
            }
        }
        return outcome
    }

    /// Shrinks a differing sequence and writes its reproducer text.
    func shrink(_ sequence: ConformSequence, _ outcome: Outcome) -> Difference {
        let prefix = Array(sequence.calls.prefix(outcome.differenceAt! + 1))
        let calls = ConformShrinker.shrink(prefix, budget: 300) { candidate in
            compare(sequence.with(calls: candidate)).differenceAt != nil
        }
        var shrunk = sequence.with(calls: calls)
        var final = compare(shrunk)
        if final.differenceAt == nil {
            shrunk = sequence.with(calls: prefix)
            final = compare(shrunk)
        }
        if let last = final.differenceAt { shrunk.calls = Array(shrunk.calls.prefix(last + 1)) }
        let name = "conform-seed\(seed)-seq\(sequence.index)"
        let reproducer: String
        let fileName: String
        if sequence.kind == .normal, let window = final.window {
            reproducer = ConformScenarioWriter.scenario(
                sequence: shrunk, window: window, kernel: final.kernel, seed: seed, profile: profile,
                machineYAML: profile.machineYAML)
            fileName = name + ".yaml"
        } else {
            reproducer = ConformScenarioWriter.opList(sequence: shrunk, kernel: final.kernel, model: final.model)
            fileName = name + ".ops"
        }
        return Difference(
            original: sequence, shrunk: shrunk, outcome: final, reproducer: reproducer, fileName: fileName)
    }
}
