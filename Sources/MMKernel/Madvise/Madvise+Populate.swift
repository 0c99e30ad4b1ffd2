import MMHardware

extension Machine {
    /// Models `madvise_populate()` → `faultin_page_range()` → `__get_user_pages()` with `FOLL_MADV_POPULATE`: the
    /// range is faulted in page by page, readable or writable, in address order and without the seal check of the
    /// VMA walk. Entering a VMA, a hole is ENOMEM and a VMA the access may not use (`check_vma_flags()`: I/O or
    /// PFN-mapped, or lacking VM_READ for POPULATE_READ or VM_WRITE for POPULATE_WRITE; FOLL_FORCE is not set) is
    /// EINVAL; what was populated before stays. A fault that fails ends the call: out of memory is ENOMEM, poison
    /// EHWPOISON, and SIGBUS or SIGSEGV (beyond the end of a file, a guard marker) EFAULT.
    /// A fault the kernel would hand to a userfaultfd (and wait for) is EFAULT here: the model has no handler thread.
    /// The protection-key half of `check_vma_flags()` (`arch_vma_access_permitted()`) asks the calling thread's PKRU:
    /// memory on a key it may not read (or write, for POPULATE_WRITE) is EINVAL as well.
    mutating func madvisePopulate(_ task: TaskID, _ start: UInt64, _ end: UInt64, write: Bool) throws(KernelErrno) {
        let mmID = tasks[task.rawValue].mm
        var address = start
        while address < end {
            guard let index = mm(mmID).vmas.index(containing: address) else { throw .ENOMEM }
            let vma = vma(mmID, index)
            guard Machine.checkVMAFlagsForPopulate(vma, write: write),
                vmaAccessPermitted(task, vma, write: write, execute: false, foreign: false)
            else { throw .EINVAL }
            let vmaEnd = min(end, vma.end)
            while address < vmaEnd {
                if let error = faultInUserPage(mmID, address, write: write, hwpoison: true) { throw error }
                let huge = leafEntry(mmID, address).huge
                address =
                    huge
                    ? min(PageGeometry.alignDown(address, PageGeometry.pmdSize) + PageGeometry.pmdSize, vmaEnd)
                    : address + PageGeometry.pageSize
            }
        }
    }

    /// Models `check_vma_flags()` for a GUP without FOLL_FORCE, FOLL_LONGTERM or FOLL_ANON: whether the access may
    /// touch the VMA at all.
    static func checkVMAFlagsForPopulate(_ vma: VMA, write: Bool) -> Bool {
        if !vma.flags.intersection([.io, .pfnMap]).isEmpty { return false }
        return vma.flags.contains(write ? .write : .read)
    }

    /// Whether a non-present entry stands for poisoned memory (`VM_FAULT_HWPOISON` on access).
    static func isPoison(_ entry: SwapEntry) -> Bool {
        entry.kind == .hwPoison
            || (entry.kind == .marker && PTEMarker(rawValue: entry.offset).contains(.poisoned))
    }
}
