import Glibc
import MMHost

extension HostProfile {
    /// Reads the profile of the running machine from `/proc`, `/sys` and `uname`.
    ///
    /// If tracefs is not mounted, this tries to mount it at `/sys/kernel/tracing` (which works as root) to report
    /// whether it could be, and unmounts it again: the machine is left as it was found.
    public static func detect() -> HostProfile {
        let read = { (path: String) in try? HostFile.read(path: path) }
        let flags = read("/proc/cpuinfo").map { cpuFlags(cpuinfo: $0) } ?? []
        let meltdown = read("/sys/devices/system/cpu/vulnerabilities/meltdown")?.trimmingCharacters()
        let thp = "/sys/kernel/mm/transparent_hugepage/"
        let tracing = "/sys/kernel/tracing"
        let mounted = HostFile.exists(path: tracing + "/trace_marker")
        var mountable: Bool?
        var event = HostFile.exists(path: tracing + "/events/tlb/tlb_flush")
        if !mounted && HostFile.exists(path: tracing) {
            mountable = mount("nodev", tracing, "tracefs", 0, nil) == 0
            if mountable == true {
                event = HostFile.exists(path: tracing + "/events/tlb/tlb_flush")
                umount(tracing)
            }
        }
        return HostProfile(
            release: HostKernelInfo.current().release,
            pcid: flags.contains("pcid"),
            invpcid: flags.contains("invpcid"),
            pku: flags.contains("pku"),
            ospke: flags.contains("ospke"),
            la57: flags.contains("la57"),
            meltdown: meltdown,
            pti: meltdown.map(ptiEnabled(meltdown:)) ?? false,
            thpMode: read(thp + "enabled").flatMap(selectedChoice),
            thpUseZeroPage: read(thp + "use_zero_page").flatMap(firstInteger).map { $0 != 0 },
            overcommitMemory: read("/proc/sys/vm/overcommit_memory").flatMap(firstInteger),
            overcommitRatio: read("/proc/sys/vm/overcommit_ratio").flatMap(firstInteger),
            maxMapCount: read("/proc/sys/vm/max_map_count").flatMap(firstInteger),
            mmapMinAddress: read("/proc/sys/vm/mmap_min_addr").flatMap(firstInteger).map { UInt64($0) },
            tracefsMounted: mounted,
            tracefsMountable: mountable,
            tlbFlushEvent: event,
            onlineCPUs: max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))),
            memTotalKiB: read("/proc/meminfo").flatMap(memTotalKiB(meminfo:)),
            readAheadKiB: temporaryDirectoryReadAheadKiB(),
            faultAroundBytes: read("/sys/kernel/debug/fault_around_bytes").flatMap(firstInteger)
        )
    }

    /// `read_ahead_kb` behind the first of `$TMPDIR`, `/tmp` and `/var/tmp` that has a readahead window: where
    /// `mmsim probe` creates its regular files (it skips tmpfs, which has no window either).
    static func temporaryDirectoryReadAheadKiB() -> Int? {
        var candidates = ["/tmp", "/var/tmp"]
        if let value = getenv("TMPDIR"), let text = String(validatingCString: value), !text.isEmpty {
            candidates.insert(text, at: 0)
        }
        return candidates.lazy.compactMap { HostFile.readAheadKiB(fileSystemOf: $0) }.first
    }
}
