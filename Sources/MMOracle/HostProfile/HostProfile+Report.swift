extension HostProfile {
    /// The facts and the resulting model settings as aligned `name: value` lines, for `mmsim host`.
    public var reportLines: [String] {
        let yesNo = { (value: Bool) in value ? "yes" : "no" }
        let show = { (value: (any CustomStringConvertible)?) in value.map { "\($0)" } ?? "unknown" }
        var tracefs = tracefsMounted ? "mounted at /sys/kernel/tracing" : "not mounted"
        if let tracefsMountable { tracefs += tracefsMountable ? " (mountable)" : " (mount failed)" }
        let rows: [(String, String)] = [
            ("kernel", release),
            ("pcid", yesNo(pcid)),
            ("invpcid", yesNo(invpcid)),
            ("pku / ospke", "\(yesNo(pku)) / \(yesNo(ospke))"),
            ("la57", yesNo(la57)),
            ("meltdown", show(meltdown)),
            ("pti", yesNo(pti)),
            ("thp enabled", show(thpMode)),
            ("thp use_zero_page", show(thpUseZeroPage.map(yesNo))),
            ("vm.overcommit_memory", show(overcommitMemory)),
            ("vm.overcommit_ratio", show(overcommitRatio)),
            ("vm.max_map_count", show(maxMapCount)),
            ("vm.mmap_min_addr", show(mmapMinAddress.map { "0x" + String($0, radix: 16) })),
            ("online cpus", "\(onlineCPUs)"),
            ("MemTotal", show(memTotalKiB.map { "\($0) kB" })),
            ("read_ahead_kb (probe files)", show(readAheadKiB)),
            ("fault_around_bytes", show(faultAroundBytes)),
            ("tracefs", tracefs),
            ("tlb:tlb_flush event", yesNo(tlbFlushEvent)),
            ("model flags", modelFlags),
            ("model machine", machineYAML),
        ]
        let width = rows.map(\.0.count).max() ?? 0
        return rows.map { $0.0 + ":" + String(repeating: " ", count: width - $0.0.count + 1) + $0.1 }
    }
}
