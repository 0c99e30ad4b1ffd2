import Glibc
import MMHost
import MMKernel
import MMScenario

/// The flush oracle: runs scenarios on this machine's kernel under `tlb:tlb_flush` and on the model, and compares
/// each measured call. Owns one private trace instance for its lifetime; call
/// ``close()`` when done (it is also removed at exit or on SIGINT/SIGTERM/SIGHUP).
public final class FlushProbe {
    /// How to probe.
    public let options: ProbeOptions
    /// The tracefs mount.
    let tracefs: Tracefs
    /// The private instance.
    public let instance: TraceInstance
    /// The next marker number.
    var nextMarker = 1

    /// Opens tracefs (mounting it if needed) and creates the instance; throws if tracefs is unusable.
    public init(options: ProbeOptions = ProbeOptions()) throws(TracefsError) {
        self.options = options
        tracefs = try Tracefs()
        do {
            instance = try TraceInstance(tracefs: tracefs, pids: [HostThread.tid()])
        } catch {
            tracefs.close()
            throw error
        }
    }

    /// Removes the instance and unmounts tracefs if this probe mounted it.
    public func close() {
        instance.remove()
        tracefs.close()
    }

    /// Probes `scenario` (already parsed) under the name `name`.
    public func probe(_ scenario: Scenario, name: String, summary: String? = nil) -> ShapeProbe {
        var shape = ShapeProbe(name: name, summary: summary)
        let model: Scenario
        do {
            model = try options.modelScenario(scenario)
        } catch {
            shape.error = error.description
            return shape
        }
        let report = ScenarioRunner.run(model)
        let plan: ProbePlan
        do {
            plan = try ProbePlan.make(model, report: report, threads: options.threads)
        } catch {
            shape.notProbeable = error.reason
            return shape
        }
        var runs: [RealRun] = []
        var windows: [[Int: KernelWindow]] = []
        var noise: [[Int: [String]]] = []
        let executor = RealExecutor(
            plan: plan, instance: instance, modelBase: model.config.mmapBase, population: options.population,
            modelResults: report.steps.map(\.result.text))
        for _ in 0..<max(1, options.repeats) {
            do throws(TracefsError) {
                try instance.clear()
                let run = try executor.run(nextMarker: &nextMarker)
                let text = try instance.read()
                Self.keepTrace(text, shape: name, run: runs.count + 1)
                if text.contains("[LOST ") {
                    throw TracefsError("the trace buffer overflowed in run \(runs.count + 1) (events were lost)")
                }
                let lines = TraceLine.parseAll(text)
                let receivers: Set<Int> = run.spinnerTID == 0 ? [] : [Int(run.spinnerTID)]
                windows.append(
                    KernelWindows.windows(
                        lines, measuring: Int(run.measuringTID), receivers: receivers,
                        remoteCPUs: plan.otherCPU.map { [$0] } ?? [], syscalls: run.syscalls))
                noise.append(
                    plan.otherCPU.map {
                        OtherCPUActivity.noise(
                            lines, measuring: Int(run.measuringTID), spinner: Int(run.spinnerTID), otherCPU: $0,
                            isKernelThread: KernelThreads.isKernelThread)
                    } ?? [:])
                runs.append(run)
            } catch {
                shape.error = error.description
                return shape
            }
        }
        shape.repeats = runs.count
        shape.spinnerFIFO = runs.first?.spinnerFIFO
        shape.calls = compare(model, report: report, plan: plan, runs: runs, windows: windows, noise: noise)
        return shape
    }

