import MMHardware
import MMKernel

/// Bytes in a base page, for readable test arithmetic.
public let pageBytes: UInt64 = 4096
/// Bytes in a PMD-mapped huge page.
public let hugeBytes: UInt64 = 2 << 20

/// A machine with `cpus` CPUs and the default kernel configuration, adjusted by `configure`.
public func makeMachine(cpus: Int = 2, _ configure: (inout KernelConfig) -> Void = { _ in }) -> Machine {
    var config = KernelConfig()
    config.cpus = cpus
    configure(&config)
    return Machine(config: config)
}

/// A machine and one process whose first thread runs on CPU 0 (and has loaded its mm there).
public func makeProcess(cpus: Int = 2, _ configure: (inout KernelConfig) -> Void = { _ in }) -> (Machine, TaskID) {
    var machine = makeMachine(cpus: cpus, configure)
    let main = machine.createProcess(name: "main", cpu: CPUID(0))
    machine.schedule(main)
    return (machine, main)
}

extension Machine {
    /// The mm of `task`.
    public func mmID(of task: TaskID) -> MMID { self.task(task).mm }

    /// mmap of `pages` anonymous pages (private unless `shared`), at `fixed` with MAP_FIXED if given, else wherever
    /// the kernel places them. `extraFlags` are added (MAP_GROWSDOWN, MAP_NORESERVE, ...).
    public mutating func mapAnon(
        _ task: TaskID, pages: UInt64, prot: Protection = [.read, .write], shared: Bool = false,
        fixed: UInt64? = nil, extraFlags: MapFlags = []
    ) throws(KernelErrno) -> UInt64 {
        var flags: MapFlags = [shared ? .shared : .private, .anonymous]
        flags.formUnion(extraFlags)
        if fixed != nil { flags.insert(.fixed) }
        return try mmap(
            task, address: fixed ?? 0, length: pages * pageBytes, prot: prot, flags: flags, file: nil, offset: 0)
    }

    /// mmap of `pages` pages of `file` from file page `filePage`.
    public mutating func mapFile(
        _ task: TaskID, _ file: FileID, pages: UInt64, prot: Protection, shared: Bool, filePage: UInt64 = 0
    ) throws(KernelErrno) -> UInt64 {
        try mmap(
            task, address: 0, length: pages * pageBytes, prot: prot, flags: shared ? .shared : .private, file: file,
            offset: filePage * pageBytes)
    }

    /// `pages` anonymous private pages, each written once with `token + page` (present, dirty, exclusive).
    public mutating func mapWritten(
        _ task: TaskID, pages: UInt64, token: UInt64 = 100, extraFlags: MapFlags = []
    ) throws(KernelErrno) -> UInt64 {
        let base = try mapAnon(task, pages: pages, extraFlags: extraFlags)
        for page in 0..<pages { _ = access(task, base + page * pageBytes, .write, value: token + page) }
        return base
    }

    /// One PMD-mapped THP: the 2 MiB-aligned block inside a fresh 4 MiB anonymous mapping, `MADV_HUGEPAGE`, written
    /// once with `value` (`do_huge_pmd_anonymous_page()` maps it). Returns the block's address.
    public mutating func mapTHP(_ task: TaskID, value: UInt64 = 1) throws(KernelErrno) -> UInt64 {
        let base = PageGeometry.alignUp(try mapAnon(task, pages: 1024), hugeBytes)
        try madvise(task, base, hugeBytes, advice: Advice.hugePage.rawValue)
        _ = access(task, base, .write, value: value)
        return base
    }

    /// Adds `flags` to the VMA of `task` containing `address`, as a driver's mmap would give them (`VM_IO`,
    /// `VM_PFNMAP`, ...), which no modelled syscall can.
    public mutating func addVMAFlags(_ task: TaskID, containing address: UInt64, _ flags: VMFlags) {
        let mmID = mmID(of: task)
        guard let index = mm(mmID).vmas.index(containing: address) else { preconditionFailure("no VMA at \(address)") }
        mms[mmID.rawValue]!.vmas.update(index) { $0.flags.formUnion(flags) }
    }

    /// The VMA containing `address` in `task`'s mm.
    public func vma(_ task: TaskID, containing address: UInt64) -> VMA? {
        let vmas = mm(mmID(of: task)).vmas
        return vmas.index(containing: address).map { vmas[$0] }
    }

    /// The leaf entry mapping `address` in `task`'s mm.
    public func leaf(_ task: TaskID, _ address: UInt64) -> (entry: PTE, huge: Bool) {
        leafEntry(mmID(of: task), address)
    }

    /// Every `flush_tlb_mm_range()` call recorded in the trace.
    public var flushRequests: [FlushRequest] {
        trace.compactMap { event in
            if case .flushRequest(let request) = event { return request }
            return nil
        }
    }

    /// Every `tlb:tlb_flush` event recorded in the trace.
    public var tlbFlushEvents: [(cpu: CPUID, reason: FlushReason, pages: Int)] {
        trace.compactMap { event in
            if case .tlbFlush(let cpu, let reason, let pages) = event { return (cpu, reason, pages) }
            return nil
        }
    }

    /// Every flush IPI recorded in the trace.
    public var ipis: [(from: CPUID, to: CPUID)] {
        trace.compactMap { event in
            if case .ipi(let from, let to) = event { return (from, to) }
            return nil
        }
    }

    /// How each page fault in the trace was resolved, in order.
    public var faultResolutions: [FaultResolution] {
        trace.compactMap { event in
            if case .pageFault(_, _, _, _, let resolution) = event { return resolution }
            return nil
        }
    }

    /// Empties the trace, so a test can look at what one operation did.
    public mutating func clearTrace() { trace.removeAll() }

    /// Rewrites the leaf PTE of `address` behind the kernel's back (no flush), as a buggy kernel path would.
    public mutating func pokePTE(_ task: TaskID, _ address: UInt64, _ transform: (PTE) -> PTE) {
        let located = pageTables.locate(root: mm(mmID(of: task)).pgd, address: address)
        pageTables[located.slot.table, located.slot.index] = transform(located.entry)
    }
}
