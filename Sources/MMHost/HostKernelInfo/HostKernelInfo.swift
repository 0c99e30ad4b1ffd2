import Glibc

/// Facts about the running kernel that decide which host oracles are usable and how to read them.
///
/// Recorded next to measurements so that a result can be traced to its kernel: the release, whether tracefs (the
/// flush-decision oracle) is there, the THP mode (which changes how anonymous memory is mapped), and the overcommit and
/// map-count limits (which change when mmap and mprotect fail).
public struct HostKernelInfo: Hashable, Sendable {
    /// `uname -r`, e.g. `"6.18.44-fc-v669"`.
    public var release: String
    /// Whether the directory `/sys/kernel/tracing` exists (it does whenever the kernel has tracefs).
    public var tracingDirectoryExists: Bool
    /// Whether tracefs is actually mounted there (`trace_marker` exists), i.e. usable without a mount.
    public var tracefsMounted: Bool
    /// The selected word of `/sys/kernel/mm/transparent_hugepage/enabled` (`always`, `madvise`, `never`).
    public var transparentHugePageMode: String?
    /// `vm.overcommit_memory` (0 heuristic, 1 always, 2 never).
    public var overcommitMemory: Int?
    /// `vm.max_map_count`, the VMA limit behind mprotect's `ENOMEM` on splits.
    public var maxMapCount: Int?

    /// Creates a record from known values, for tests and reports.
    public init(
        release: String,
        tracingDirectoryExists: Bool,
        tracefsMounted: Bool,
        transparentHugePageMode: String?,
        overcommitMemory: Int?,
        maxMapCount: Int?
    ) {
        self.release = release
        self.tracingDirectoryExists = tracingDirectoryExists
        self.tracefsMounted = tracefsMounted
        self.transparentHugePageMode = transparentHugePageMode
        self.overcommitMemory = overcommitMemory
        self.maxMapCount = maxMapCount
    }

    /// Reads the facts of the running kernel; a value that cannot be read is `nil` (or `""` for the release).
    public static func current() -> HostKernelInfo {
        HostKernelInfo(
            release: unameRelease(),
            tracingDirectoryExists: HostFile.exists(path: "/sys/kernel/tracing"),
            tracefsMounted: HostFile.exists(path: "/sys/kernel/tracing/trace_marker"),
            transparentHugePageMode: (try? HostFile.read(path: "/sys/kernel/mm/transparent_hugepage/enabled"))
                .flatMap(selectedChoice(in:)),
            overcommitMemory: readInteger(path: "/proc/sys/vm/overcommit_memory"),
            maxMapCount: readInteger(path: "/proc/sys/vm/max_map_count")
        )
    }

    /// The bracketed word of a sysfs choice file: `"always [madvise] never"` gives `"madvise"`.
    public static func selectedChoice(in text: String) -> String? {
        guard let open = text.firstIndex(of: "["),
            let close = text[open...].firstIndex(of: "]")
        else { return nil }
        return String(text[text.index(after: open)..<close])
    }

    /// The release field of `uname(2)`.
    static func unameRelease() -> String {
        var names = utsname()
        guard uname(&names) == 0 else { return "" }
        return withUnsafeBytes(of: names.release) { bytes in
            String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
        }
    }

    /// A file holding one decimal integer (a sysctl), or `nil`.
    static func readInteger(path: String) -> Int? {
        guard let text = try? HostFile.read(path: path) else { return nil }
        return text.split(whereSeparator: { $0 == " " || $0 == "\n" }).first.flatMap { Int($0) }
    }
}
