import ArgumentParser
import MMKernel
import MMReport
import MMScenario

/// `mmsim claims` (what `mmsim` alone runs): the seed patch's three claims under `before` and `merged`.
struct Claims: ParsableCommand {
    /// Help text.
    static let configuration = CommandConfiguration(
        abstract: "Show the seed patch's three claims side by side under the before and merged schemes.")

    /// Machine and cost flags (`--scheme` is ignored: both schemes run).
    @OptionGroup var arch: ArchOptions

    /// Runs each claim under both schemes and prints the tables.
    func run() throws {
        let costs = try arch.costModel()
        var entries: [ClaimsReport.Entry] = []
        for claim in SeedClaims.all {
            let scenario = try ScenarioCommand.parse(yaml: claim.yaml, file: "<claim \(claim.name)>")
            let before = try ScenarioCommand.run(scenario, arch.overrides(scheme: .before))
            let merged = try ScenarioCommand.run(scenario, arch.overrides(scheme: .merged))
            entries.append(
                ClaimsReport.Entry(
                    claim: claim, before: ClaimNumbers(before, costs: costs), merged: ClaimNumbers(merged, costs: costs)
                ))
        }
        print(ClaimsReport.render(entries, style: .forStandardOutput()), terminator: "")
    }
}
