import MMHardware
import MMKernel
import Yams

extension ScenarioParser {
    /// The operations a step can perform (exactly one per step, except a standalone `expect`).
    static let operations =
        ["mmap", "munmap", "madvise", "fork", "read", "write", "exec", "idle"] + protectionOperations

    /// Parses one entry of `steps:`.
    mutating func parseStep(_ node: Node) throws(ScenarioError) -> Step {
        let fields = try reader.fields(
            node, "a step", allowed: Self.operations + ["expect", "note"], unknown: "step")
        let operations = fields.order.filter { Self.operations.contains($0) }
        if operations.count > 1 {
            throw reader.error(
                fields.keys[operations[1]]!,
                "a step does one thing: found both '\(operations[0])' and '\(operations[1])'")
        }
        let note = try fields["note"].map { node throws(ScenarioError) in try reader.scalar(node, "note") }
        guard let operation = operations.first else {
            guard let expectNode = fields["expect"] else {
                throw reader.error(node, "a step needs one of: \(Self.operations.joined(separator: ", ")), expect")
            }
            let expectations = try parseExpectations(expectNode, context: .standalone)
            return Step(location: reader.location(node), kind: .expect, note: note, expectations: expectations)
        }
        let body = fields.values[operation]!
        let kind: Step.Kind
        let context: ExpectContext
        switch operation {
        case "mmap":
            kind = .mmap(try parseMmap(body))
            context = .syscall
        case "munmap":
            let fieldsOfBody = try reader.fields(
                body, "munmap", allowed: ["thread", "region", "addr", "pages", "page", "length"])
            kind = .munmap(
                RangeStep(thread: try thread(fieldsOfBody["thread"]), span: try parseSpan(fieldsOfBody, body)))
            context = .syscall
        case "madvise":
            let keys = ["thread", "region", "addr", "pages", "page", "length", "advice"]
            let fieldsOfBody = try reader.fields(body, "madvise", allowed: keys)
            let range = RangeStep(thread: try thread(fieldsOfBody["thread"]), span: try parseSpan(fieldsOfBody, body))
            kind = .madvise(range, advice: try parseAdvice(try fieldsOfBody.required("advice", reader)))
            context = .syscall
        case "fork":
            kind = .fork(try parseFork(body))
            context = .syscall
        case _ where Self.protectionOperations.contains(operation) || isExecve(operation, body):
            kind = try parseProtectionStep(operation, body)
            context = operation == "pkru" ? .instruction : .syscall
        case "idle":
            if case .scalar = body {
                kind = .idle(cpu: try cpu(body))
            } else {
                let fieldsOfBody = try reader.fields(body, "idle", allowed: ["cpu"])
                kind = .idle(cpu: try cpu(try fieldsOfBody.required("cpu", reader)))
            }
            context = .idle
        default:
            kind = .access(try parseAccess(body, operation))
            context = .access
        }
        let expectations = try fields["expect"].map { node throws(ScenarioError) in
            try parseExpectations(node, context: context)
        }
        return Step(location: reader.location(node), kind: kind, note: note, expectations: expectations ?? [])
    }

    /// Parses the arguments of mmap; a `region:` becomes known to later steps.
    mutating func parseMmap(_ node: Node) throws(ScenarioError) -> MmapStep {
        let keys = ["thread", "region", "addr", "length", "prot", "flags", "fd", "offset"]
        let fields = try reader.fields(node, "mmap", allowed: keys)
        var step = MmapStep(
            thread: try thread(fields["thread"]), region: nil, address: nil,
            length: try reader.size(try fields.required("length", reader), "length"),
            prot: Protection.read.rawValue | Protection.write.rawValue,
            flags: MapFlags.private.rawValue | MapFlags.anonymous.rawValue, fd: .none, offset: 0)
        if let addrNode = fields["addr"] { step.address = try checkedAddress(addrNode, "addr") }
        if let protNode = fields["prot"] {
            step.prot = try bitNames(protNode, "prot", prefix: "PROT_", SymbolNames.prot)
        }
        if let flagsNode = fields["flags"] {
            step.flags = try bitNames(flagsNode, "flags", prefix: "MAP_", SymbolNames.mapFlags)
        }
        if let offsetNode = fields["offset"] { step.offset = try reader.size(offsetNode, "offset") }
        if let fdNode = fields["fd"] {
            let text = try reader.scalar(fdNode, "fd")
            if let number = NumberSyntax.signedInteger(text) {
                step.fd = number == -1 ? .none : .number(number)
            } else if fileNames.contains(text) {
                step.fd = .named(text)
            } else {
                throw reader.error(fdNode, "unknown file '\(text)' (declare it under files:)")
            }
        }
        if let regionNode = fields["region"] {
            let name = try reader.name(regionNode, "region")
            guard name.uppercased() != "NULL" else { throw reader.error(regionNode, "'\(name)' cannot name a region") }
            step.region = name
            regions.insert(name)
        }
        return step
    }

