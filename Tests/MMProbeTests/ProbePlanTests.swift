import MMKernel
import MMScenario
import Testing

@testable import MMProbe

/// How scenarios become real-kernel actions: forks, idle CPUs, file mappings, and what stays not probeable.
@Suite struct ProbePlanTests {
    /// The plan of `scenario` under this host's model settings, or why it is not probeable.
    static func plan(_ scenario: Scenario, threads: Int = 2) throws -> Result<ProbePlan, ProbePlan.NotProbeable> {
        let model = try ProbeOptions(threads: threads).modelScenario(scenario)
        let report = ScenarioRunner.run(model)
        do {
            return .success(try ProbePlan.make(model, report: report, threads: threads))
        } catch {
            return .failure(error)
        }
    }

    /// The plan of built-in `name`.
    static func plan(builtIn name: String, threads: Int = 2) throws -> ProbePlan {
        let builtIn = try #require(BuiltInScenarios.named(name))
        return try plan(try builtIn.parse(), threads: threads).get()
    }

    /// Why `yaml` is not probeable (nil if it is).
    static func reason(_ yaml: String) throws -> String? {
        let scenario = try ScenarioParser.parse(yaml: yaml, file: "test.yaml")
        if case .failure(let error) = try plan(scenario) { return error.reason }
        return nil
    }

    /// A scenario with one thread and the given `files` and `steps` bodies.
    static func yaml(files: String = "", steps: String) -> String {
        "machine: {cpus: 2}\nthreads:\n  - {name: main, cpu: 0}\n" + (files.isEmpty ? "" : "files: [\(files)]\n")
            + "steps:\n" + steps
    }

    /// The fork shape: the fork is measured and pins its child to CPU 0, the child's write goes to the child, the
    /// parent's writes are measured.
    @Test func forkShape() throws {
        let plan = try Self.plan(builtIn: "host-fork-cow")
        var forks: [Int] = []
        var actors: [ProbeAction.Actor] = []
        for action in plan.actions {
            if case .fork(let cpu) = action { forks.append(cpu) }
            if case .access(_, let actor) = action { actors.append(actor) }
        }
        #expect(forks == [0])
        #expect(actors == [.spinner, .measuring, .child, .measuring, .measuring])
        #expect(plan.actions.filter(\.isMeasured).compactMap(\.syscallNumber) == [9, 9, 56, 10, 10, 10])
    }

    /// `idle` of the other thread's CPU parks the spinner; with one thread it is nothing to do.
    @Test func idleParksTheSpinner() throws {
        let parks = { (plan: ProbePlan) -> Int in
            plan.actions.filter {
                if case .idle(.parkSpinner) = $0 { return true }
                return false
            }.count
        }
        #expect(parks(try Self.plan(builtIn: "host-lazy-idle")) == 1)
        #expect(parks(try Self.plan(builtIn: "host-lazy-idle", threads: 1)) == 0)
    }

    /// A file mapping names its declared file; a memfd shape declares shmem.
    @Test func fileMappings() throws {
        let plan = try Self.plan(builtIn: "host-memfd-shared")
        #expect(plan.files.map(\.shmem) == [true])
        let files = plan.actions.compactMap { action -> Int? in
            if case .mmap(_, _, _, _, _, let file, _) = action { return file }
            return nil
        }
        #expect(files == [0])
    }

    /// What stays out, one row each: a noexec file, an undeclared fd, a second fork, the child's syscall.
    @Test(arguments: [
        (
            Self.yaml(
                files: "{name: f, size: 1 page, noexec: true}", steps: "  - mmap: {length: 4K, flags: [shared], fd: f}"),
            "noexec"
        ),
        (Self.yaml(steps: "  - mmap: {length: 4K, flags: [shared], fd: 7}"), "fd 7 is not a declared file"),
        (Self.yaml(steps: "  - fork: {child: a}\n  - fork: {child: b}"), "more than one fork"),
        (Self.yaml(steps: "  - fork: {child: a}\n  - mmap: {thread: a, length: 4K}"), "only the first thread"),
        (
            "machine: {cpus: 2}\nthreads:\n  - {name: main, cpu: 0}\n  - {name: o, cpu: 1, process: main}\n"
                + "steps:\n  - fork: {child: a, cpu: 1}",
            "share CPU 1 with the second thread"
        ),
    ])
    func notProbeable(yaml: String, reason: String) throws {
        let found = try #require(try Self.reason(yaml))
        #expect(found.contains(reason), "\(found)")
    }
}
