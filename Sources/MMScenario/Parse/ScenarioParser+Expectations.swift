import MMKernel
import Yams

/// Which checks an `expect:` block may contain depends on what it follows.
enum ExpectContext {
    /// After a syscall (mmap, mprotect, fork, ...): `result` and counters.
    case syscall
    /// After read, write or exec: `value`, `signal`, `code` and counters.
    case access
    /// After idle: counters.
    case idle
    /// A step of its own: state checks (`layout`, `contents`, `vmas`) and counters of the previous step.
    case standalone

    /// The keys allowed in this context.
    var keys: [String] {
        let counters = Expectation.Counter.allCases.map(\.rawValue) + ["resolutions", "flush_pages", "flush_strides"]
        switch self {
        case .syscall: return ["result", "signal", "code"] + counters
        case .access: return ["value", "signal", "code"] + counters
        case .idle: return counters
        case .standalone: return ["layout", "contents", "vmas", "vma"] + counters
        }
    }
}

extension ScenarioParser {
    /// Parses an `expect:` mapping in `context`.
    func parseExpectations(_ node: Node, context: ExpectContext) throws(ScenarioError) -> [Expectation] {
        let fields = try reader.fields(node, "expect", allowed: context.keys)
        if fields["code"] != nil && fields["signal"] == nil {
            throw reader.error(fields.keys["code"]!, "'code' needs a 'signal'")
        }
        var expectations: [Expectation] = []
        for key in fields.order {
            let value = fields.values[key]!
            let location = reader.location(fields.keys[key]!)
            let check: Expectation.Check
            switch key {
            case "vma":
                expectations += try parseVMAExpectations(value)
                continue
            case "result": check = .result(try parseResult(value))
            case "value": check = .value(try reader.unsigned(value, "value"))
            case "signal":
                let name = try reader.scalar(value, "signal")
                guard SymbolNames.signals.contains(name) else {
                    throw reader.error(value, "unknown signal '\(name)' (known: SIGSEGV, SIGBUS)")
                }
                var code: String?
                if let codeNode = fields["code"] {
                    let text = try reader.scalar(codeNode, "code")
                    guard SymbolNames.signalCodes.contains(text) else {
                        let known = SymbolNames.signalCodes.joined(separator: ", ")
                        throw reader.error(codeNode, "unknown si_code '\(text)' (known: \(known))")
                    }
                    code = text
                }
                check = .signal(name: name, code: code)
            case "code": continue
            case "resolutions":
                var names: [String] = []
                for element in try reader.sequence(value, "resolutions") {
                    let name = try reader.scalar(element, "a resolution")
                    guard FaultResolution(rawValue: name) != nil else {
                        throw reader.error(element, "unknown fault resolution '\(name)'")
                    }
                    names.append(name)
                }
                check = .resolutions(names)
            case "flush_pages":
                check = .flushPages(
                    try schemeValues(value, key) { node throws(ScenarioError) in try integerList(node, key) })
            case "flush_strides":
                check = .flushStrides(
                    try schemeValues(value, key) { node throws(ScenarioError) in try integerList(node, key) })
            case "layout": check = try parseLayout(value)
            case "contents":
                let fields = try reader.fields(
                    value, "contents", allowed: ["thread", "region", "addr", "pages", "page", "value"])
                let span = try parseSpan(fields, value, allowLength: false)
                if let pages = span.pages, pages.count > Self.maxPagesPerStep {
                    throw reader.error(value, "contents may check at most \(Self.maxPagesPerStep) pages")
                }
                let token = try reader.unsigned(try fields.required("value", reader), "value")
                check = .contents(thread: try thread(fields["thread"]), span: span, value: token)
            case "vmas":
                if case .scalar = value {
                    check = .vmas(
                        thread: threads[0].name, count: Int(try reader.integer(value, "vmas", in: 0...1 << 40)))
                } else {
                    let fields = try reader.fields(value, "vmas", allowed: ["thread", "count"])
                    let count = try reader.integer(try fields.required("count", reader), "count", in: 0...1 << 40)
                    check = .vmas(thread: try thread(fields["thread"]), count: Int(count))
                }
            default:
                let counter = Expectation.Counter(rawValue: key)!
                check = .counter(
                    counter,
                    try schemeValues(value, key) { node throws(ScenarioError) in
                        Int(try reader.integer(node, key, in: 0...1 << 40))
                    })
            }
            expectations.append(Expectation(location: location, check: check))
        }
        return expectations
    }

    /// A value that may be given per scheme: a plain value, or a mapping from `before`, `seed`, `merged` and
    /// `default` to values.
    func schemeValues<Value>(
        _ node: Node, _ what: String, _ parse: (Node) throws(ScenarioError) -> Value
    ) throws(ScenarioError) -> SchemeValues<Value> {
        guard case .mapping = node else { return SchemeValues(try parse(node)) }
        let keys = FlushScheme.allCases.map(\.rawValue) + ["default"]
        let fields = try reader.fields(node, what, allowed: keys, unknown: "scheme")
        var perScheme: [FlushScheme: Value] = [:]
        var fallback: Value?
        for key in fields.order {
            let value = try parse(fields.values[key]!)
            if let scheme = FlushScheme(rawValue: key) { perScheme[scheme] = value } else { fallback = value }
        }
        return SchemeValues(perScheme: perScheme, fallback: fallback)
    }

