extension Machine {
    /// Models `__vm_enough_memory()` / `security_vm_enough_memory_mm()`: charges `pages` to `vm_committed_as` if the
    /// overcommit policy allows (mode 0: no single request larger than RAM + swap; mode 1: always; mode 2: total
    /// commitments within `overcommit_ratio`% of RAM plus swap). Returns false (ENOMEM) otherwise.
    mutating func vmEnoughMemory(_ pages: Int64) -> Bool {
        let ram = Int64(config.ramFrames)
        let swap = Int64(config.swapFrames)
        switch config.overcommitMode {
        case 1:
            break
        case 2:
            let limit = ram * Int64(config.overcommitRatio) / 100 + swap
            if committedPages + pages > limit { return false }
        default:
            if pages > ram + swap { return false }
        }
        committedPages += pages
        return true
    }

    /// Models `vm_unacct_memory()`.
    mutating func vmUnaccountMemory(_ pages: Int64) {
        committedPages -= pages
    }

    /// Models `may_expand_vm()`: `RLIMIT_DATA` for data mappings (`RLIMIT_AS` is not modelled: unlimited).
    func mayExpandVM(_ mm: MM, _ flags: VMFlags, _ pages: Int64) -> Bool {
        if flags.isDataMapping && mm.accounting.dataVM + pages > config.dataLimitPages { return false }
        return true
    }
}
