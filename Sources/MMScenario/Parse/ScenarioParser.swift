import MMKernel
import Yams

/// Turns scenario YAML into a `Scenario`, checking names, types and ranges so that every mistake is reported with
/// its `file:line:col` and running a parsed scenario cannot fail on its input.
public struct ScenarioParser {
    /// Reads nodes with positions.
    let reader: NodeReader
    /// Known threads (declared and forked) and their CPUs, in order of appearance.
    var threads: [(name: String, cpu: Int)] = []
    /// Declared files by name, with their fd numbers.
    var fileNames: [String: Int64] = [:]
    /// Region names defined by earlier mmap steps.
    var regions: Set<String> = []
    /// The configuration being built.
    var config = KernelConfig()

    /// The largest number of pages one access step or `contents:` check may touch.
    public static let maxPagesPerStep: UInt64 = 1 << 20

    /// Top-level keys.
    static let topKeys = ["name", "description", "machine", "threads", "files", "steps"]

    /// Creates a parser for text from `file`.
    init(file: String) {
        reader = NodeReader(file: file)
    }

    /// The largest scenario, in bytes of UTF-8. YAML is composed whole before it can be checked: 4 MiB of dense
    /// steps took 6 s and 128 MB in a release build here (a 50 MB file took 88 s and 1.4 GB), and a document of
    /// `maxNodes` nodes is at most a few hundred KB of steps, so longer input is refused before it is parsed.
    public static let maxInputBytes = 4 << 20

    /// Parses `yaml`, naming `file` in errors.
    public static func parse(yaml: String, file: String) throws(ScenarioError) -> Scenario {
        var parser = ScenarioParser(file: file)
        return try parser.parseDocument(yaml)
    }

    /// The text of a scenario file's `bytes`, or an error at the position where they stop being a scenario's
    /// text: past `maxInputBytes`, at the first byte that is not UTF-8, at the first control character.
    public static func decode(bytes: [UInt8], file: String) throws(ScenarioError) -> String {
        try SourceText.decode(bytes, file: file, limit: maxInputBytes)
    }

    /// Parses the bytes of a scenario file: `decode(bytes:file:)`, then `parse(yaml:file:)`.
    public static func parse(bytes: [UInt8], file: String) throws(ScenarioError) -> Scenario {
        try parse(yaml: try decode(bytes: bytes, file: file), file: file)
    }

    /// Checks the text, composes the YAML and parses its root.
    mutating func parseDocument(_ yaml: String) throws(ScenarioError) -> Scenario {
        try SourceText.check(Array(yaml.utf8), file: reader.file, limit: Self.maxInputBytes)
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch let error as YamlError {
            throw yamlError(error, in: yaml)
        } catch {
            throw ScenarioError(SourceLocation(file: reader.file, line: 1, column: 1), "cannot read YAML: \(error)")
        }
        guard let root else {
            throw ScenarioError(SourceLocation(file: reader.file, line: 1, column: 1), "empty scenario")
        }
        try checkSize(root)
        let top = try reader.fields(root, "the scenario", allowed: Self.topKeys)
        var scenario = Scenario(
            file: reader.file, name: nil, description: nil, config: KernelConfig(), threads: [], files: [], steps: [])
        if let node = top["name"] { scenario.name = try reader.scalar(node, "name") }
        if let node = top["description"] { scenario.description = try reader.scalar(node, "description") }
        if let node = top["machine"] { try parseMachine(node) }
        scenario.config = config
        scenario.threads = try parseThreads(top["threads"])
        if let node = top["files"] { scenario.files = try parseFiles(node) }
        let stepsNode = try top.required("steps", reader)
        let stepNodes = try reader.sequence(stepsNode, "steps")
        for node in stepNodes {
            scenario.steps.append(try parseStep(node))
        }
        return scenario
    }

    /// Converts a Yams error into a positioned one of one line (Yams' own text quotes the whole document for some).
    func yamlError(_ error: YamlError, in yaml: String) -> ScenarioError {
        func at(_ line: Int, _ column: Int, _ problem: String) -> ScenarioError {
            ScenarioError(SourceLocation(file: reader.file, line: line, column: column), problem)
        }
        switch error {
        case .scanner(_, let problem, let mark, _): return at(mark.line, mark.column, "YAML syntax: \(problem)")
        case .parser(_, let problem, let mark, _): return at(mark.line, mark.column, "YAML syntax: \(problem)")
        case .composer(_, let problem, let mark, _): return at(mark.line, mark.column, "YAML: \(problem)")
        case .duplicatedKeysInMapping(let duplicates, let context):
            let key = duplicates.sorted().first ?? ""
            let first = context.mark
            if let second = DuplicateKey.repetition(of: key, firstAt: first.line, column: first.column, in: yaml) {
                return at(second.line, second.column, "duplicate key '\(key)' (first at \(first.line):\(first.column))")
            }
            return at(first.line, first.column, "duplicate key '\(key)': it is repeated later in this mapping")
        case .reader(let problem, let offset, _, _):
            let (line, column) = SourceText.position(after: yaml.prefix(offset ?? 0).utf8)
            return at(line, column, "YAML input: \(problem)")
        case .memory: return at(1, 1, "YAML: out of memory")
        default: return at(1, 1, "YAML: cannot read the document")
        }
    }

    /// The largest document, in nodes after aliases are expanded ("billion laughs" documents stop here).
    public static let maxNodes = 100_000

    /// Refuses documents that expand (through aliases) beyond `maxNodes` nodes, counting in document order and
    /// stopping at the limit so that the check itself stays cheap.
    func checkSize(_ root: Node) throws(ScenarioError) {
        var budget = Self.maxNodes
        var last = root
        func visit(_ node: Node) -> Bool {
            budget -= 1
            if node.mark != nil { last = node }
            if budget < 0 { return false }
            switch node {
            case .alias, .scalar: return true
            case .sequence(let sequence): return sequence.allSatisfy(visit)
            case .mapping(let mapping): return mapping.allSatisfy { visit($0.key) && visit($0.value) }
            }
        }
        if !visit(root) {
            throw reader.error(
                last,
                "the document has more than \(Self.maxNodes) nodes once aliases are expanded; it passes the limit here")
        }
    }

    /// The CPU of a known thread, or an error naming the known threads.
    func threadCPU(_ node: Node) throws(ScenarioError) -> (name: String, cpu: Int) {
        let name = try reader.name(node, "thread")
        guard let thread = threads.first(where: { $0.name == name }) else {
            let known = threads.map(\.name).joined(separator: ", ")
            throw reader.error(node, "unknown thread '\(name)' (known: \(known))")
        }
        return thread
    }

    /// The thread named by `node`, or the first thread when absent.
    func thread(_ node: Node?) throws(ScenarioError) -> String {
        guard let node else { return threads[0].name }
        return try threadCPU(node).name
    }

    /// A CPU number valid for this machine.
    func cpu(_ node: Node) throws(ScenarioError) -> Int {
        Int(try reader.integer(node, "cpu", in: 0...Int64(config.cpus - 1)))
    }
}
