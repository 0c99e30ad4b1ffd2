import MMScenario

extension CostModel {
    /// The cycles charged for one step: the syscall's fixed part (if it is a syscall), every INVLPG, full flush and
    /// IPI received on any CPU, every TLB miss and second-level TLB hit of its accesses, and every page fault.
    /// PTE rewrites are not counted (the kernel reports no count for them), so `pteUpdate` is not applied.
    public func cycles(of step: StepReport) -> Double {
        var total = step.isSyscall ? syscall : 0
        for cpu in step.cpus {
            total += Double(cpu.invlpg) * invlpg
            total += Double(cpu.fullFlushes) * fullFlush
            total += Double(cpu.ipisReceived) * ipi
            total += Double(cpu.tlbMisses) * tlbMiss
            total += Double(cpu.stlbHits) * stlbHit
        }
        total += Double(step.faultCount) * pageFault
        return total
    }

    /// The cycles of a whole run: the sum over its steps.
    public func cycles(of report: RunReport) -> Double {
        report.steps.reduce(0) { $0 + cycles(of: $1) }
    }

    /// Cycles as the reports print them: rounded to a whole number.
    public static func whole(_ cycles: Double) -> Int64 { Int64(cycles.rounded()) }
}
