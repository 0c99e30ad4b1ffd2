import MMHardware

extension Machine {
    /// One page of `__get_user_pages()` (mm/gup.c), shared by populate (`populate_vma_page_range()`, for mmap, mlock
    /// and mremap) and `MADV_POPULATE_*` (`faultin_page_range()`): `follow_page_mask()` finds the page already mapped
    /// as needed, else `faultin_page()` runs `handle_mm_fault()` — no `access_error()`, GUP checked the VMA — and the
    /// lookup is retried. Neither caller passes `FOLL_HONOR_NUMA_FAULT`, so a NUMA-hinting PROT_NONE entry counts
    /// as mapped for a read (`gup_can_follow_protnone()`); a write needs a writable entry. Errors as
    /// `vm_fault_to_errno()` makes them: `VM_FAULT_OOM` is ENOMEM; poisoned memory is EHWPOISON with `hwpoison`
    /// (`FOLL_HWPOISON`, which only madvise passes) and EFAULT without; SIGBUS and SIGSEGV are EFAULT. A fault that
    /// would wait for a userfaultfd monitor is EFAULT here (the kernel would block until the monitor resolves it).
    mutating func faultInUserPage(_ mmID: MMID, _ address: UInt64, write: Bool, hwpoison: Bool = false) -> KernelErrno?
    {
        for _ in 0..<6 {
            let (entry, _) = leafEntry(mmID, address)
            if entry.isPresent && (!write || (entry.isWritable && !entry.isProtNone)) { return nil }
            if hwpoison, let swap = SwapEntry(pte: entry), Machine.isPoison(swap) { return .EHWPOISON }
            guard let index = mm(mmID).vmas.index(containing: address) else { return .EFAULT }
            let error: PageFaultError = write ? [.user, .write] : .user
            switch handleMMFault(mmID, index, address, error) {
            case .outOfMemory: return .ENOMEM
            case .sigbus, .segvMapError, .segvAccessError, .userfault, .userfaultMissing: return .EFAULT
            default: continue
            }
        }
        return .EFAULT
    }
}
