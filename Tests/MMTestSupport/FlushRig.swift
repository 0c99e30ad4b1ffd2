import MMHardware
import MMKernel
import Testing

/// The setup of the seed patch's flush table (docs/kernel-model.md, "The seed patch's three claims, worked"): the
/// caller `main` on CPU 0, a second thread `worker` of the same mm scheduled (running, not lazy) on CPU 1, and a trace
/// mark so a test sees only what the measured call did.
public struct FlushRig {
    public var machine: Machine
    public let main: TaskID
    public let worker: TaskID
    /// Index into `machine.trace` where the measured part starts.
    public var mark = 0

    /// A rig for `scheme` with `cpus` CPUs; `configure` adjusts the rest of the kernel configuration.
    public init(_ scheme: FlushScheme = .merged, cpus: Int = 2, _ configure: (inout KernelConfig) -> Void = { _ in }) {
        var config = KernelConfig()
        config.cpus = cpus
        config.scheme = scheme
        configure(&config)
        machine = Machine(config: config)
        main = machine.createProcess(name: "main", cpu: CPUID(0))
        machine.schedule(main)
        worker = machine.createThread(name: "worker", mm: machine.task(main).mm, cpu: CPUID(1))
        machine.schedule(worker)
    }

    /// The rig's address space.
    public var mm: MMID { machine.task(main).mm }

    /// Anonymous private memory of `pages` pages with `prot`.
    public mutating func map(
        pages: UInt64, prot: Protection = [.read, .write], extraFlags: MapFlags = []
    )
        throws(KernelErrno) -> UInt64
    {
        try machine.mapAnon(main, pages: pages, prot: prot, extraFlags: extraFlags)
    }

    /// A 2 MiB-aligned MADV_HUGEPAGE region that `main` has written, so one THP maps it.
    public mutating func mapTHP() throws -> UInt64 {
        let base = try machine.mmap(
            main, address: 0, length: hugeBytes, prot: [.read, .write], flags: [.private, .anonymous], file: nil,
            offset: 0)
        try machine.madvise(main, base, hugeBytes, advice: Advice.hugePage.rawValue)
        _ = machine.access(main, base, .write, value: 1)
        return base
    }

    /// `main` writes (or reads) the given pages of the region at `base`.
    public mutating func touch(_ base: UInt64, _ pages: some Sequence<Int>, write: Bool = true) {
        for page in pages {
            _ = machine.access(main, base + UInt64(page) * pageBytes, write ? .write : .read, value: UInt64(page) + 1)
        }
    }

    /// mprotect(2) by `main` over `pages` pages from `base`.
    public mutating func mprotect(_ base: UInt64, pages: UInt64, _ prot: Protection) throws(KernelErrno) {
        try machine.mprotect(main, base, pages * pageBytes, prot: prot.rawValue)
    }

    /// Starts the measured part.
    public mutating func begin() { mark = machine.trace.count }

    /// The `flush_tlb_mm_range()` calls since `begin()`.
    public var flushes: [FlushRequest] { machine.flushRequests(since: mark) }

    /// The flush IPIs since `begin()`.
    public var ipiCount: Int {
        machine.trace[mark...].reduce(0) { count, event in
            if case .ipi = event { return count + 1 }
            return count
        }
    }

    /// The `tlb:tlb_flush` events since `begin()`.
    public var tlbFlushEvents: [(cpu: CPUID, reason: FlushReason, pages: Int)] {
        machine.trace[mark...].compactMap { event in
            if case .tlbFlush(let cpu, let reason, let pages) = event { return (cpu, reason, pages) }
            return nil
        }
    }

    /// Checks the flushes since `begin()`: one per element of `pages` (INVLPGs, -1 = full), each reaching `remote`
    /// by IPI; `strides` (if given) are the stride shifts. The IPI events must add up to the same count.
    public func expectFlushes(
        _ pages: [Int], strides: [UInt64]? = nil, remote: [CPUID] = [CPUID(1)], _ comment: Comment? = nil,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let flushes = self.flushes
        #expect(flushes.map(\.pages) == pages, comment, sourceLocation: sourceLocation)
        if let strides {
            #expect(flushes.map(\.strideShift) == strides, comment, sourceLocation: sourceLocation)
        }
        #expect(
            flushes.map(\.remote) == Array(repeating: remote, count: pages.count), comment,
            sourceLocation: sourceLocation)
        #expect(ipiCount == pages.count * remote.count, comment, sourceLocation: sourceLocation)
    }

    /// The safety property after a syscall: no CPU may use a translation more permissive than the page table.
    public func expectTLBsSafe(sourceLocation: SourceLocation = #_sourceLocation) {
        assertTLBsNoMorePermissiveThanPTEs(machine, mm, sourceLocation: sourceLocation)
    }
}

extension Machine {
    /// The `flush_tlb_mm_range()` calls recorded from trace index `mark` on.
    public func flushRequests(since mark: Int) -> [FlushRequest] {
        trace[mark...].compactMap { event in
            if case .flushRequest(let request) = event { return request }
            return nil
        }
    }
}

/// Every TLB entry of `mm` that grants more than the page table now does (the model's safety invariant), described
/// as text. Only CPUs that have `mm` loaded and are not lazy are checked, and only entries tagged with the CPU's
/// current PCID: other PCIDs cannot be used before a switch, and a lazy CPU catches up (flushes) when it switches
/// back. An entry is too permissive if its PTE is not hardware-present, maps another frame, is not writable while
/// the entry is, or forbids execution while the entry allows it.
public func tlbViolations(_ machine: Machine, _ mm: MMID) -> [String] {
    var problems: [String] = []
    for (index, cpu) in machine.cpus.enumerated() {
        let state = machine.cpuState[index]
        guard state.loadedMM == mm, !state.isLazy else { continue }
        for entry in cpu.tlb.entries where entry.pcid == cpu.pcid {
            let count: UInt64 = entry.isHuge ? 512 : 1
            for offset in 0..<count {
                let vpn = entry.vpn + offset
                let address = vpn << PageGeometry.pageShift
                let (pte, huge) = machine.leafEntry(mm, address)
                let where_ = "CPU \(index) entry 0x\(String(address, radix: 16))"
                guard pte.hardwarePresent else {
                    problems.append("\(where_): cached but PTE \(pte) not present")
                    break
                }
                let frame = huge ? pte.hugePFN.rawValue + (vpn & 511) : pte.pfn.rawValue
                if entry.frame(for: vpn).rawValue != frame {
                    problems.append("\(where_): cached frame differs from PTE \(pte)")
                }
                if entry.bits.contains(.writable) && !pte.isWritable {
                    problems.append("\(where_): cached writable but PTE \(pte) read-only")
                }
                if !entry.bits.contains(.noExecute) && pte.isNoExecute {
                    problems.append("\(where_): cached executable but PTE \(pte) is NX")
                }
            }
        }
    }
    return problems
}

/// Expects that no CPU's TLB grants more for `mm` than its current PTEs (see `tlbViolations(_:_:)`).
public func assertTLBsNoMorePermissiveThanPTEs(
    _ machine: Machine, _ mm: MMID, sourceLocation: SourceLocation = #_sourceLocation
) {
    let problems = tlbViolations(machine, mm)
    #expect(problems.isEmpty, "\(problems.prefix(5))", sourceLocation: sourceLocation)
}
