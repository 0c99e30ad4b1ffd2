import MMHardware

/// `TLB_FLUSH_ALL`.
public let tlbFlushAll = UInt64.max

/// The per-flush descriptor handed to every CPU, `struct flush_tlb_info`.
struct FlushTLBInfo {
    var mm: MMID
    var start: UInt64
    var end: UInt64
    var strideShift: UInt64
    var freedTables: Bool
    var newTLBGen: UInt64
    var initiator: CPUID
}

extension Machine {
    /// Models `flush_tlb_mm_range()` in arch/x86/mm/tlb.c: bumps the mm's `tlb_gen`, turns a range of more than
    /// `flushCeiling` strides into a full flush, and runs the flush on every CPU of `mm_cpumask` that needs it —
    /// the initiator locally, the others by IPI. Lazy CPUs get no IPI unless page tables were freed.
    /// Returns the request as issued.
    @discardableResult
    public mutating func flushTLBMMRange(
        initiator: CPUID, mm mmID: MMID, start: UInt64, end: UInt64, strideShift: UInt64, freedTables: Bool
    ) -> FlushRequest {
        var rangeStart = start
        var rangeEnd = end
        let newGen = withMM(mmID) { mm -> UInt64 in
            mm.tlbGen += 1
            return mm.tlbGen
        }
        if rangeEnd == tlbFlushAll || (rangeEnd - rangeStart) >> strideShift > config.flushCeiling {
            rangeStart = 0
            rangeEnd = tlbFlushAll
        }
        let info = FlushTLBInfo(
            mm: mmID, start: rangeStart, end: rangeEnd, strideShift: strideShift, freedTables: freedTables,
            newTLBGen: newGen, initiator: initiator)
        var request = FlushRequest(
            initiator: initiator, mm: mmID, start: rangeStart, end: rangeEnd, strideShift: strideShift,
            freedTables: freedTables, remote: [])
        let mask = mm(mmID).cpumask
        if mask.contains(where: { $0 != initiator }) {
            request.remote = flushTLBMulti(mask, info)
        } else if cpuState[initiator.rawValue].loadedMM == mmID {
            flushTLBFunc(on: initiator, info, local: true)
        }
        record(.flushRequest(request))
        return request
    }

    /// Models `native_flush_tlb_multi()`: with freed tables every CPU in the mask runs the flush (lazy ones too);
    /// otherwise only CPUs that `should_flush_tlb()` picks: those with this mm loaded and not lazy. The initiator
    /// runs its part locally, the others by IPI. Returns the CPUs that got an IPI.
    mutating func flushTLBMulti(_ mask: CPUMask, _ info: FlushTLBInfo) -> [CPUID] {
        let sendPages = info.end == tlbFlushAll ? -1 : Int((info.end - info.start) >> PageGeometry.pageShift)
        record(.tlbFlush(cpu: info.initiator, reason: .remoteSendIPI, pages: sendPages))
        var targets: [CPUID] = []
        for cpu in mask where cpu != info.initiator {
            let state = cpuState[cpu.rawValue]
            if info.freedTables || (state.loadedMM == info.mm && !state.isLazy) {
                targets.append(cpu)
            }
        }
        if mask.contains(info.initiator) && cpuState[info.initiator.rawValue].loadedMM == info.mm {
            flushTLBFunc(on: info.initiator, info, local: true)
        }
        for cpu in targets {
            cpus[cpu.rawValue].counters.ipisReceived += 1
            record(.ipi(from: info.initiator, to: cpu))
            flushTLBFunc(on: cpu, info, local: false)
        }
        return targets
    }

    /// Models `flush_tlb_func()`: the per-CPU half of a flush, with the `tlb_gen` catch-up rule. A partial flush
    /// (one INVLPG per stride) is applied only when this CPU is exactly one generation behind and that generation is
    /// the newest; otherwise the CPU flushes its whole PCID and jumps to the mm's current generation.
    mutating func flushTLBFunc(on cpu: CPUID, _ info: FlushTLBInfo, local: Bool) {
        let index = cpu.rawValue
        let state = cpuState[index]
        guard state.loadedMM == info.mm else {
            // A CPU that switched away since it was put in the mask: drop it from the mask (≥6.12 trimming; before
            // that the switch itself had cleared the bit, and this path did nothing).
            if !local, config.lazyCpumaskTrim, mms[info.mm.rawValue] != nil {
                withMM(info.mm) { $0.cpumask.remove(cpu) }
                record(.tlbFlush(cpu: cpu, reason: .remoteWrongCPU, pages: 0))
            }
            return
        }
        if state.isLazy {
            leaveLazyMM(cpu: cpu)
            return
        }
        let localGen = state.contexts[state.asid].tlbGen
        if info.newTLBGen <= localGen { return }
        let mmGen = mm(info.mm).tlbGen
        if localGen == mmGen { return }
        var invalidated = -1
        if info.end != tlbFlushAll && info.newTLBGen == localGen + 1 && info.newTLBGen == mmGen {
            var address = info.start
            invalidated = 0
            while address < info.end {
                cpus[index].invlpg(address)
                // flush_tlb_one_user() under PTI: the user half of the address space has its own PCID to clean.
                if config.pti { cpus[index].invlpg(address) }
                address += 1 << info.strideShift
                invalidated += 1
            }
        } else {
            cpus[index].flushCurrentPCID()
            if config.pti { cpus[index].flushCurrentPCID() }
        }
        cpuState[index].contexts[state.asid].tlbGen = mmGen
        record(.tlbFlush(cpu: cpu, reason: local ? .localMMShootdown : .remoteShootdown, pages: invalidated))
    }

    /// Models `flush_tlb_page()`/`flush_tlb_range()`: a flush of `[start, end)` at the 4 KiB stride.
    @discardableResult
    public mutating func flushTLBRange(
        initiator: CPUID, mm: MMID, start: UInt64, end: UInt64, freedTables: Bool
    )
        -> FlushRequest
    {
        flushTLBMMRange(
            initiator: initiator, mm: mm, start: start, end: end, strideShift: PageGeometry.pageShift,
            freedTables: freedTables)
    }

    /// Models `flush_tlb_mm()`: a full flush of the mm with `freed_tables` set, reaching lazy CPUs too.
    @discardableResult
    public mutating func flushTLBMM(initiator: CPUID, mm: MMID) -> FlushRequest {
        flushTLBMMRange(initiator: initiator, mm: mm, start: 0, end: tlbFlushAll, strideShift: 0, freedTables: true)
    }
}
