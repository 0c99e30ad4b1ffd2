import MMHardware
import MMKernel
import Yams

extension ScenarioParser {
    /// The operations a step can perform (exactly one per step, except a standalone `expect`).
    static let operations =
        ["mmap", "munmap", "madvise", "fork", "read", "write", "exec", "idle"] + protectionOperations
        + memoryOperations

    /// The keys that give a range: a base (`region` or `addr`) and pages or a length.
    static let rangeKeys = ["thread", "region", "addr", "pages", "page", "length"]

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
        case "idle":
            if case .scalar = body {
                kind = .idle(cpu: try cpu(body))
            } else {
                let fieldsOfBody = try reader.fields(body, "idle", allowed: ["cpu"])
                kind = .idle(cpu: try cpu(try fieldsOfBody.required("cpu", reader)))
            }
            context = .idle
        case _ where ["read", "write", "exec"].contains(operation) && !isExecve(operation, body):
            kind = .access(try parseAccess(body, operation))
            context = .access
        default:
            kind = .call(try parseCall(operation, body))
            context = .syscall
        }
        let expectations = try fields["expect"].map { node throws(ScenarioError) in
            try parseExpectations(node, context: context)
        }
        return Step(location: reader.location(node), kind: kind, note: note, expectations: expectations ?? [])
    }

    /// Parses the body of an operation that performs one call.
    mutating func parseCall(_ operation: String, _ body: Node) throws(ScenarioError) -> CallStep {
        switch operation {
        case "mmap":
            return try parseMmap(body)
        case "munmap":
            let (_, thread, span) = try parseRange(body, operation)
            return CallStep(keyword: operation, thread: thread, syscall: .munmap(address: 0, length: 0), span: span)
        case "madvise":
            let (fields, thread, span) = try parseRange(body, operation, extra: ["advice"])
            let advice = Int64(try parseAdvice(try fields.required("advice", reader)))
            return CallStep(
                keyword: operation, thread: thread, syscall: .madvise(address: 0, length: 0, advice: advice), span: span
            )
        case "fork":
            return try parseFork(body)
        case _ where Self.memoryOperations.contains(operation):
            return try parseMemoryStep(operation, body)
        default:
            return try parseProtectionStep(operation, body)
        }
    }

    /// The thread and range of a range call (`extra` keys allowed besides the range's), with the mapping's fields.
    /// `lengthKey` names the length (mremap's is `old_length`).
    func parseRange(
        _ body: Node, _ operation: String, extra: [String] = [], lengthKey: String = "length"
    ) throws(ScenarioError) -> (Fields, thread: String, span: Span) {
        let keys = Self.rangeKeys.filter { $0 != "length" } + [lengthKey] + extra
        let fields = try reader.fields(body, operation, allowed: keys)
        return (fields, try thread(fields["thread"]), try parseSpan(fields, body, lengthKey: lengthKey))
    }

    /// Parses the arguments of mmap; a `region:` becomes known to later steps.
    mutating func parseMmap(_ node: Node) throws(ScenarioError) -> CallStep {
        let keys = ["thread", "region", "addr", "length", "prot", "flags", "fd", "offset"]
        let fields = try reader.fields(node, "mmap", allowed: keys)
        let length = try reader.size(try fields.required("length", reader), "length")
        var prot = Protection.read.rawValue | Protection.write.rawValue
        var flags = MapFlags.private.rawValue | MapFlags.anonymous.rawValue
        var fd: Int64 = -1
        var offset: UInt64 = 0
        let address = try fields["addr"].map { node throws(ScenarioError) in try checkedAddress(node, "addr") }
        if let protNode = fields["prot"] { prot = try bitNames(protNode, "prot", prefix: "PROT_", SymbolNames.prot) }
        if let flagsNode = fields["flags"] {
            flags = try bitNames(flagsNode, "flags", prefix: "MAP_", SymbolNames.mapFlags)
        }
        if let offsetNode = fields["offset"] { offset = try reader.size(offsetNode, "offset") }
        if let fdNode = fields["fd"] {
            let text = try reader.scalar(fdNode, "fd")
            if let number = NumberSyntax.signedInteger(text) {
                fd = number
            } else if let named = fileNames[text] {
                fd = named
            } else {
                throw reader.error(fdNode, "unknown file '\(text)' (declare it under files:)")
            }
        }
        let region = try fields["region"].map { node throws(ScenarioError) in try defineRegion(node) }
        return CallStep(
            keyword: "mmap", thread: try thread(fields["thread"]),
            syscall: .mmap(address: 0, length: length, prot: prot, flags: flags, fd: fd, offset: offset),
            address: address, resultRegion: region)
    }

    /// A region name defined by this step (mmap's `region:`, mremap's `new_region:`), known to later steps.
    mutating func defineRegion(_ node: Node) throws(ScenarioError) -> String {
        let name = try reader.name(node, "region")
        guard name.uppercased() != "NULL" else { throw reader.error(node, "'\(name)' cannot name a region") }
        regions.insert(name)
        return name
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

    /// Bits named after one of the vocabulary's tables (`SyscallConstants`), accepted with or without the C prefix
    /// and in any case: `[maymove, fixed]`, `MREMAP_MAYMOVE|MREMAP_FIXED`, `3`.
    func constantBits(
        _ node: Node, _ what: String, prefix: String, _ table: [(name: String, value: UInt64)]
    ) throws(ScenarioError) -> UInt64 {
        try bitNames(node, what, prefix: prefix, SymbolNames.table(table, prefix: prefix))
    }

    /// Advice by name (`MADV_DONTNEED`, `DONTNEED`, `dontneed`: every advice of Linux 6.18) or raw number.
    func parseAdvice(_ node: Node) throws(ScenarioError) -> Int32 {
        let text = try reader.scalar(node, "advice")
        if let number = NumberSyntax.signedInteger(text) {
            guard let value = Int32(exactly: number) else {
                throw reader.error(node, "advice \(number) is out of range")
            }
            return value
        }
        guard let advice = SymbolNames.advice(text) else {
            let names = SyscallConstants.advice.map(\.name).joined(separator: ", ")
            throw reader.error(node, "unknown advice '\(text)' (known: \(names))")
        }
        return advice
    }

    /// Parses fork; the child thread becomes known to later steps.
    mutating func parseFork(_ node: Node) throws(ScenarioError) -> CallStep {
        let fields = try reader.fields(node, "fork", allowed: ["thread", "child", "cpu"])
        let parent = try fields["thread"].map { node throws(ScenarioError) in try threadCPU(node) } ?? threads[0]
        let childNode = try fields.required("child", reader)
        let child = try reader.name(childNode, "child")
        guard !threads.contains(where: { $0.name == child }) else {
            throw reader.error(childNode, "thread '\(child)' already exists")
        }
        let cpu = try fields["cpu"].map { node throws(ScenarioError) in try self.cpu(node) } ?? parent.cpu
        threads.append((child, cpu))
        return CallStep(keyword: "fork", thread: parent.name, syscall: .fork(childName: child, cpu: CPUID(cpu)))
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

    /// A range given by `region:` or `addr:`, with optional `pages:`/`page:` and (if allowed) a length under
    /// `lengthKey`.
    func parseSpan(
        _ fields: Fields, _ node: Node, allowLength: Bool = true, lengthKey: String = "length"
    ) throws(ScenarioError) -> Span {
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
        if let lengthNode = fields[lengthKey] {
            guard span.pages == nil else {
                throw reader.error(fields.keys[lengthKey]!, "give either 'pages' or '\(lengthKey)'")
            }
            span.length = try reader.size(lengthNode, lengthKey)
        }
        if allowLength && fields["addr"] != nil && span.pages == nil && span.length == nil {
            throw reader.error(node, "missing '\(lengthKey)' (or 'pages') in \(fields.what)")
        }
        return span
    }
}
