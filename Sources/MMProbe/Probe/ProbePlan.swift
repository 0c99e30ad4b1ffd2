import MMHardware
import MMKernel
import MMScenario

/// What the executor will do for a scenario, derived from the scenario and the model's run of it (which gives each
/// region its address), or why the scenario cannot be run for real.
struct ProbePlan: Sendable {
    /// One action per scenario step, in order.
    var actions: [ProbeAction]
    /// The measuring thread's CPU.
    var mainCPU: Int
    /// The second thread's CPU, nil for a single thread.
    var otherCPU: Int?
    /// The regions mapped by the end of each step (model addresses), indexed like `actions`.
    var regionsAfter: [[String: ModelRegion]]

    /// A named region in the model: start and page-rounded length.
    struct ModelRegion: Hashable, Sendable {
        /// First byte.
        var start: UInt64
        /// Length in bytes, page-rounded.
        var length: UInt64
    }

    /// Why a scenario cannot be probed.
    struct NotProbeable: Error, Hashable, Sendable {
        /// The reason, naming the step.
        var reason: String
    }

    /// Builds the plan for `scenario` given the model's `report` of the same scenario; `threads` 1 runs every
    /// access on the measuring thread.
    static func make(_ scenario: Scenario, report: RunReport, threads: Int) throws(NotProbeable) -> ProbePlan {
        guard let leader = scenario.threads.first, leader.process == nil else {
            throw NotProbeable(reason: "the scenario declares no thread")
        }
        let others = scenario.threads.dropFirst()
        guard others.count <= 1 else { throw NotProbeable(reason: "more than two threads") }
        if let other = others.first, other.process != leader.name {
            throw NotProbeable(reason: "thread '\(other.name)' is a separate process")
        }
        let online = HostThread.onlineCPUs
        let otherCPU = threads == 2 ? others.first?.cpu : nil
        for cpu in [leader.cpu] + (otherCPU.map { [$0] } ?? []) where cpu >= online {
            throw NotProbeable(reason: "CPU \(cpu) is not online here (\(online) CPUs)")
        }
        if let otherCPU, otherCPU == leader.cpu {
            throw NotProbeable(reason: "both threads are on CPU \(otherCPU)")
        }
        var plan = ProbePlan(actions: [], mainCPU: leader.cpu, otherCPU: otherCPU, regionsAfter: [])
        var regions: [String: ModelRegion] = [:]
        for (index, step) in scenario.steps.enumerated() {
            let location = "step \(index + 1) (line \(step.location.line), \(step.keyword))"
            let result = index < report.steps.count ? report.steps[index].result : .none
            if case .error(let message) = result { throw NotProbeable(reason: "\(location): \(message)") }
            var action = try action(
                for: step, result: result, leader: leader.name, regions: &regions, location: location)
            if case .access(let access, true) = action, otherCPU == nil {
                action = .access(access, onSpinner: false)
            }
            plan.actions.append(action)
            plan.regionsAfter.append(regions)
        }
        return plan
    }

    /// The action of one step; updates `regions` after mmap. A call step is resolved into its `Syscall` as the
    /// scenario runner resolves it, against the model's region addresses.
    static func action(
        for step: Step, result: StepResult, leader: String, regions: inout [String: ModelRegion], location: String
    ) throws(NotProbeable) -> ProbeAction {
        let lookup = { (name: String) in regions[name].map { (start: $0.start, length: $0.length) } }
        switch step.kind {
        case .expect: return .skip
        case .call(let call):
            if let reason = unprobeable(call.syscall) { throw NotProbeable(reason: "\(location): \(reason)") }
            guard call.thread == leader else {
                throw NotProbeable(reason: "\(location): only the first thread's syscalls are measured")
            }
            let syscall: Syscall
            switch call.resolve(lookup) {
            case .success(let resolved): syscall = resolved
            case .failure(let failure): throw NotProbeable(reason: "\(location): \(failure.message)")
            }
            switch syscall {
            case .mmap(let hint, let length, let prot, let flags, _, _):
                var modelAddress: UInt64?
                if case .address(let address) = result { modelAddress = address }
                if let name = call.resultRegion {
                    let length = (length &+ 4095) & ~4095
                    regions[name] = modelAddress.map { ModelRegion(start: $0, length: length) }
                }
                return .mmap(
                    modelAddress: modelAddress, hint: hint, length: length, prot: Int32(truncatingIfNeeded: prot),
                    flags: Int32(truncatingIfNeeded: flags))
            case .mprotect(let start, let length, let prot), .pkeyMprotect(let start, let length, let prot, _):
                return .mprotect(start: start, length: length, prot: Int32(truncatingIfNeeded: prot))
            case .munmap(let start, let length):
                return .munmap(start: start, length: length)
            case .madvise(let start, let length, let advice):
                return .madvise(start: start, length: length, advice: Int32(truncatingIfNeeded: advice))
            default:
                throw NotProbeable(reason: "\(location): \(syscall.name) is not probed")
            }
        case .access(let access):
            if case .signal(let name, _, _) = result {
                throw NotProbeable(reason: "\(location): the access raises \(name) in the model")
            }
            let kind: PageAccess.Kind
            switch access.kind {
            case .read: kind = .read
            case .write: kind = .write
            case .execute: throw NotProbeable(reason: "\(location): instruction fetches are not probed")
            }
            let start: UInt64
            let length: UInt64
            switch access.span.resolve(lookup) {
            case .success(let range): (start, length) = range
            case .failure(let failure): throw NotProbeable(reason: "\(location): \(failure.message)")
            }
            let pages = max(1, (length &+ 4095) / 4096)
            return .access(
                PageAccess(kind: kind, address: start, pages: pages, value: access.value),
                onSpinner: access.thread != leader)
        case .idle: throw NotProbeable(reason: "\(location): a lazy (idle) CPU cannot be arranged for real")
        }
    }

    /// Why a call cannot be measured on the real kernel, if it cannot (before its arguments are looked at).
    static func unprobeable(_ call: Syscall) -> String? {
        switch call {
        case .mmap(_, _, _, let flags, let fd, _):
            return fd == -1 && MapFlags(rawValue: flags).contains(.anonymous) ? nil : "file mappings are not probed"
        case .pkeyMprotect(_, _, _, let pkey) where pkey != -1:
            return "pkey_mprotect with a key (this CPU has no PKU)"
        case .mprotect, .pkeyMprotect, .munmap, .madvise: return nil
        case .fork: return "fork is not probed"
        case .pkeyAlloc, .pkeyFree, .writePKRU: return "pkeys need PKU"
        case .uffdRegister, .uffdWriteProtect: return "userfaultfd is not probed"
        case .numaScan: return "the NUMA scanner cannot be driven from user space"
        case .execve: return "execve is not probed"
        case .personality, .prctl: return "process settings are not probed"
        case .mseal: return "mseal is irreversible for the probing process"
        case .mremap, .mlock, .mlock2, .munlock, .mlockall, .munlockall, .access:
            return "\(call.name) is not probed"
        }
    }
}
