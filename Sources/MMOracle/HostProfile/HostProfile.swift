/// What this machine's kernel and CPU are, as far as the model cares: the facts `mmsim host` prints and the
/// ``HostProfile/kernelConfig`` that makes the model run as this kernel (issue 4, item 1).
///
/// Every fact that could not be read is `nil`, so a profile taken in a container without `/sys` still works and
/// the mapping falls back to the model's defaults for that setting.
public struct HostProfile: Hashable, Sendable, Codable {
    /// `uname -r`, e.g. `"6.18.44-fc-v669"`.
    public var release: String
    /// `pcid` in the `/proc/cpuinfo` flags: CR3 carries address-space ids.
    public var pcid: Bool
    /// `invpcid` in the flags: the INVPCID instruction exists.
    public var invpcid: Bool
    /// `pku` in the flags: the CPU has protection keys.
    public var pku: Bool
    /// `ospke` in the flags: the kernel enabled protection keys (what makes `pkey_alloc` work).
    public var ospke: Bool
    /// `la57` in the flags: 5-level paging is possible.
    public var la57: Bool
    /// The text of `/sys/devices/system/cpu/vulnerabilities/meltdown`, e.g. `"Not affected"`.
    public var meltdown: String?
    /// Whether page-table isolation is active (`"Mitigation: PTI"`).
    public var pti: Bool
    /// The selected THP mode (`always`, `madvise`, `never`).
    public var thpMode: String?
    /// `/sys/kernel/mm/transparent_hugepage/use_zero_page`.
    public var thpUseZeroPage: Bool?
    /// `vm.overcommit_memory`.
    public var overcommitMemory: Int?
    /// `vm.overcommit_ratio`.
    public var overcommitRatio: Int?
    /// `vm.max_map_count`.
    public var maxMapCount: Int?
    /// `vm.mmap_min_addr`.
    public var mmapMinAddress: UInt64?
    /// Whether tracefs is mounted at `/sys/kernel/tracing` (`trace_marker` exists).
    public var tracefsMounted: Bool
    /// Whether tracefs could be mounted there if it is not (tried and undone); `nil` when it was mounted already.
    public var tracefsMountable: Bool?
    /// Whether the `tlb:tlb_flush` event exists (`events/tlb/tlb_flush`), which `mmsim probe` records
    /// (`trace_tlb_flush()` in arch/x86/mm/tlb.c).
    public var tlbFlushEvent: Bool
    /// Online CPUs (`sysconf(_SC_NPROCESSORS_ONLN)`).
    public var onlineCPUs: Int
    /// `MemTotal` of `/proc/meminfo` in KiB.
    public var memTotalKiB: Int?
    /// `read_ahead_kb` of the device behind the temporary directory the probe puts its regular files in (the first
    /// of `$TMPDIR`, `/tmp`, `/var/tmp` that has one; tmpfs has none).
    public var readAheadKiB: Int?
    /// `fault_around_bytes` from debugfs (`/sys/kernel/debug/fault_around_bytes`), when debugfs is mounted and readable.
    public var faultAroundBytes: Int?

    /// Creates a profile from known facts (tests and reports); unknown ones default to "absent".
    public init(
        release: String,
        pcid: Bool = false,
        invpcid: Bool = false,
        pku: Bool = false,
        ospke: Bool = false,
        la57: Bool = false,
        meltdown: String? = nil,
        pti: Bool = false,
        thpMode: String? = nil,
        thpUseZeroPage: Bool? = nil,
        overcommitMemory: Int? = nil,
        overcommitRatio: Int? = nil,
        maxMapCount: Int? = nil,
        mmapMinAddress: UInt64? = nil,
        tracefsMounted: Bool = false,
        tracefsMountable: Bool? = nil,
        tlbFlushEvent: Bool = false,
        onlineCPUs: Int = 1,
        memTotalKiB: Int? = nil,
        readAheadKiB: Int? = nil,
        faultAroundBytes: Int? = nil
    ) {
        self.release = release
        self.pcid = pcid
        self.invpcid = invpcid
        self.pku = pku
        self.ospke = ospke
        self.la57 = la57
        self.meltdown = meltdown
        self.pti = pti
        self.thpMode = thpMode
        self.thpUseZeroPage = thpUseZeroPage
        self.overcommitMemory = overcommitMemory
        self.overcommitRatio = overcommitRatio
        self.maxMapCount = maxMapCount
        self.mmapMinAddress = mmapMinAddress
        self.tracefsMounted = tracefsMounted
        self.tracefsMountable = tracefsMountable
        self.tlbFlushEvent = tlbFlushEvent
        self.onlineCPUs = onlineCPUs
        self.memTotalKiB = memTotalKiB
        self.readAheadKiB = readAheadKiB
        self.faultAroundBytes = faultAroundBytes
    }
}
