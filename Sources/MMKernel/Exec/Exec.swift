import MMHardware

extension Machine {
    /// The top of the user stack for a new program (`STACK_TOP_MAX`; stack randomisation is not modelled, so the
    /// stack never has to be shifted).
    public static let stackTop = PageGeometry.taskSize

    /// execve(2) as far as memory goes: the task gets a fresh mm (the old one is torn down when its last user goes),
    /// the argument pages are written into a temporary stack VMA, and `setup_arg_pages()` gives the stack its final
    /// flags through `mprotect_fixup()` under one mmu_gather — a `change_protection()` caller of the seed patch — then
    /// grows it by 128 KiB. `executableStack` is the ELF's PT_GNU_STACK request (nil = default). Returns the stack.
    @discardableResult
    public mutating func exec(
        _ task: TaskID, argumentPages: Int, executableStack: Bool? = nil
    ) throws(KernelErrno)
        -> (start: UInt64, end: UInt64)
    {
        guard argumentPages >= 1, argumentPages <= 8192 else { throw .E2BIG }
        let old = tasks[task.rawValue].mm
        let new = newMM()
        // mm_init() takes over what the old mm passes on: MDWE unless PR_MDWE_NO_INHERIT (mmf_init_flags()), and of
        // def_flags only VM_INIT_DEF_MASK (so mlockall(MCL_FUTURE) ends with the old program). The personality is the
        // thread's and still the old program's while bprm_mm_init() builds the temporary stack.
        let inheritedMDWE = mm(old).mdwe.inherited
        let inheritedDefaults = mm(old).defaultFlags.intersection(.initDefaultMask)
        withMM(new) {
            $0.mdwe = inheritedMDWE
            $0.defaultFlags = inheritedDefaults
        }
        tasks[task.rawValue].mm = new
        withMM(new) { $0.users += 1 }
        let remaining = withMM(old) { mm -> Int in
            mm.users -= 1
            return mm.users
        }
        if remaining == 0 { exitMMap(old) }
        let cpu = tasks[task.rawValue].cpu
        cpuState[cpu.rawValue].currentTask = task
        switchMM(cpu: cpu, to: new)
        currentCPU = cpu
        defer { currentCPU = nil }

        // bprm_mm_init(): a one-page stack VMA at the top, still marked as incomplete.
        var defaultFlags: VMFlags = [.read, .write, .mayRead, .mayWrite, .mayExec]
        if readImpliesExec(task) { defaultFlags.insert(.exec) }
        let stackFlags = defaultFlags.union([.growsDown, .account])
        var vmaFlags = stackFlags.union(.stackIncompleteSetup)
        if config.softDirty { vmaFlags.insert(.softDirty) }
        var stack = VMA(start: Machine.stackTop - PageGeometry.pageSize, end: Machine.stackTop, flags: vmaFlags)
        stack.pgoff = stack.start >> PageGeometry.pageShift
        stack.name = "[stack]"
        guard vmEnoughMemory(1) else { throw .ENOMEM }
        withMM(new) { mm in
            mm.vmas.insert(stack)
            mm.accounting.account(vmaFlags, pages: 1)
        }
        // copy_strings(): the arguments are written from the top down, growing the VMA as they go.
        for page in 0..<argumentPages {
            let address = Machine.stackTop - UInt64(page + 1) * PageGeometry.pageSize
            _ = handleUserFault(task, address, [.user, .write], foreign: true)
            if let pfn = mappedFrame(new, address) { memory.write(pfn, 0xA6A6_0000 | UInt64(page)) }
        }
        currentCPU = cpu

        // load_elf_binary(): set_personality_64bit() clears READ_IMPLIES_EXEC for the 64-bit ELF, so the stack's
        // VM_STACK_FLAGS are evaluated again without VM_EXEC.
        tasks[task.rawValue].personality &= ~Personality.readImpliesExec
        // flush_thread(): the new program starts with the default PKRU (`pkru_write_default()`).
        setPKRU(task, initialPKRU)
        // setup_arg_pages(): the final flags, applied with mprotect_fixup() under a gather; an EXEC the temporary
        // stack got from the old personality is dropped here (NX on the argument pages, so a flush).
        var finalFlags = defaultFlags.subtracting(.exec).union([.growsDown, .account])
        finalFlags.formUnion(mm(new).defaultFlags.union(.stackIncompleteSetup))
        if config.softDirty { finalFlags.insert(.softDirty) }
        if executableStack == true { finalFlags.insert(.exec) }
        if executableStack == false { finalFlags.remove(.exec) }
        let current = mm(new).vmas[mm(new).vmas.count - 1]
        var gather = protectionGather(mm: new, cpu: cpu)
        let index = try mprotectFixup(&gather, task, mm(new).vmas.count - 1, current.start, current.end, finalFlags)
        finishProtectionGather(&gather)
        withMM(new) { $0.vmas.update(index) { $0.flags.subtract(.stackIncompleteSetup) } }
        // The stack may grow by 128 KiB right away (`stack_expand`), within RLIMIT_STACK.
        let grown = mm(new).vmas[index]
        let expand = min(UInt64(128 << 10), config.stackLimit > grown.length ? config.stackLimit - grown.length : 0)
        if expand > 0 { _ = expandStack(new, index, grown.start - expand) }
        let final = mm(new).vmas[mm(new).vmas.count - 1]
        return (final.start, final.end)
    }

    /// Models `exit_mmap()`: unmaps everything with a `fullmm` gather (one full flush at the end) and frees all page
    /// tables below the PGD.
    public mutating func exitMMap(_ mmID: MMID) {
        let vmas = Array(mm(mmID).vmas)
        guard !vmas.isEmpty else { return }
        var gather = tlbGatherMMU(mm: mmID, cpu: runningCPU(of: mmID), fullMM: true)
        for vma in vmas { zapRange(&gather, vma, vma.start, vma.end) }
        freePageTables(&gather, vmas[0].start, vmas[vmas.count - 1].end, floor: 0, ceiling: 0)
        tlbFinishMMU(&gather)
        withMM(mmID) { $0.vmas.remove(0..<vmas.count) }
        for vma in vmas { releaseAccounting(mmID, vma) }
    }
}
