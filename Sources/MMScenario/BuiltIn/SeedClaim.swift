/// One claim of the seed patch (4a18419f71cd and its series) demonstrated by `mmsim`: a scenario whose measured
/// call is the second-to-last step and whose last step is the other thread's follow-up access sweep.
public struct SeedClaim: Sendable {
    /// A short name (`one-page`, `thp`, `three-vmas`).
    public var name: String
    /// The claim in one line.
    public var title: String
    /// What changed between `before` and `merged`, in one line.
    public var changed: String
    /// The scenario's YAML.
    public var yaml: String

    /// Parses the YAML (tested to parse).
    public func parse() throws(ScenarioError) -> Scenario {
        try ScenarioParser.parse(yaml: yaml, file: "<claim \(name)>")
    }
}
