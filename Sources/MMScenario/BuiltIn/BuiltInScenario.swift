/// A scenario shipped inside mmsim, runnable by name (`mmsim run S2`, `mmsim compare host-thp`).
public struct BuiltInScenario: Sendable {
    /// The name used on the command line.
    public var name: String
    /// Which collection it belongs to as `mmsim scenarios` lists it: the seed patch's flush table, the mprotect
    /// shapes measured on Linux 6.18, Amit's benchmark loop.
    public var group: String
    /// One line for `mmsim scenarios`.
    public var summary: String
    /// The scenario's YAML.
    public var yaml: String

    /// The file name reports show: `<built-in NAME>`.
    public var file: String { "<built-in \(name)>" }

    /// Parses the YAML (built-ins are tested to parse).
    public func parse() throws(ScenarioError) -> Scenario {
        try ScenarioParser.parse(yaml: yaml, file: file)
    }
}
