import MMHardware

/// What a user-space access ended with.
public enum AccessResult: Hashable, Sendable {
    /// The access completed; the token read (or, for a write, the token written).
    case value(UInt64)
    /// The access raised a signal the process would receive.
    case signal(Signal)
}

/// A signal delivered for a faulting access.
public struct Signal: Hashable, Sendable, CustomStringConvertible {
    /// `SIGSEGV` or `SIGBUS`.
    public var name: String
    /// `si_code`: `SEGV_MAPERR`, `SEGV_ACCERR`, `SEGV_PKUERR`, `BUS_ADRERR`, ...
    public var code: String
    public var address: UInt64

    public init(name: String, code: String, address: UInt64) {
        self.name = name
        self.code = code
        self.address = address
    }

    public var description: String { "\(name) {si_code=\(code), si_addr=0x\(String(address, radix: 16))}" }
}

extension Machine {
    /// A thread of `task` executes one access of `kind` at `address` on its CPU: the MMU translates it (the TLB may
    /// answer from a stale entry), a page fault enters the kernel's fault handler, and the access is retried until
    /// it completes or the handler delivers a signal. A write stores `value` as the frame's token.
    public mutating func access(
        _ task: TaskID, _ address: UInt64, _ kind: AccessKind, value: UInt64 = 0
    )
        -> AccessResult
    {
        schedule(task)
        let cpu = tasks[task.rawValue].cpu
        for _ in 0..<6 {
            switch cpus[cpu.rawValue].translate(address, kind, tables: &pageTables) {
            case .frame(let pfn):
                if kind == .write {
                    memory.write(pfn, value)
                    return .value(value)
                }
                return .value(memory.read(pfn))
            case .fault(let error):
                let resolution = handleUserFault(task, address, error)
                record(.pageFault(task: task, cpu: cpu, address: address, error: error, resolution: resolution))
                switch resolution {
                case .segvMapError: return .signal(Signal(name: "SIGSEGV", code: "SEGV_MAPERR", address: address))
                case .segvAccessError: return .signal(Signal(name: "SIGSEGV", code: "SEGV_ACCERR", address: address))
                case .segvPKeyError: return .signal(Signal(name: "SIGSEGV", code: "SEGV_PKUERR", address: address))
                case .sigbus: return .signal(Signal(name: "SIGBUS", code: "BUS_ADRERR", address: address))
                case .userfault: return .signal(Signal(name: "SIGBUS", code: "UFFD_WP", address: address))
                case .userfaultMissing:
                    return .signal(Signal(name: "SIGBUS", code: "UFFD_MISSING", address: address))
                case .outOfMemory: return .signal(Signal(name: "SIGKILL", code: "OOM", address: address))
                default: continue
                }
            }
        }
        // Each retry either maps the page or signals; reaching here means the model itself is inconsistent.
        return .signal(Signal(name: "SIGBUS", code: "MMSIM_FAULT_LOOP", address: address))
    }
}
