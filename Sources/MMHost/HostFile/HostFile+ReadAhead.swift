import Glibc

extension HostFile {
    /// The `read_ahead_kb` of the device whose file system holds `path`: the readahead window a regular file there
    /// is opened with (`file_ra_state_init()` copies it from the file system's backing device). It is looked up by
    /// the file system's device number as `/sys/class/bdi/MAJ:MIN/read_ahead_kb`, else as the block device's (or,
    /// for a partition, its disk's) `queue/read_ahead_kb`; nil if none exists, as for tmpfs, whose backing device
    /// has no readahead.
    public static func readAheadKiB(fileSystemOf path: String) -> Int? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        let (major, minor) = deviceNumbers(UInt64(info.st_dev))
        let device = "\(major):\(minor)"
        let candidates = [
            "/sys/class/bdi/\(device)/read_ahead_kb", "/sys/dev/block/\(device)/queue/read_ahead_kb",
            "/sys/dev/block/\(device)/../queue/read_ahead_kb",
        ]
        for candidate in candidates {
            guard let text = try? read(path: candidate) else { continue }
            let digits = text.prefix(while: { $0.isNumber })
            if let value = Int(digits) { return value }
        }
        return nil
    }

    /// The major and minor numbers of a `dev_t` (glibc's `gnu_dev_major()` / `gnu_dev_minor()` encoding).
    public static func deviceNumbers(_ device: UInt64) -> (major: UInt64, minor: UInt64) {
        let major = ((device >> 8) & 0xfff) | ((device >> 32) & 0xffff_f000)
        let minor = (device & 0xff) | ((device >> 12) & 0xffff_ff00)
        return (major, minor)
    }
}
