import Glibc

/// Tells kernel threads from user processes by pid: `PF_KTHREAD` (0x00200000) in the flags field of
/// `/proc/<pid>/stat`. A pid that no longer exists counts as a user process (kernel threads rarely exit).
enum KernelThreads {
    /// `PF_KTHREAD`.
    static let kernelThreadFlag: UInt64 = 0x0020_0000

    /// Whether `pid` is a kernel thread.
    static func isKernelThread(_ pid: Int) -> Bool {
        guard pid > 0 else { return true }
        let fd = open("/proc/\(pid)/stat", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 1024)
        let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard count > 0, let close = buffer[..<count].lastIndex(of: UInt8(ascii: ")")) else { return false }
        // After `pid (comm)`: state, ppid, pgrp, session, tty_nr, tpgid, flags.
        let fields = buffer[(close + 1)..<count].split(separator: UInt8(ascii: " "))
        guard fields.count > 6, let flags = UInt64(String(decoding: fields[6], as: UTF8.self)) else { return false }
        return flags & kernelThreadFlag != 0
    }
}
