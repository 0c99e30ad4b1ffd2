import MMHardware
import MMKernel

extension ScenarioRunner {
    /// Performs mprotect, pkey_mprotect, the pkey calls, WRPKRU, the userfaultfd ioctls, a NUMA scan, execve,
    /// personality, the MDWE prctl and mseal: the protection-changing operations and the other
    /// `change_protection()` callers.
    mutating func performProtection(_ kind: Step.Kind, into record: inout StepReport) {
        switch kind {
        case .mprotect(let step):
            guard let (task, range) = prepare(step.thread, step.span, into: &record) else { return }
            let prot = Protection(rawValue: step.prot)
            if let pkey = step.pkey {
                record.call = "pkey_mprotect(\(hex(range.start)), \(range.length), \(prot), \(pkey))"
                record.result = syscall { (machine: inout Machine) throws(KernelErrno) in
                    try machine.pkeyMprotect(task, range.start, range.length, prot: step.prot, pkey: pkey)
                }
            } else {
                record.call = "mprotect(\(hex(range.start)), \(range.length), \(prot))"
                record.result = syscall { (machine: inout Machine) throws(KernelErrno) in
                    try machine.mprotect(task, range.start, range.length, prot: step.prot)
                }
            }
        case .pkeyAlloc(let thread, let flags, let rights):
            let task = begin(thread, into: &record)
            record.call = "pkey_alloc(\(flags), \(rights))"
            do {
                record.result = .integer(Int64(try machine.pkeyAlloc(task, flags: flags, accessRights: rights)))
            } catch {
                record.result = .errno(error.description)
            }
        case .pkeyFree(let thread, let pkey):
            let task = begin(thread, into: &record)
            record.call = "pkey_free(\(pkey))"
            record.result = syscall { (machine: inout Machine) throws(KernelErrno) in try machine.pkeyFree(task, pkey) }
        case .pkru(let thread, let value):
            let task = begin(thread, into: &record)
            record.call = "wrpkru(0x\(String(value, radix: 16)))"
            guard machine.config.pku else {
                record.result = .error("WRPKRU raises #UD on a CPU without protection keys (machine: {pku: true})")
                return
            }
            machine.writePKRU(task, value)
        case .uffdRegister(let step, let missing):
            guard let (task, range) = prepare(step.thread, step.span, into: &record) else { return }
            let mode = missing ? "MISSING|WP" : "WP"
            record.call = "ioctl(uffd, UFFDIO_REGISTER, {\(hex(range.start)), \(range.length), \(mode)})"
            record.result = syscall { (machine: inout Machine) throws(KernelErrno) in
                try machine.userfaultfdRegister(task, range.start, range.length, missing: missing)
            }
        case .uffdWriteProtect(let step, let protect):
            guard let (task, range) = prepare(step.thread, step.span, into: &record) else { return }
            let mode = protect ? "MODE_WP" : "0"
            record.call = "ioctl(uffd, UFFDIO_WRITEPROTECT, {\(hex(range.start)), \(range.length), \(mode)})"
            record.result = syscall { (machine: inout Machine) throws(KernelErrno) in
                try machine.userfaultfdWriteProtect(task, range.start, range.length, protect: protect)
            }
        case .numaScan(let step):
            guard let (task, range) = prepare(step.thread, step.span, into: &record) else { return }
            record.call = "task_numa_work(\(hex(range.start)), \(range.length))"
            let end = range.start.addingReportingOverflow(range.length)
            guard !end.overflow else {
                record.result = .error("the scanned range overflows 64 bits")
                return
            }
            record.result = .integer(Int64(machine.numaHintingScan(task, range.start, end.partialValue)))
        case .execve(let step):
            let task = begin(step.thread, into: &record)
            let stack = step.executableStack.map { $0 ? "PF_X" : "PF_R|PF_W" } ?? "default"
            record.call = "execve(arg pages \(step.argumentPages), stack \(stack))"
            record.result = syscall { (machine: inout Machine) throws(KernelErrno) in
                try machine.exec(task, argumentPages: step.argumentPages, executableStack: step.executableStack)
            }
        case .personality(let thread, let readImpliesExec):
            let task = begin(thread, into: &record)
            record.call = "personality(\(readImpliesExec ? "READ_IMPLIES_EXEC" : "PER_LINUX"))"
            machine.setReadImpliesExec(task, readImpliesExec)
            record.result = .integer(0)
        case .prctlMDWE(let thread):
            let task = begin(thread, into: &record)
            record.call = "prctl(PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN)"
            machine.prctlSetMDWE(task)
            record.result = .integer(0)
        case .mseal(let step):
            guard let (task, range) = prepare(step.thread, step.span, into: &record) else { return }
            record.call = "mseal(\(hex(range.start)), \(range.length), 0)"
            record.result = syscall { (machine: inout Machine) throws(KernelErrno) in
                try machine.mseal(task, range.start, range.length)
            }
        default:
            break
        }
    }
}
