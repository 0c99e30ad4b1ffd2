import MMHardware

extension Machine {
    /// Models `__mm_populate()` in mm/gup.c: faults in `[start, start + length)` VMA by VMA through
    /// `populate_vma_page_range()`, skipping `VM_IO`/`VM_PFNMAP` VMAs and the holes between VMAs. With
    /// `ignoreErrors` (the `mm_populate()` of mmap, mremap and mlockall) a VMA that fails is left and the next one
    /// tried; without (mlock) the first error ends the walk and is returned, after the pages before it were
    /// faulted in. Returns nil on success, else the GUP errno (`-EFAULT`, `-ENOMEM`), which mlock converts.
    @discardableResult
    mutating func mmPopulate(
        _ task: TaskID, _ start: UInt64, _ length: UInt64, ignoreErrors: Bool
    ) -> KernelErrno? {
        let mmID = tasks[task.rawValue].mm
        let end = start &+ length < start ? UInt64.max : start + length
        var cursor = start
        while cursor < end, let index = mm(mmID).vmas.firstIndex(intersecting: cursor, end) {
            let vma = vma(mmID, index)
            let segmentEnd = min(end, vma.end)
            defer { cursor = segmentEnd }
            if !vma.flags.isDisjoint(with: [.io, .pfnMap]) { continue }
            if let error = populateVMAPageRange(task, index, max(cursor, vma.start), segmentEnd), !ignoreErrors {
                return error
            }
        }
        return nil
    }

    /// Models `populate_vma_page_range()`: nothing to do for a `VM_LOCKONFAULT` VMA (its pages are locked as they
    /// are faulted); EFAULT for an inaccessible (PROT_NONE) one; otherwise every page is faulted in as
    /// `__get_user_pages()` would with `FOLL_WRITE` for private writable VMAs (breaking COW up front) and
    /// `FOLL_FORCE` reads for the rest (shared writable mappings are not dirtied for nothing, and write-only or
    /// exec-only VMAs can still be read by the kernel). Returns nil or the errno of the page that failed.
    /// `check_vma_flags()` also asks `arch_vma_access_permitted()`: populate is not a foreign access, so the
    /// calling thread's PKRU applies, and memory on a key it may not read (the execute-only key) stays unpopulated.
    @discardableResult
    mutating func populateVMAPageRange(_ task: TaskID, _ index: Int, _ start: UInt64, _ end: UInt64) -> KernelErrno? {
        let mmID = tasks[task.rawValue].mm
        let vma = vma(mmID, index)
        if vma.flags.contains(.lockOnFault) { return nil }
        if !vma.isAccessible { return .EFAULT }
        let write = vma.flags.intersection([.write, .shared]) == .write
        // check_vma_flags(): never VM_IO/VM_PFNMAP; a forced read needs at least VM_MAYREAD.
        if !vma.flags.isDisjoint(with: [.io, .pfnMap]) { return .EFAULT }
        if !write && !vma.flags.contains(.read) && !vma.flags.contains(.mayRead) { return .EFAULT }
        if !vmaAccessPermitted(task, vma, write: write, execute: false, foreign: false) { return .EFAULT }
        var address = start
        while address < end {
            if let error = faultInUserPage(mmID, address, write: write) { return error }
            let huge = leafEntry(mmID, address).huge
            address =
                huge
                ? PageGeometry.alignDown(address, PageGeometry.pmdSize) + PageGeometry.pmdSize
                : address + PageGeometry.pageSize
        }
        return nil
    }
}
