import Yams

/// Reads Yams nodes with positions: every failure becomes a `ScenarioError` naming the node's line and column.
struct NodeReader {
    /// The file name used in locations.
    let file: String

    /// The node's position (the start of the document if Yams has none).
    func location(_ node: Node) -> SourceLocation {
        let mark = node.mark
        return SourceLocation(file: file, line: mark?.line ?? 1, column: mark?.column ?? 1)
    }

    /// An error at `node`.
    func error(_ node: Node, _ message: String) -> ScenarioError {
        ScenarioError(location(node), message)
    }

    /// A short name for the node's YAML type, for "expected X, found Y" messages.
    func typeName(_ node: Node) -> String {
        switch node {
        case .scalar: return "a scalar"
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        }
    }

    /// The node's text if it is a scalar.
    func scalar(_ node: Node, _ what: String) throws(ScenarioError) -> String {
        guard case .scalar(let scalar) = node else {
            throw error(node, "\(what) must be a scalar, found \(typeName(node))")
        }
        return scalar.string
    }

    /// The node's elements if it is a list.
    func sequence(_ node: Node, _ what: String) throws(ScenarioError) -> [Node] {
        guard case .sequence(let sequence) = node else {
            throw error(node, "\(what) must be a list, found \(typeName(node))")
        }
        return Array(sequence)
    }

    /// The node's keys and values if it is a mapping whose keys are all in `allowed`; unknown and repeated keys
    /// are errors at the key's position.
    func fields(
        _ node: Node, _ what: String, allowed: [String], unknown: String = "key"
    ) throws(ScenarioError)
        -> Fields
    {
        guard case .mapping(let mapping) = node else {
            throw error(node, "\(what) must be a mapping, found \(typeName(node))")
        }
        var fields = Fields(owner: node, what: what)
        for (keyNode, value) in mapping {
            let key = try scalar(keyNode, "a key")
            guard allowed.contains(key) else {
                let list = allowed.joined(separator: ", ")
                throw error(keyNode, "unknown \(unknown) '\(key)' in \(what) (expected one of: \(list))")
            }
            guard fields.values[key] == nil else { throw error(keyNode, "duplicate key '\(key)' in \(what)") }
            fields.values[key] = value
            fields.keys[key] = keyNode
            fields.order.append(key)
        }
        return fields
    }

    /// An integer scalar (decimal or `0x` hex, `_` separators allowed) within `range`.
    func integer(_ node: Node, _ what: String, in range: ClosedRange<Int64>) throws(ScenarioError) -> Int64 {
        let text = try scalar(node, what)
        guard let value = NumberSyntax.signedInteger(text) else {
            throw error(node, "\(what) must be an integer, found '\(text)'")
        }
        guard range.contains(value) else {
            throw error(node, "\(what) \(value) is out of range \(range.lowerBound)...\(range.upperBound)")
        }
        return value
    }

    /// A non-negative 64-bit number.
    func unsigned(_ node: Node, _ what: String) throws(ScenarioError) -> UInt64 {
        let text = try scalar(node, what)
        guard let value = NumberSyntax.unsigned(text) else {
            throw error(node, "\(what) must be a non-negative integer, found '\(text)'")
        }
        return value
    }

    /// A size (`4K`, `2M`, `16 pages`, `0x1000`).
    func size(_ node: Node, _ what: String) throws(ScenarioError) -> UInt64 {
        let text = try scalar(node, what)
        switch NumberSyntax.size(text) {
        case .success(let value): return value
        case .failure(let failure): throw error(node, "bad size '\(text)' for \(what): \(failure.message)")
        }
    }

    /// A boolean (`true`/`false`, `yes`/`no`, `on`/`off`).
    func boolean(_ node: Node, _ what: String) throws(ScenarioError) -> Bool {
        let text = try scalar(node, what)
        switch text.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: throw error(node, "\(what) must be true or false, found '\(text)'")
        }
    }

    /// A name: a scalar made of letters, digits, `_`, `-` and `.`, starting with a letter or `_`.
    func name(_ node: Node, _ what: String) throws(ScenarioError) -> String {
        let text = try scalar(node, what)
        guard NumberSyntax.isIdentifier(text) else {
            throw error(node, "\(what) must be a name (letters, digits, '_', '.'), found '\(text)'")
        }
        return text
    }

    /// An address expression.
    func address(_ node: Node, _ what: String) throws(ScenarioError) -> AddressExpression {
        let text = try scalar(node, what)
        switch NumberSyntax.address(text) {
        case .success(let expression): return expression
        case .failure(let failure): throw error(node, "bad address '\(text)' for \(what): \(failure.message)")
        }
    }

    /// A page range (`0..15`, `0..<16`, `3`).
    func pageRange(_ node: Node, _ what: String) throws(ScenarioError) -> PageRange {
        let text = try scalar(node, what)
        switch NumberSyntax.pageRange(text) {
        case .success(let range): return range
        case .failure(let failure): throw error(node, "bad page range '\(text)' for \(what): \(failure.message)")
        }
    }
}

/// The keys of one mapping, with their nodes.
struct Fields {
    /// The mapping node itself (the position for "missing key" errors).
    let owner: Node
    /// What the mapping is, for messages.
    let what: String
    /// Values by key.
    var values: [String: Node] = [:]
    /// Key nodes by key.
    var keys: [String: Node] = [:]
    /// Keys in the order written.
    var order: [String] = []

    /// The value of `key`, if present.
    subscript(_ key: String) -> Node? { values[key] }

    /// The value of `key`, or an error at the mapping naming the missing key.
    func required(_ key: String, _ reader: NodeReader) throws(ScenarioError) -> Node {
        guard let node = values[key] else { throw reader.error(owner, "missing '\(key)' in \(what)") }
        return node
    }
}
