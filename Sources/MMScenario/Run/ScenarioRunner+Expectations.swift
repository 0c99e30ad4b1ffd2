import MMHardware
import MMKernel

extension ScenarioRunner {
    /// Checks one expectation. `step` is the step it belongs to; `subject` is the step whose counters and results
    /// it talks about (the step itself, or for a standalone `expect:` the previous step). Nil when the expectation
    /// names no value for the run's scheme.
    func evaluate(_ expectation: Expectation, step: StepReport, subject: StepReport?) -> ExpectationOutcome? {
        let scheme = scenario.config.scheme
        var outcome = ExpectationOutcome(
            line: expectation.location.line, column: expectation.location.column, check: "", expected: "",
            actual: "", passed: false)
        func set(_ check: String, _ expected: String, _ actual: String, _ passed: Bool) {
            outcome.check = check
            outcome.expected = expected
            outcome.actual = actual
            outcome.passed = passed
        }
        switch expectation.check {
        case .result(let matcher):
            let (expected, passed) = matchResult(matcher, step.result)
            set("result", expected, step.result.text, passed)
        case .value(let token):
            let expected = hex(token)
            if case .signal = step.result {
                set("value", expected, step.result.text, false)
            } else if case .error = step.result {
                set("value", expected, step.result.text, false)
            } else if let index = accessValues.firstIndex(where: { $0 != token }) {
                set("value", expected, "\(hex(accessValues[index])) at access \(index)", false)
            } else {
                set("value", expected, expected, true)
            }
        case .signal(let name, let code):
            let expected = code.map { "\(name) (\($0))" } ?? name
            if case .signal(let actualName, let actualCode, _) = step.result {
                let actual = "\(actualName) (\(actualCode))"
                set("signal", expected, actual, actualName == name && (code == nil || code == actualCode))
            } else {
                set("signal", expected, "no signal: \(step.result.text)", false)
            }
        case .counter(let counter, let values):
            guard let count = values.value(for: scheme) else { return nil }
            guard let subject else {
                set(counter.rawValue, "\(count)", "no previous step", false)
                break
            }
            let actual = Self.counter(counter, of: subject)
            set(counter.rawValue, "\(count)", "\(actual)", actual == count)
        case .flushPages(let values):
            guard let expected = values.value(for: scheme) else { return nil }
            let actual = subject.map { RunSequence(flushes: $0, \.pages) } ?? RunSequence<Int>()
            set("flush_pages", "\(expected)", actual.text, subject != nil && actual.matches(expected))
        case .flushStrides(let values):
            guard let expected = values.value(for: scheme) else { return nil }
            let actual = subject.map { RunSequence(flushes: $0, \.strideShift) } ?? RunSequence<Int>()
            set("flush_strides", "\(expected)", actual.text, subject != nil && actual.matches(expected))
        case .resolutions(let names):
            guard let subject else {
                set("resolutions", names.joined(separator: ", "), "no previous step", false)
                break
            }
            let actual = RunSequence(faults: subject)
            set("resolutions", "[" + names.joined(separator: ", ") + "]", actual.text, actual.matches(names))
        case .layout(let thread, let span, let expected):
            switch resolve(span) {
            case .success(let range):
                let mm = machine.task(tasks[thread]!).mm
                let length = min(range.length, UInt64.max - range.start)
                let actual = machine.relativeLayout(mm, base: range.start, length: length)
                set("layout", expected, actual, actual == expected)
            case .failure(let failure): set("layout", expected, failure.message, false)
            }
        case .contents(let thread, let span, let token):
            set("contents", hex(token), checkContents(thread, span, token), false)
            outcome.passed = outcome.actual == outcome.expected
        case .vmas(let thread, let count):
            let actual = machine.mm(machine.task(tasks[thread]!).mm).vmas.count
            set("vmas", "\(count)", "\(actual)", actual == count)
        case .vma(let thread, let span, let property):
            let (check, expected, actual, passed) = checkVMA(thread, span, property)
            set(check, expected, actual, passed)
        }
        return outcome
    }

    /// Whether `result` satisfies `matcher`, and the expected text.
    func matchResult(_ matcher: Expectation.ResultMatcher, _ result: StepResult) -> (String, Bool) {
        switch matcher {
        case .success:
            switch result {
            case .integer, .address: return ("ok", true)
            default: return ("ok", false)
            }
        case .errno(let name):
            return ("-1 \(name)", result == .errno(name))
        case .value(let expression):
            switch expression.evaluate({ regions[$0]?.start }) {
            case .success(let value):
                switch result {
                case .integer(let actual): return ("\(value)", actual >= 0 && UInt64(actual) == value)
                case .address(let actual): return (hex(value), actual == value)
                default: return (hex(value), false)
                }
            case .failure(let failure): return (failure.message, false)
            }
        }
    }

    /// The value of `counter` summed over `step`.
    static func counter(_ counter: Expectation.Counter, of step: StepReport) -> Int {
        switch counter {
        case .flushes: return step.flushCount
        case .faults: return step.faultCount
        case .ipis: return step.cpus.reduce(0) { $0 + $1.ipisReceived }
        case .invlpg: return step.cpus.reduce(0) { $0 + $1.invlpg }
        case .fullFlushes: return step.cpus.reduce(0) { $0 + $1.fullFlushes }
        case .tlbMisses: return step.cpus.reduce(0) { $0 + $1.tlbMisses }
        case .tlbHits: return step.cpus.reduce(0) { $0 + $1.tlbHits }
        case .walks: return step.cpus.reduce(0) { $0 + $1.walks }
        }
    }

    /// Reads the pages of `span` through the page tables (no TLB, no faults): the expected token as hex if all hold
    /// it, else a description of the first page that differs.
    func checkContents(_ thread: String, _ span: Span, _ token: UInt64) -> String {
        let range: (start: UInt64, length: UInt64)
        switch resolve(span) {
        case .success(let resolved): range = resolved
        case .failure(let failure): return failure.message
        }
        let pages = max(1, (range.length &+ (Self.pageSize - 1)) / Self.pageSize)
        guard pages <= ScenarioParser.maxPagesPerStep, range.start <= UInt64.max - (pages - 1) * Self.pageSize else {
            return "range too large"
        }
        let mm = machine.task(tasks[thread]!).mm
        for page in 0..<pages {
            guard let pfn = machine.mappedFrame(mm, range.start + page * Self.pageSize) else {
                return "page \(page) not present"
            }
            let actual = machine.memory.read(pfn)
            if actual != token { return "\(hex(actual)) in page \(page)" }
        }
        return hex(token)
    }
}
