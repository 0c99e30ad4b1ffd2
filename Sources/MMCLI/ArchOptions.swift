import ArgumentParser
import Foundation
import MMKernel
import MMOracle
import MMReport
import MMScenario

/// The machine and cost flags shared by `run`, `compare` and the claims demo.
struct ArchOptions: ParsableArguments {
    /// `--scheme`.
    @Option(help: "Flush scheme: before, seed or merged (overrides the file's machine: scheme; default merged).")
    var scheme: FlushScheme?

    /// `--ceiling`.
    @Option(help: "tlb_single_page_flush_ceiling: ranges of more strides become full flushes (default 33).")
    var ceiling: UInt64?

    /// `--merge-vmas` / `--no-merge-vmas`.
    @Flag(
        name: .customLong("merge-vmas"), inversion: .prefixedNo,
        help: "CONFIG_MMU_GATHER_MERGE_VMAS (x86: on): one flush across VMAs.")
    var mergeVMAs: Bool?

    /// `--pti`.
    @Flag(help: "Page-table isolation: every INVLPG and full flush is doubled for the user PCID.")
    var pti = false

    /// `--cpus`.
    @Option(help: "Number of simulated CPUs (1–64).")
    var cpus: Int?

    /// `--host`.
    @Flag(help: "Run the model as this machine's kernel (the settings 'mmsim host' prints); other flags still win.")
    var host = false

    /// `--costs`.
    @Option(help: "A costs file ('name: cycles' lines, see docs/cost-model.md) overriding the default cycle costs.")
    var costs: String?

    /// The largest costs file (a few dozen lines are all it can usefully hold).
    static let maxCostsBytes = 1 << 20

    /// Refuses values no scenario file could give: `--cpus` outside 1...64, `--ceiling` above 2^40.
    func validate() throws {
        if let cpus, !(1...64).contains(cpus) { throw ValidationError("--cpus must be between 1 and 64, not \(cpus)") }
        if let ceiling, ceiling > Self.maxCeiling {
            throw ValidationError("--ceiling must be at most \(Self.maxCeiling) (2^40), not \(ceiling)")
        }
    }

    /// The largest `--ceiling`, the same as a scenario's `machine: {ceiling:}`.
    static let maxCeiling: UInt64 = 1 << 40

    /// The overrides these flags ask for, with `scheme` (if given) replacing `--scheme`.
    func overrides(scheme forced: FlushScheme? = nil) -> MachineOverrides {
        MachineOverrides(
            scheme: forced ?? scheme, ceiling: ceiling, mergeVMAs: mergeVMAs, pti: pti ? true : nil, cpus: cpus,
            host: host ? HostProfile.detect().kernelConfig : nil)
    }

    /// The cost model: defaults, or the `--costs` file; a bad file prints `file:line:col: message` and exits 2.
    func costModel() throws -> CostModel {
        guard let costs else { return CostModel() }
        let text: String
        do {
            let bytes = try InputFile.read(costs, limit: Self.maxCostsBytes, what: "a costs file")
            guard let decoded = String(validating: bytes, as: UTF8.self) else {
                throw InputFile.Failure(description: "\(InputFile.displayName(costs)): not UTF-8 text")
            }
            text = decoded
        } catch {
            FileHandle.standardError.write(Data("\(error)\n".utf8))
            throw ExitCode(2)
        }
        do {
            return try CostModel(parsing: text, file: costs)
        } catch {
            FileHandle.standardError.write(Data("\(error)\n".utf8))
            throw ExitCode(2)
        }
    }
}

extension FlushScheme: ExpressibleByArgument {}
