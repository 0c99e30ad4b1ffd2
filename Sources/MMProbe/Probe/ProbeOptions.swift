import MMKernel
import MMScenario

/// How to probe: threads, repetitions, and the model's settings.
public struct ProbeOptions: Hashable, Sendable {
    /// 2: a second thread spins on another CPU (remote flushes); 1: the measuring thread alone.
    public var threads: Int
    /// Runs per scenario on the kernel; their results must be identical.
    public var repeats: Int
    /// Model settings replacing this host's (`--scheme`, `--ceiling`, ...).
    public var overrides: MachineOverrides
    /// Whether to compare page population after each call.
    public var population: Bool

    /// Creates options.
    public init(
        threads: Int = 2, repeats: Int = 3, overrides: MachineOverrides = MachineOverrides(), population: Bool = true
    ) {
        self.threads = threads
        self.repeats = repeats
        self.overrides = overrides
        self.population = population
    }

    /// `scenario` configured as this host's kernel (Linux 6.18 on these machines: merged scheme, ceiling 33, merged
    /// VMAs, PCID, no PTI, no PKU, THP madvise), then the overrides; with one thread, every thread runs on the first
    /// thread's CPU so that the model sees no other CPU in `mm_cpumask`.
    public func modelScenario(_ scenario: Scenario) throws(MachineOverrides.Failure) -> Scenario {
        var result = scenario
        result.config.scheme = .merged
        result.config.flushCeiling = 33
        result.config.mergeVMAs = true
        result.config.pti = false
        result.config.pku = false
        result.config.pcid = true
        result.config.thpMode = .madvise
        result = try overrides.apply(to: result)
        if threads == 1, let leader = result.threads.first {
            for index in result.threads.indices { result.threads[index].cpu = leader.cpu }
        }
        return result
    }

    /// The model's settings in words, for report headers.
    public func modelDescription() -> String {
        var config = KernelConfig()
        if let scheme = overrides.scheme { config.scheme = scheme }
        if let ceiling = overrides.ceiling { config.flushCeiling = ceiling }
        if let merge = overrides.mergeVMAs { config.mergeVMAs = merge }
        if let pti = overrides.pti { config.pti = pti }
        let cpus = overrides.cpus.map { ", \($0) cpus" } ?? ""
        return "scheme \(config.scheme.rawValue), ceiling \(config.flushCeiling), "
            + (config.mergeVMAs ? "merge-vmas" : "no-merge-vmas") + (config.pti ? ", pti" : ", no pti") + cpus
    }
}
