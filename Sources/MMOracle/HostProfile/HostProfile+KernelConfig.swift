import MMKernel

extension HostProfile {
    /// The flush scheme of this kernel: `merged` from 5.19 on (Nadav Amit's mmu_gather series, 4a18419f71cd and
    /// its two companions), `before` for older releases; `merged` if the release cannot be parsed.
    public var scheme: FlushScheme {
        guard let version = HostProfile.version(release: release) else { return .merged }
        return (version.major, version.minor) >= (5, 19) ? .merged : .before
    }

    /// The model configuration that runs as this machine's kernel: scheme, PCID, PTI, protection keys (only
    /// with `ospke`, as `pkey_alloc` needs), THP mode and zero page, overcommit, `max_map_count`,
    /// `mmap_min_addr`, online CPUs (at most 64), RAM, the readahead window of the probe's files (at most 1 GiB)
    /// and `fault_around_bytes` (at most 2 MiB). Unknown facts keep the model's defaults.
    public var kernelConfig: KernelConfig {
        var config = KernelConfig()
        config.scheme = scheme
        config.pcid = pcid
        config.pti = pti
        config.pku = ospke
        if let mode = thpMode.flatMap(KernelConfig.THPMode.init(rawValue:)) { config.thpMode = mode }
        if let thpUseZeroPage { config.thpUseZeroPage = thpUseZeroPage }
        if let overcommitMemory { config.overcommitMode = overcommitMemory }
        if let overcommitRatio { config.overcommitRatio = overcommitRatio }
        if let maxMapCount { config.maxMapCount = maxMapCount }
        if let mmapMinAddress { config.mmapMinAddress = mmapMinAddress }
        config.cpus = min(max(onlineCPUs, 1), 64)
        if let memTotalKiB { config.ramFrames = max(memTotalKiB / 4, 1024) }
        if let readAheadKiB { config.readaheadPages = UInt64(min(max(readAheadKiB, 0), 1 << 20) / 4) }
        if let faultAroundBytes { config.faultAroundBytes = UInt64(min(max(faultAroundBytes, 0), 2 << 20)) }
        return config
    }

    /// The `mmsim run` flags that select this machine's flush behaviour, e.g.
    /// `--scheme merged --ceiling 33 --cpus 2` (plus `--pti` when PTI is on). The ceiling cannot be read
    /// (debugfs's `x86/tlb_single_page_flush_ceiling` is closed under lockdown), so the kernel default 33 is
    /// named.
    public var modelFlags: String {
        let config = kernelConfig
        var flags = "--scheme \(config.scheme.rawValue) --ceiling \(config.flushCeiling) --cpus \(config.cpus)"
        if config.pti { flags += " --pti" }
        return flags
    }

    /// The scenario `machine:` settings of this machine, as one YAML flow mapping.
    public var machineYAML: String {
        let config = kernelConfig
        var parts = [
            "cpus: \(config.cpus)", "scheme: \(config.scheme.rawValue)", "pcid: \(config.pcid)",
            "pti: \(config.pti)", "pku: \(config.pku)", "thp: \(config.thpMode.rawValue)",
            "thp_zero_page: \(config.thpUseZeroPage)", "overcommit: \(config.overcommitMode)",
            "overcommit_ratio: \(config.overcommitRatio)", "max_map_count: \(config.maxMapCount)",
            "mmap_min_addr: 0x\(String(config.mmapMinAddress, radix: 16))",
        ]
        parts.append("ram: \(UInt64(config.ramFrames) * 4096)")
        parts.append("read_ahead: \(config.readaheadPages * 4)K")
        parts.append("fault_around_bytes: \(config.faultAroundBytes)")
        return "{" + parts.joined(separator: ", ") + "}"
    }
}
