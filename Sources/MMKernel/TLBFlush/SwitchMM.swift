import MMHardware

extension Machine {
    /// Models `switch_mm_irqs_off()` on x86: loads `next` on `cpu`, choosing an ASID slot and flushing if the slot
    /// is behind the mm's `tlb_gen`, and sets the CPU's bit in `mm_cpumask`.
    public mutating func switchMM(cpu: CPUID, to next: MMID) {
        let index = cpu.rawValue
        let nextMM = mm(next)
        var state = cpuState[index]
        if state.loadedMM == next {
            // Same mm, possibly coming back from lazy mode: catch up with flushes it skipped while lazy.
            let wasLazy = state.isLazy
            state.isLazy = false
            if !withMM(next, { $0.cpumask.contains(cpu) }) { withMM(next) { $0.cpumask.insert(cpu) } }
            if wasLazy && state.contexts[state.asid].tlbGen < nextMM.tlbGen {
                state.contexts[state.asid].tlbGen = nextMM.tlbGen
                cpuState[index] = state
                cpus[index].flushCurrentPCID()
                record(.tlbFlush(cpu: cpu, reason: .taskSwitch, pages: -1))
                return
            }
            cpuState[index] = state
            return
        }
        if let previous = state.loadedMM, !config.lazyCpumaskTrim, mms[previous.rawValue] != nil {
            withMM(previous) { $0.cpumask.remove(cpu) }
        }
        withMM(next) { $0.cpumask.insert(cpu) }
        // choose_new_asid(): reuse the slot that holds this mm, else take the next one round-robin (1...5, then 0).
        var asid = 0
        var needFlush = true
        if config.pcid, let slot = state.contexts.firstIndex(where: { $0.contextID == nextMM.contextID }) {
            asid = slot
            needFlush = state.contexts[slot].tlbGen < nextMM.tlbGen
        } else if config.pcid {
            // The counter runs past the last slot once: that allocation takes slot 0 and restarts the count at 1,
            // so all TLB_NR_DYN_ASIDS slots take turns.
            asid = state.nextASID
            state.nextASID += 1
            if asid >= CPUTLBState.dynamicASIDs {
                asid = 0
                state.nextASID = 1
            }
        }
        state.contexts[asid] = ASIDContext(contextID: nextMM.contextID, tlbGen: nextMM.tlbGen)
        state.asid = asid
        state.loadedMM = next
        state.isLazy = false
        cpuState[index] = state
        let pcid = config.pcid ? UInt16(asid + 1) : 0
        cpus[index].loadCR3(root: nextMM.pgd, pcid: pcid, noFlush: !needFlush)
        if needFlush { record(.tlbFlush(cpu: cpu, reason: .taskSwitch, pages: -1)) }
    }

    /// A lazy CPU asked to flush drops the user mm instead (`switch_mm_irqs_off(NULL, &init_mm)`): it loads the
    /// kernel's tables, so its stale entries of that mm can no longer be used; its slot stays behind `tlb_gen`, so
    /// switching back flushes. Up to 6.11 that switch also clears the CPU from the old mm's cpumask, as every switch
    /// to another mm did then; from 6.12 the bit stays until a later flush trims it.
    mutating func leaveLazyMM(cpu: CPUID) {
        if !config.lazyCpumaskTrim, let previous = cpuState[cpu.rawValue].loadedMM, mms[previous.rawValue] != nil {
            withMM(previous) { $0.cpumask.remove(cpu) }
        }
        cpuState[cpu.rawValue].loadedMM = nil
        cpuState[cpu.rawValue].isLazy = false
        cpus[cpu.rawValue].loadCR3(root: nil, pcid: 0, noFlush: true)
    }
}
