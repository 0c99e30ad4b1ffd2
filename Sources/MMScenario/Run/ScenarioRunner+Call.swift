import MMHardware
import MMKernel

extension ScenarioRunner {
    /// Performs a call step: resolves its symbolic arguments into a `Syscall`, performs it through
    /// `Machine.perform(_:by:)`, and records the call's text and its outcome as the step's result; then names the
    /// result (mmap's `region:`, mremap's `new_region:`) or the forked child.
    mutating func performCall(_ step: CallStep, into record: inout StepReport) {
        let task = begin(step.thread, into: &record)
        let call: Syscall
        switch step.resolve({ regions[$0] }) {
        case .success(let resolved): call = resolved
        case .failure(let failure):
            record.result = .error(failure.message)
            return
        }
        record.call = call.description
        let outcome = machine.perform(call, by: task)
        record.result = Self.result(of: outcome, for: call)
        switch (call, outcome) {
        case (.mmap(_, let length, _, _, _, _), .returned(let address)):
            if let region = step.resultRegion { regions[region] = (address, Self.pageAligned(length)) }
        case (.mmap, _):
            if let region = step.resultRegion { regions[region] = nil }
        case (.mremap(_, _, let newLength, _, _), .returned(let address)):
            if let region = step.resultRegion { regions[region] = (address, Self.pageAligned(newLength)) }
        case (.fork(let child, _), .returned(let number)):
            tasks[child] = TaskID(rawValue: Int(number))
        default:
            break
        }
    }

    /// The step result of a call's outcome: an address for mmap and mremap, the child's pid for fork, the returned
    /// number otherwise; the errno, the signal, or why the model could not perform it.
    static func result(of outcome: SyscallOutcome, for call: Syscall) -> StepResult {
        switch outcome {
        case .returned(let value):
            switch call {
            case .mmap, .mremap: return .address(value)
            case .fork: return .integer(Int64(pid(TaskID(rawValue: Int(value)))))
            default: return .integer(Int64(bitPattern: value))
            }
        case .failed(let errno): return .errno(errno.description)
        case .signalled(let signal): return .signal(name: signal.name, code: signal.code, address: signal.address)
        case .notModelled(let what): return .error("not modelled: \(what)")
        }
    }

    /// `length` rounded up to whole pages (wrapping to 0 past the top, as the kernel's `PAGE_ALIGN`).
    static func pageAligned(_ length: UInt64) -> UInt64 { (length &+ (pageSize - 1)) & ~(pageSize - 1) }
}
