import MMHardware
import MMKernel

extension ScenarioRunner {
    /// Bytes per page.
    static let pageSize: UInt64 = 4096

    /// The most pages all access steps of one run may touch together, so that no scenario runs for hours.
    public static let maxPagesPerRun: UInt64 = 1 << 24

    /// Performs one operation, filling in the call text and the result.
    mutating func perform(_ kind: Step.Kind, into record: inout StepReport) {
        switch kind {
        case .call(let step): performCall(step, into: &record)
        case .access(let step): performAccess(step, into: &record)
        case .idle(let cpu):
            record.cpu = cpu
            record.call = "idle(cpu \(cpu))"
            machine.idle(cpu: CPUID(cpu))
        case .expect:
            record.call = "expect"
        }
    }

    /// The pid the report shows for a task: the model's task number plus 1000.
    static func pid(_ task: TaskID) -> Int { 1000 + task.rawValue }

    /// Schedules the calling thread (it must run to make a syscall) and records it in the step.
    mutating func begin(_ thread: String, into record: inout StepReport) -> TaskID {
        let task = tasks[thread]!
        record.thread = thread
        record.cpu = machine.task(task).cpu.rawValue
        machine.schedule(task)
        return task
    }

    /// Read, write or exec over pages: one access per page, stopping at the first signal.
    mutating func performAccess(_ step: AccessStep, into record: inout StepReport) {
        let task = begin(step.thread, into: &record)
        let range: (start: UInt64, length: UInt64)
        switch resolve(step.span) {
        case .success(let resolved): range = resolved
        case .failure(let failure):
            record.result = .error(failure.message)
            return
        }
        let pages = max(1, (range.length &+ (Self.pageSize - 1)) / Self.pageSize)
        let verb = step.kind == .execute ? "exec" : step.kind.rawValue
        let what = step.span.pages.map { "\(step.span.base)[\($0)]" } ?? step.span.base.text
        let valueText = step.kind == .write ? ", " + hex(step.value) : ""
        record.call = "\(verb)(\(what) @\(hex(range.start)), \(pages) page\(pages == 1 ? "" : "s")\(valueText))"
        guard pages <= ScenarioParser.maxPagesPerStep else {
            record.result = .error("one step may touch at most \(ScenarioParser.maxPagesPerStep) pages, not \(pages)")
            return
        }
        guard range.start <= UInt64.max - (pages - 1) * Self.pageSize else {
            record.result = .error("the accessed range overflows 64 bits")
            return
        }
        guard pagesTouched + pages <= Self.maxPagesPerRun else {
            record.result = .error("a run may touch at most \(Self.maxPagesPerRun) pages in all")
            return
        }
        pagesTouched += pages
        var values: [UInt64] = []
        for page in 0..<pages {
            let call = Syscall.access(address: range.start + page * Self.pageSize, kind: step.kind, value: step.value)
            switch machine.perform(call, by: task) {
            case .returned(let token): values.append(token)
            case let outcome:
                record.result = Self.result(of: outcome, for: call)
                accessValues = values
                return
            }
        }
        accessValues = values
        record.result = .value(values.last ?? 0)
    }

    /// A span's start and length in bytes, evaluated against the regions mapped so far (see `Span.resolve`).
    func resolve(_ span: Span) -> Result<(start: UInt64, length: UInt64), AddressExpression.EvaluationError> {
        span.resolve { regions[$0] }
    }
}

/// `0x` followed by lower-case hex digits.
func hex(_ value: UInt64) -> String { "0x" + String(value, radix: 16) }