    /// A list of integers (`[-1, 1]`), each between -1 and 2^40.
    func integerList(_ node: Node, _ what: String) throws(ScenarioError) -> [Int] {
        var values: [Int] = []
        for element in try reader.sequence(node, what) {
            values.append(Int(try reader.integer(element, what, in: -1...1 << 40)))
        }
        return values
    }

    /// `result:` — `ok`, `0`, an errno name, or an address expression.
    func parseResult(_ node: Node) throws(ScenarioError) -> Expectation.ResultMatcher {
        let text = try reader.scalar(node, "result")
        if text == "ok" || text == "success" { return .success }
        if KernelErrno(name: text) != nil { return .errno(text) }
        if text.hasPrefix("E") && text == text.uppercased() && NumberSyntax.isIdentifier(text) {
            let known = KernelErrno.allCases.map(\.description).joined(separator: ", ")
            throw reader.error(node, "unknown errno '\(text)' (known: \(known))")
        }
        return .value(try checkedAddress(node, "result"))
    }

    /// `layout: {region: buf, pages: 4, is: "[0,1)r--p [1,4)rw-p"}`: a bare `pages: N` is a window of N pages.
    func parseLayout(_ node: Node) throws(ScenarioError) -> Expectation.Check {
        let fields = try reader.fields(node, "layout", allowed: ["thread", "region", "addr", "pages", "length", "is"])
        var span = try parseSpan(fields, node)
        if let pagesNode = fields["pages"], let range = span.pages,
            !(try reader.scalar(pagesNode, "pages")).contains(".")
        {
            guard range.lower > 0 else { throw reader.error(pagesNode, "a layout window needs at least 1 page") }
            span.pages = PageRange(lower: 0, upper: range.lower - 1)
        }
        let expected = try reader.scalar(try fields.required("is", reader), "is")
        return .layout(thread: try thread(fields["thread"]), span: span, expected: expected)
    }
}

extension ScenarioParser {
    /// The `VmFlags` mnemonics a `vma:` check may name (those of Linux 6.18 on x86-64).
    static let vmFlagMnemonics: Set<String> = [
        "rd", "wr", "ex", "sh", "mr", "mw", "me", "ms", "gd", "pf", "lo", "io", "sr", "rr", "dc", "de", "lf", "ac",
        "nr", "ht", "sf", "ar", "wf", "dd", "sd", "mm", "hg", "nh", "mg", "um", "uw", "ui", "ss", "dp", "sl",
    ]

    /// `vma: {region: buf, page: 3, vmflags: [rd, wr, mr, mw, me, ac], rss: 16 pages, anon_huge_pages: 0}`: one
    /// check per property key, each at its key's position, about the VMA that contains the address.
    func parseVMAExpectations(_ node: Node) throws(ScenarioError) -> [Expectation] {
        let properties = ["vmflags", "rss", "anon_huge_pages"]
        let fields = try reader.fields(node, "vma", allowed: ["thread", "region", "addr", "page"] + properties)
        if let page = fields["page"], case .scalar = page, (try reader.scalar(page, "page")).contains(".") {
            throw reader.error(page, "a vma check names one page, not a range")
        }
        let span = try parseSpan(fields, node, allowLength: false)
        let thread = try thread(fields["thread"])
        var expectations: [Expectation] = []
        for key in fields.order where properties.contains(key) {
            let value = fields.values[key]!
            let property: Expectation.VMAProperty
            switch key {
            case "vmflags": property = try parseVMFlags(value)
            case "rss": property = .rss(try reader.size(value, "rss"))
            default: property = .anonHugePages(try reader.size(value, "anon_huge_pages"))
            }
            expectations.append(
                Expectation(
                    location: reader.location(fields.keys[key]!),
                    check: .vma(thread: thread, span: span, property: property)))
        }
        if expectations.isEmpty { throw reader.error(node, "a vma check needs vmflags, rss or anon_huge_pages") }
        return expectations
    }

    /// `vmflags:` as a list (`[rd, wr]`), a string (`"rd wr"`), or `{has: [...], lacks: [...]}`.
    func parseVMFlags(_ node: Node) throws(ScenarioError) -> Expectation.VMAProperty {
        if case .mapping = node {
            let fields = try reader.fields(node, "vmflags", allowed: ["has", "lacks"])
            guard fields["has"] != nil || fields["lacks"] != nil else {
                throw reader.error(node, "vmflags needs 'has' or 'lacks'")
            }
            let has = try fields["has"].map { node throws(ScenarioError) in try mnemonics(node) } ?? []
            let lacks = try fields["lacks"].map { node throws(ScenarioError) in try mnemonics(node) } ?? []
            return .vmFlags(exactly: nil, has: has, lacks: lacks)
        }
        return .vmFlags(exactly: try mnemonics(node), has: [], lacks: [])
    }

    /// A list or space-separated string of known `VmFlags` mnemonics.
    func mnemonics(_ node: Node) throws(ScenarioError) -> [String] {
        var names: [(String, Node)] = []
        if case .scalar = node {
            let text = try reader.scalar(node, "vmflags")
            names = text.split(separator: " ").map { (String($0), node) }
        } else {
            for element in try reader.sequence(node, "vmflags") {
                names.append((try reader.scalar(element, "a VmFlags mnemonic"), element))
            }
        }
        for (name, element) in names where !Self.vmFlagMnemonics.contains(name) {
            let known = Self.vmFlagMnemonics.sorted().joined(separator: " ")
            throw reader.error(element, "unknown VmFlags mnemonic '\(name)' (known: \(known))")
        }
        return names.map(\.0)
    }
}
