import MMHost
import MMKernel
import MMScenario

/// The flush oracle: runs scenarios on this machine's kernel under `tlb:tlb_flush` and on the model, and compares
/// each measured call (host-kernel.md §2 method). Owns one private trace instance for its lifetime; call
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
        var windows: [[Int: [ProbeFlush]]] = []
        let executor = RealExecutor(
            plan: plan, instance: instance, modelBase: model.config.mmapBase, population: options.population)
        for _ in 0..<max(1, options.repeats) {
            do throws(TracefsError) {
                try instance.clear()
                let run = try executor.run(nextMarker: &nextMarker)
                let lines = TraceLine.parseAll(try instance.read())
                let receivers: Set<Int> = run.spinnerTID == 0 ? [] : [Int(run.spinnerTID)]
                windows.append(
                    KernelWindows.flushes(
                        lines, measuring: Int(run.measuringTID), receivers: receivers,
                        remoteCPUs: plan.otherCPU.map { [$0] } ?? []))
                runs.append(run)
            } catch {
                shape.error = error.description
                return shape
            }
        }
        shape.repeats = runs.count
        shape.spinnerFIFO = runs.first?.spinnerFIFO
        shape.calls = compare(model, report: report, plan: plan, runs: runs, windows: windows)
        return shape
    }

    /// Builds the per-call comparison from the model's report and the kernel runs.
    func compare(
        _ scenario: Scenario, report: RunReport, plan: ProbePlan, runs: [RealRun], windows: [[Int: [ProbeFlush]]]
    ) -> [CallProbe] {
        var calls: [CallProbe] = []
        for (index, action) in plan.actions.enumerated() where action.isMeasured {
            let step = report.steps[index]
            let model = step.flushes.map {
                ProbeFlush(
                    cpu: $0.cpu, pages: $0.pages, strideShift: $0.strideShift,
                    sendIPI: $0.sendIPI || !$0.remote.isEmpty, remote: $0.remote, received: $0.received.map(\.cpu))
            }
            var kernelRuns: [[ProbeFlush]] = []
            for (run, window) in zip(runs, windows) {
                let marker = run.markers.first { $0.value == index }?.key
                kernelRuns.append(marker.flatMap { window[$0] } ?? [])
            }
            var variants: [[ProbeFlush]] = []
            for run in kernelRuns
            where !variants.contains(where: { Self.sameDecision($0, run, remote: plan.otherCPU != nil) }) {
                variants.append(run)
            }
            var call = CallProbe(
                step: index + 1, line: step.line, call: step.call, modelResult: step.result.text,
                kernelResult: runs.first?.results[index] ?? "", model: model, kernel: kernelRuns.first ?? [],
                kernelVariants: variants.count, otherKernelRuns: Array(variants.dropFirst()), population: nil,
                comparesRemote: plan.otherCPU != nil)
            if options.population, let first = runs.first, let kernelPopulation = first.population[index] {
                let modelPopulation = modelSnapshot(
                    scenario, upTo: index, regions: plan.regionsAfter[index], ranges: first.vmaRanges[index] ?? [])
                call.population = kernelPopulation.differences(model: modelPopulation)
            }
            calls.append(call)
        }
        return calls
    }

    /// Whether two kernel flush lists agree in the compared fields (reason 1 deliveries may differ; the decision
    /// only when `remote`).
    static func sameDecision(_ lhs: [ProbeFlush], _ rhs: [ProbeFlush], remote: Bool) -> Bool {
        lhs.count == rhs.count
            && zip(lhs, rhs).allSatisfy { $0.pages == $1.pages && (!remote || $0.sendIPI == $1.sendIPI) }
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

    /// The kernel release (`uname -r`).
    public static var kernelRelease: String { HostKernelInfo.current().release }
}
