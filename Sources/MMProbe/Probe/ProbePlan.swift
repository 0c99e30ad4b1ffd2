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
    /// The scenario's declared files, made real for each run.
    var files: [FileSpec] = []

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
        if let file = scenario.files.first(where: \.noexec) {
            throw NotProbeable(reason: "file '\(file.name)' is on a noexec mount, which the probe cannot create")
        }
        var plan = ProbePlan(
            actions: [], mainCPU: leader.cpu, otherCPU: otherCPU, regionsAfter: [], files: scenario.files)
        var context = Context(leader: leader.name, mainCPU: leader.cpu, otherCPU: otherCPU, files: scenario.files)
        for (index, step) in scenario.steps.enumerated() {
            context.location = "step \(index + 1) (line \(step.location.line), \(step.keyword))"
            let result = index < report.steps.count ? report.steps[index].result : .none
            if case .error(let message) = result { throw NotProbeable(reason: "\(context.location): \(message)") }
            plan.actions.append(try action(for: step, result: result, context: &context))
            plan.regionsAfter.append(context.regions)
        }
        return plan
    }

    /// What the plan knows while it walks the steps.
    struct Context {
        /// The measuring thread's name.
        var leader: String
        /// The measuring thread's CPU.
        var mainCPU: Int
        /// The second thread's CPU, nil for one thread.
        var otherCPU: Int?
        /// The declared files.
        var files: [FileSpec]
        /// The regions mapped so far.
        var regions: [String: ModelRegion] = [:]
        /// The forked child's thread name, once forked.
        var child: String?
        /// The step being planned, for messages.
        var location = ""

        /// Who performs an access by `thread`.
        func actor(_ thread: String) -> ProbeAction.Actor {
            if thread == leader || otherCPU == nil && thread != child { return .measuring }
            return thread == child ? .child : .spinner
        }
    }

    /// The action of one step; updates the context's regions after mmap and its child after fork. A call step is
    /// resolved into its `Syscall` as the scenario runner resolves it, against the model's region addresses.
    static func action(
        for step: Step, result: StepResult, context: inout Context
    ) throws(NotProbeable) -> ProbeAction {
        let location = context.location
        let regions = context.regions
        let lookup = { (name: String) in regions[name].map { (start: $0.start, length: $0.length) } }
        switch step.kind {
        case .expect: return .skip
        case .call(let call):
            if let reason = unprobeable(call.syscall) { throw NotProbeable(reason: "\(location): \(reason)") }
            guard call.thread == context.leader else {
                throw NotProbeable(reason: "\(location): only the first thread's syscalls are measured")
            }
            let syscall: Syscall
            switch call.resolve(lookup) {
            case .success(let resolved): syscall = resolved
            case .failure(let failure): throw NotProbeable(reason: "\(location): \(failure.message)")
            }
            switch syscall {
            case .mmap(let hint, let length, let prot, let flags, let fd, let offset):
                let anonymous = MapFlags(rawValue: flags).contains(.anonymous)
                let file = anonymous ? nil : try fileIndex(fd, context.files, location: location)
                var modelAddress: UInt64?
                if case .address(let address) = result { modelAddress = address }
                if let name = call.resultRegion {
                    let length = (length &+ 4095) & ~4095
                    context.regions[name] = modelAddress.map { ModelRegion(start: $0, length: length) }
                }
                return .mmap(
                    modelAddress: modelAddress, hint: hint, length: length, prot: Int32(truncatingIfNeeded: prot),
                    flags: Int32(truncatingIfNeeded: flags), file: file, offset: offset)
            case .mprotect(let start, let length, let prot), .pkeyMprotect(let start, let length, let prot, _):
                return .mprotect(start: start, length: length, prot: Int32(truncatingIfNeeded: prot))
            case .munmap(let start, let length):
                return .munmap(start: start, length: length)
            case .madvise(let start, let length, let advice):
                return .madvise(start: start, length: length, advice: Int32(truncatingIfNeeded: advice))
            case .fork(let child, let cpu):
                guard context.child == nil else { throw NotProbeable(reason: "\(location): more than one fork") }
                guard cpu.rawValue < HostThread.onlineCPUs else {
                    throw NotProbeable(reason: "\(location): CPU \(cpu.rawValue) is not online here")
                }
                if cpu.rawValue == context.otherCPU {
                    // The model's child keeps that CPU after its accesses; the real child blocks between them, and
                    // the spinner takes the CPU back with the parent's mm, so the parent's later flushes reach it.
                    throw NotProbeable(
                        reason: "\(location): the child would share CPU \(cpu.rawValue) with the second thread")
                }
                context.child = child
                return .fork(cpu: cpu.rawValue)
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
            let (start, length) = try resolve(access.span, regions, location: location)
            let pages = max(1, (length &+ 4095) / 4096)
            return .access(
                PageAccess(kind: kind, address: start, pages: pages, value: access.value),
                by: context.actor(access.thread))
        case .idle(let cpu):
            if cpu == context.otherCPU { return .idle(.parkSpinner) }
            if cpu == context.mainCPU { return .idle(.sleepMeasuring) }
            return .skip
        }
    }

    /// Why a call cannot be measured on the real kernel, if it cannot (before its arguments are looked at).
    static func unprobeable(_ call: Syscall) -> String? {
        switch call {
        case .pkeyMprotect(_, _, _, let pkey) where pkey != -1:
            return "pkey_mprotect with a key (this CPU has no PKU)"
        case .mmap, .mprotect, .pkeyMprotect, .munmap, .madvise, .fork: return nil
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

    /// The declared file an mmap's fd names, by the number the scenario gives it.
    static func fileIndex(_ fd: Int64, _ files: [FileSpec], location: String) throws(NotProbeable) -> Int {
        guard let index = files.firstIndex(where: { Int64($0.fd) == fd }) else {
            throw NotProbeable(reason: "\(location): fd \(fd) is not a declared file")
        }
        return index
    }

    /// A span's model start and length: pages relative to the base, else the explicit length, else the whole
    /// region (or one page for a bare address). Mirrors `ScenarioRunner.resolve`.
    static func resolve(
        _ span: Span, _ regions: [String: ModelRegion], location: String
    ) throws(NotProbeable) -> (UInt64, UInt64) {
        let base: UInt64
        switch span.base.evaluate({ regions[$0]?.start }) {
        case .success(let value): base = value
        case .failure(let failure): throw NotProbeable(reason: "\(location): \(failure.message)")
        }
        if let pages = span.pages {
            let (offset, o1) = pages.lower.multipliedReportingOverflow(by: 4096)
            let (start, o2) = base.addingReportingOverflow(offset)
            let (length, o3) = pages.count.multipliedReportingOverflow(by: 4096)
            if o1 || o2 || o3 {
                throw NotProbeable(reason: "\(location): the range of '\(span.base.text)' overflows 64 bits")
            }
            return (start, length)
        }
        if let length = span.length { return (base, length) }
        if let name = span.base.region, span.base.offsets.isEmpty, let region = regions[name] {
            return (base, region.length)
        }
        return (base, 4096)
    }
}
