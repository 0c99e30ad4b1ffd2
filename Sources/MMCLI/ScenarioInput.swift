import ArgumentParser

/// The scenario `run` and `compare` take, and how much of its trace they list.
struct ScenarioInput: ParsableArguments {
    /// The scenario file (docs/scenario-format.md) or built-in name.
    @Argument(help: "A scenario YAML file (- for standard input) or a built-in name (see 'mmsim scenarios').")
    var file: String

    /// One record per event instead of runs of repeated events.
    @Flag(help: "List every fault, flush and tracepoint instead of summarising repeated ones.")
    var verbose = false
}
