extension Machine {
    /// Models `__vm_enough_memory()` / `security_vm_enough_memory_mm()`: charges `pages` to `vm_committed_as` if the
    /// overcommit policy allows (mode 0: no single request larger than RAM + swap; mode 1: always; mode 2: the
    /// commitments after the charge stay strictly below `overcommit_ratio`% of RAM plus swap, less the user reserve
    /// of the charging mm — min(total_vm/32, `user_reserve_kbytes`) — so one process cannot take the last pages;
    /// the caller is root, so no admin reserve). Returns false (ENOMEM) otherwise.
    mutating func vmEnoughMemory(_ pages: Int64, for mmID: MMID? = nil) -> Bool {
        let ram = Int64(config.ramFrames)
        let swap = Int64(config.swapFrames)
        switch config.overcommitMode {
        case 1:
            break
        case 2:
            var allowed = ram * Int64(config.overcommitRatio) / 100 + swap
            if let mmID {
                // init_user_reserve(): min(free memory / 32, 128 MiB), in pages.
                let userReserve = min(ram / 32, Int64(128 << 20) >> 12)
                allowed -= min(mm(mmID).accounting.totalVM / 32, userReserve)
            }
            if committedPages + pages >= allowed { return false }
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
