import MMHardware
import MMKernel

/// Machine settings given on the command line (`--scheme`, `--ceiling`, `--merge-vmas`, `--pti`, `--cpus`); each
/// one that is set replaces the scenario file's `machine:` value.
public struct MachineOverrides: Hashable, Sendable {
    /// The flush scheme.
    public var scheme: FlushScheme?
    /// `tlb_single_page_flush_ceiling`.
    public var ceiling: UInt64?
    /// `CONFIG_MMU_GATHER_MERGE_VMAS`.
    public var mergeVMAs: Bool?
    /// Page-table isolation.
    public var pti: Bool?
    /// Number of CPUs.
    public var cpus: Int?
    /// `--host`: the running kernel's settings (`mmsim host`), applied before the other overrides.
    public var host: KernelConfig?

    /// No overrides.
    public init(
        scheme: FlushScheme? = nil, ceiling: UInt64? = nil, mergeVMAs: Bool? = nil, pti: Bool? = nil, cpus: Int? = nil,
        host: KernelConfig? = nil
    ) {
        self.host = host
        self.scheme = scheme
        self.ceiling = ceiling
        self.mergeVMAs = mergeVMAs
        self.pti = pti
        self.cpus = cpus
    }

    /// Why an override cannot apply (a CPU count too small for the scenario's threads).
    public struct Failure: Error, Hashable, Sendable, CustomStringConvertible {
        /// The explanation.
        public var description: String
    }

    /// The scenario with these settings applied; fails if `cpus` leaves a thread, fork child or idle step without
    /// its CPU.
    public func apply(to scenario: Scenario) throws(Failure) -> Scenario {
        var result = scenario
        if let host {
            // The kernel and CPU settings come from the host; the scenario keeps its shape (CPUs it needs, sizes).
            var config = result.config
            config.scheme = host.scheme
            config.flushCeiling = host.flushCeiling
            config.pcid = host.pcid
            config.pti = host.pti
            config.pku = host.pku
            config.mergeVMAs = host.mergeVMAs
            config.thpMode = host.thpMode
            config.thpUseZeroPage = host.thpUseZeroPage
            config.overcommitMode = host.overcommitMode
            config.overcommitRatio = host.overcommitRatio
            config.maxMapCount = host.maxMapCount
            config.mmapMinAddress = host.mmapMinAddress
            config.ramFrames = host.ramFrames
            config.readaheadPages = host.readaheadPages
            config.faultAroundBytes = host.faultAroundBytes
            config.cpus = max(host.cpus, scenario.highestCPU + 1)
            result.config = config
        }
        if let scheme { result.config.scheme = scheme }
        if let ceiling { result.config.flushCeiling = ceiling }
        if let mergeVMAs { result.config.mergeVMAs = mergeVMAs }
        if let pti { result.config.pti = pti }
        if let cpus {
            guard (1...64).contains(cpus) else { throw Failure(description: "--cpus must be between 1 and 64") }
            let needed = scenario.highestCPU + 1
            guard cpus >= needed else {
                throw Failure(
                    description: "\(scenario.file) uses CPU \(needed - 1), so it needs --cpus \(needed) or more")
            }
            result.config.cpus = cpus
        }
        return result
    }
}

extension Scenario {
    /// The highest CPU number the scenario's threads, fork children and idle steps use.
    public var highestCPU: Int {
        var highest = threads.map(\.cpu).max() ?? 0
        for step in steps {
            switch step.kind {
            case .call(let call):
                if case .fork(_, let cpu) = call.syscall { highest = max(highest, cpu.rawValue) }
            case .idle(let cpu): highest = max(highest, cpu)
            default: break
            }
        }
        return highest
    }
}
