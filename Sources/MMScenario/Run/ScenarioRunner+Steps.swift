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
        case .mmap(let step): performMmap(step, into: &record)
        case .munmap(let step):
            guard let (task, range) = prepare(step.thread, step.span, into: &record) else { return }
            record.call = "munmap(\(hex(range.start)), \(range.length))"
            record.result = syscall { (machine: inout Machine) throws(KernelErrno) in
                try machine.munmap(task, range.start, range.length)
            }
        case .madvise(let step, let advice):
            guard let (task, range) = prepare(step.thread, step.span, into: &record) else { return }
            let name = Advice(rawValue: advice)?.name ?? "\(advice)"
            record.call = "madvise(\(hex(range.start)), \(range.length), \(name))"
            record.result = syscall { (machine: inout Machine) throws(KernelErrno) in
                try machine.madvise(task, range.start, range.length, advice: advice)
            }
        case .fork(let step):
            let task = begin(step.thread, into: &record)
            record.call = "fork()"
            do {
                let child = try machine.fork(task, childName: step.child, cpu: CPUID(step.cpu))
                tasks[step.child] = child
                record.result = .integer(Int64(ScenarioRunner.pid(child)))
                record.call = "fork() [child '\(step.child)' on cpu \(step.cpu)]"
            } catch {
                record.result = .errno(error.description)
            }
        case .access(let step): performAccess(step, into: &record)
        case .idle(let cpu):
            record.cpu = cpu
            record.call = "idle(cpu \(cpu))"
            machine.idle(cpu: CPUID(cpu))
        case .mprotect, .pkeyAlloc, .pkeyFree, .pkru, .uffdRegister, .uffdWriteProtect, .numaScan, .execve,
            .personality,
            .prctlMDWE, .mseal:
            performProtection(kind, into: &record)
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

    /// Begins a range syscall: resolves the span, or records why it cannot run.
    mutating func prepare(
        _ thread: String, _ span: Span, into record: inout StepReport
    )
        -> (TaskID, (start: UInt64, length: UInt64))?
    {
        let task = begin(thread, into: &record)
        switch resolve(span) {
        case .success(let range): return (task, range)
        case .failure(let failure):
            record.result = .error(failure.message)
            return nil
        }
    }

    /// Runs a syscall body, turning a thrown errno into the result.
    mutating func syscall(_ body: (inout Machine) throws(KernelErrno) -> Void) -> StepResult {
        do {
            try body(&machine)
            return .integer(0)
        } catch {
            return .errno(error.description)
        }
    }

    /// mmap: evaluates the hint, resolves the fd, calls the kernel, and names the region on success.
    mutating func performMmap(_ step: MmapStep, into record: inout StepReport) {
        let task = begin(step.thread, into: &record)
        var hint: UInt64 = 0
        if let address = step.address {
            switch address.evaluate({ regions[$0]?.start }) {
            case .success(let value): hint = value
            case .failure(let failure):
                record.result = .error(failure.message)
                return
            }
        }
        let file: FileID?
        let fdNumber: Int64
        switch step.fd {
        case .none:
            file = nil
            fdNumber = -1
        case .named(let name):
            file = fileIDs[name]
            fdNumber = Int64(scenario.files.first { $0.name == name }!.fd)
        case .number(let number):
            fdNumber = number
            let index = number - 3
            file = index >= 0 && index < scenario.files.count ? FileID(rawValue: Int(index)) : FileID(rawValue: -1)
        }
        let prot = Protection(rawValue: step.prot)
        let flags = MapFlags(rawValue: step.flags)
        let offsetText = step.offset == 0 ? "0" : hex(step.offset)
        let hintText = hint == 0 ? "NULL" : hex(hint)
        record.call = "mmap(\(hintText), \(step.length), \(prot), \(flags), \(fdNumber), \(offsetText))"
        do {
            let address = try machine.mmap(
                task, address: hint, length: step.length, prot: prot, flags: flags,
                file: flags.contains(.anonymous) ? nil : file, offset: step.offset)
            record.result = .address(address)
            if let region = step.region {
                let length = (step.length &+ (Self.pageSize - 1)) & ~(Self.pageSize - 1)
                regions[region] = (address, length)
            }
        } catch {
            record.result = .errno(error.description)
            if let region = step.region { regions[region] = nil }
        }
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
            switch machine.access(task, range.start + page * Self.pageSize, step.kind, value: step.value) {
            case .value(let token): values.append(token)
            case .signal(let signal):
                record.result = .signal(name: signal.name, code: signal.code, address: signal.address)
                accessValues = values
                return
            }
        }
        accessValues = values
        record.result = .value(values.last ?? 0)
    }

    /// A span's start and length in bytes: `pages` relative to the base, else `length`, else the whole region
    /// (or one page for a bare address).
    func resolve(_ span: Span) -> Result<(start: UInt64, length: UInt64), AddressExpression.EvaluationError> {
        let base: UInt64
        switch span.base.evaluate({ regions[$0]?.start }) {
        case .success(let value): base = value
        case .failure(let failure): return .failure(failure)
        }
        let overflow = AddressExpression.EvaluationError(message: "the range of '\(span.base.text)' overflows 64 bits")
        if let pages = span.pages {
            let (offset, o1) = pages.lower.multipliedReportingOverflow(by: Self.pageSize)
            let (start, o2) = base.addingReportingOverflow(offset)
            let (length, o3) = pages.count.multipliedReportingOverflow(by: Self.pageSize)
            if o1 || o2 || o3 { return .failure(overflow) }
            return .success((start, length))
        }
        if let length = span.length { return .success((base, length)) }
        if let name = span.base.region, span.base.offsets.isEmpty, let region = regions[name] {
            return .success((base, region.length))
        }
        return .success((base, Self.pageSize))
    }
}

/// `0x` followed by lower-case hex digits.
func hex(_ value: UInt64) -> String { "0x" + String(value, radix: 16) }