    /// Prot or flag bits: a number, a `|`-separated string of names, or a list of names and numbers.
    func bitNames(
        _ node: Node, _ what: String, prefix: String, _ table: [(String, UInt64)]
    ) throws(ScenarioError)
        -> UInt64
    {
        var parts: [(Node, String)] = []
        if case .sequence = node {
            for element in try reader.sequence(node, what) { parts.append((element, try reader.scalar(element, what))) }
        } else {
            let text = try reader.scalar(node, what)
            for part in text.split(separator: "|") { parts.append((node, String(part))) }
        }
        var bits: UInt64 = 0
        for (partNode, part) in parts {
            if let number = NumberSyntax.unsigned(part) {
                bits |= number
            } else if let value = SymbolNames.lookup(part, prefix: prefix, in: table) {
                bits |= value
            } else {
                let names = table.map(\.0).joined(separator: ", ")
                throw reader.error(partNode, "unknown \(what) '\(part.trimmingSpaces())' (known: \(names))")
            }
        }
        return bits
    }

    /// Advice by name (`MADV_DONTNEED`, `DONTNEED`) or raw number.
    func parseAdvice(_ node: Node) throws(ScenarioError) -> Int32 {
        let text = try reader.scalar(node, "advice")
        if let number = NumberSyntax.signedInteger(text) {
            guard let value = Int32(exactly: number) else {
                throw reader.error(node, "advice \(number) is out of range")
            }
            return value
        }
        guard let advice = SymbolNames.advice(text) else {
            let names = Advice.allCases.map(\.name).joined(separator: ", ")
            throw reader.error(node, "unknown advice '\(text)' (known: \(names))")
        }
        return advice
    }

    /// Parses fork; the child thread becomes known to later steps.
    mutating func parseFork(_ node: Node) throws(ScenarioError) -> ForkStep {
        let fields = try reader.fields(node, "fork", allowed: ["thread", "child", "cpu"])
        let parent = try fields["thread"].map { node throws(ScenarioError) in try threadCPU(node) } ?? threads[0]
        let childNode = try fields.required("child", reader)
        let child = try reader.name(childNode, "child")
        guard !threads.contains(where: { $0.name == child }) else {
            throw reader.error(childNode, "thread '\(child)' already exists")
        }
        let cpu = try fields["cpu"].map { node throws(ScenarioError) in try self.cpu(node) } ?? parent.cpu
        threads.append((child, cpu))
        return ForkStep(thread: parent.name, child: child, cpu: cpu)
    }

    /// Parses a read, write or exec step.
    func parseAccess(_ node: Node, _ operation: String) throws(ScenarioError) -> AccessStep {
        let keys = ["thread", "region", "addr", "pages", "page"] + (operation == "write" ? ["value"] : [])
        let fields = try reader.fields(node, operation, allowed: keys)
        let kind: AccessKind = operation == "read" ? .read : operation == "write" ? .write : .execute
        let span = try parseSpan(fields, node, allowLength: false)
        if let pages = span.pages, pages.count > Self.maxPagesPerStep {
            throw reader.error(
                fields["pages"] ?? fields["page"] ?? node,
                "one step may touch at most \(Self.maxPagesPerStep) pages, this one touches \(pages.count)")
        }
        let value = try fields["value"].map { node throws(ScenarioError) in try reader.unsigned(node, "value") } ?? 1
        return AccessStep(thread: try thread(fields["thread"]), kind: kind, span: span, value: value)
    }

    /// An address expression whose region, if any, is already mapped by an earlier step.
    func checkedAddress(_ node: Node, _ what: String) throws(ScenarioError) -> AddressExpression {
        let expression = try reader.address(node, what)
        if let region = expression.region, !regions.contains(region) {
            throw reader.error(node, "unknown region '\(region)' (name it with 'region:' in an earlier mmap)")
        }
        return expression
    }

    /// A range given by `region:` or `addr:`, with optional `pages:`/`page:` and (if allowed) `length:`.
    func parseSpan(_ fields: Fields, _ node: Node, allowLength: Bool = true) throws(ScenarioError) -> Span {
        let base: AddressExpression
        switch (fields["region"], fields["addr"]) {
        case (let regionNode?, nil):
            let name = try reader.name(regionNode, "region")
            guard regions.contains(name) else {
                throw reader.error(regionNode, "unknown region '\(name)' (name it with 'region:' in an earlier mmap)")
            }
            base = AddressExpression(base: .region(name), text: name)
        case (nil, let addrNode?):
            base = try checkedAddress(addrNode, "addr")
        case (_?, _?):
            throw reader.error(fields.keys["addr"]!, "give either 'region' or 'addr', not both")
        case (nil, nil):
            throw reader.error(node, "missing 'region' or 'addr' in \(fields.what)")
        }
        var span = Span(base: base, pages: nil, length: nil)
        if let pagesNode = fields["pages"] ?? fields["page"] {
            if fields["pages"] != nil && fields["page"] != nil {
                throw reader.error(fields.keys["page"]!, "give either 'pages' or 'page', not both")
            }
            span.pages = try reader.pageRange(pagesNode, "pages")
        }
        if let lengthNode = fields["length"] {
            guard span.pages == nil else {
                throw reader.error(fields.keys["length"]!, "give either 'pages' or 'length'")
            }
            span.length = try reader.size(lengthNode, "length")
        }
        if allowLength && fields["addr"] != nil && span.pages == nil && span.length == nil {
            throw reader.error(node, "missing 'length' (or 'pages') in \(fields.what)")
        }
        return span
    }
}