    /// Builds the per-call comparison from the model's report and the kernel runs.
    func compare(
        _ scenario: Scenario, report: RunReport, plan: ProbePlan, runs: [RealRun], windows: [[Int: KernelWindow]],
        noise: [[Int: [String]]]
    ) -> [CallProbe] {
        var calls: [CallProbe] = []
        let remote = plan.otherCPU != nil
        for (index, action) in plan.actions.enumerated() where action.isMeasured {
            let step = report.steps[index]
            var kernelRuns: [[ProbeFlush]] = []
            var harness: [String] = []
            var notes: [String] = []
            var idleRuns: [Int] = []
            var busyRuns: [String] = []
            for (number, (run, window)) in zip(runs, windows).enumerated() {
                let runName = runs.count > 1 ? "run \(number + 1): " : ""
                let marker = run.markers.first { $0.value == index }?.key
                let kernelWindow = marker.flatMap { window[$0] } ?? KernelWindow()
                kernelRuns.append(kernelWindow.flushes)
                if !kernelWindow.sawCall {
                    harness.append(runName + "the call's markers or system-call events are missing from the trace")
                }
                if !kernelWindow.outside.isEmpty {
                    let flushes = ProbeFlush.summary(kernelWindow.outside)
                    if case .fork = action {
                        notes.append(
                            runName + "after fork returned, the parent's copy-on-write faults flushed \(flushes)")
                    } else {
                        harness.append(
                            runName + "the harness flushed \(flushes) inside the window but outside the call")
                    }
                }
                if let marker, let tasks = noise[number][marker] {
                    if tasks.isEmpty {
                        idleRuns.append(number + 1)
                    } else {
                        busyRuns.append(runName + "ran " + tasks.joined(separator: ", "))
                    }
                }
            }
            if let cpu = plan.otherCPU, !idleRuns.isEmpty || !busyRuns.isEmpty {
                let idle =
                    idleRuns.isEmpty
                    ? []
                    : [
                        "idle (lazy TLB) in run\(idleRuns.count == 1 ? "" : "s") "
                            + idleRuns.map(String.init).joined(separator: ", ")
                    ]
                notes.append(
                    "CPU \(cpu), while the second thread was parked: " + (idle + busyRuns).joined(separator: "; "))
            }
            var variants: [[ProbeFlush]] = []
            for run in kernelRuns where !variants.contains(where: { Self.sameDecision($0, run, remote: remote) }) {
                variants.append(run)
            }
            var call = CallProbe(
                step: index + 1, line: step.line, call: step.call, modelResult: step.result.text,
                kernelResult: runs.first?.results[index] ?? "", model: Self.modelFlushes(step),
                kernel: kernelRuns.first ?? [], kernelVariants: variants.count,
                otherKernelRuns: Array(variants.dropFirst()), population: nil, comparesRemote: remote)
            call.harness = harness
            call.notes = notes
            if options.population, let first = runs.first, let kernelPopulation = first.population[index] {
                let modelPopulation = modelSnapshot(
                    scenario, upTo: index, regions: plan.regionsAfter[index], ranges: first.vmaRanges[index] ?? [])
                call.population = kernelPopulation.differences(model: modelPopulation)
            }
            calls.append(call)
        }
        return calls
    }

    /// The model's flushes of one step, with the send-side pages of its reason-4 events (one per flush it sent,
    /// in order).
    static func modelFlushes(_ step: StepReport) -> [ProbeFlush] {
        var sent = step.tracepoints.filter { $0.reason == 4 }.map(\.pages)[...]
        return step.flushes.map { flush in
            let sendIPI = flush.sendIPI || !flush.remote.isEmpty
            return ProbeFlush(
                cpu: flush.cpu, pages: flush.pages, strideShift: flush.strideShift, sendIPI: sendIPI,
                sentPages: flush.sendIPI ? sent.popFirst() : nil, remote: flush.remote,
                received: flush.received.map(\.cpu))
        }
    }

    /// Whether two kernel flush lists agree in the compared fields (reason 1 deliveries may differ; the decision
    /// and the pages sent only when `remote`).
    static func sameDecision(_ lhs: [ProbeFlush], _ rhs: [ProbeFlush], remote: Bool) -> Bool {
        lhs.count == rhs.count
            && zip(lhs, rhs).allSatisfy {
                $0.pages == $1.pages && (!remote || ($0.sendIPI == $1.sendIPI && $0.sentPages == $1.sentPages))
            }
    }

    /// The model's population after step `index` (runs the steps up to it on a fresh machine).
    func modelSnapshot(
        _ scenario: Scenario, upTo index: Int, regions: [String: ProbePlan.ModelRegion], ranges: [RealRun.VMARange]
    ) -> PopulationSnapshot {
        var prefix = scenario
        prefix.steps = Array(scenario.steps[0...index])
        var runner = ScenarioRunner(scenario: prefix)
        _ = runner.run()
        let machine = runner.machine
        guard let leader = scenario.threads.first?.name,
            let task = machine.tasks.first(where: { $0.name == leader })
        else { return PopulationSnapshot() }
        var snapshot = PopulationSnapshot()
        for (name, region) in regions {
            snapshot.present[name] = ModelPopulation.present(
                machine, mm: task.mm, address: region.start, pages: Int(region.length / 4096))
        }
        for range in ranges {
            snapshot.hugeKiB[range.key] = ModelPopulation.hugeKiB(
                machine, mm: task.mm, start: range.start, end: range.end)
        }
        return snapshot
    }

    /// Appends a run's raw trace to the file named by `MMSIM_PROBE_TRACE`, if set, under a `# shape run N` line: the
    /// events behind a verdict, for reading by hand.
    static func keepTrace(_ text: String, shape: String, run: Int) {
        guard let path = getenv("MMSIM_PROBE_TRACE"), let file = fopen(path, "a") else { return }
        fputs("# \(shape) run \(run)\n", file)
        fputs(text, file)
        fclose(file)
    }

    /// The kernel release (`uname -r`).
    public static var kernelRelease: String { HostKernelInfo.current().release }
}
