import Glibc
import MMHost

/// Access to the kernel's tracing file system: makes sure it is mounted, and unmounts it again if this process
/// mounted it. Events are recorded in a private ``TraceInstance`` so that the top-level settings stay untouched.
public final class Tracefs {
    /// Where tracefs is mounted on current kernels.
    public static let defaultRoot = "/sys/kernel/tracing"

    /// The mount point.
    public let root: String
    /// Whether this object mounted tracefs (and so unmounts it in `close()`).
    let mountedHere: Bool

    /// Checks that tracefs is mounted at `root` with `tlb/tlb_flush` available; if it is not mounted, mounts it
    /// (root only). Throws with a clear message when neither works.
    public init(root: String = Tracefs.defaultRoot) throws(TracefsError) {
        self.root = root
        var mounted = false
        if !HostFile.exists(path: root + "/events") {
            guard geteuid() == 0 else {
                throw TracefsError("\(root)/events is missing and mounting tracefs needs root (run as root)")
            }
            if Glibc.mount("nodev", root, "tracefs", 0, nil) != 0 {
                let error = HostError.lastErrno("mount tracefs on \(root)")
                throw TracefsError("tracefs is not mounted and cannot be mounted: \(error)")
            }
            mounted = true
        }
        mountedHere = mounted
        guard HostFile.exists(path: root + "/events/tlb/tlb_flush/enable") else {
            if mounted { Glibc.umount(root) }
            throw TracefsError("\(root)/events/tlb/tlb_flush is missing: this kernel does not expose tlb:tlb_flush")
        }
        guard access(root + "/instances", W_OK) == 0 else {
            if mounted { Glibc.umount(root) }
            throw TracefsError("cannot create tracing instances in \(root)/instances (run as root)")
        }
    }

    /// Unmounts tracefs if this object mounted it.
    public func close() {
        if mountedHere { Glibc.umount(root) }
    }

    /// Writes `text` to the file at `path`, replacing its content.
    static func write(_ text: String, to path: String) throws(TracefsError) {
        let fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC)
        guard fd >= 0 else { throw TracefsError("\(HostError.lastErrno("open \(path)"))") }
        defer { Glibc.close(fd) }
        let written = text.withCString { Glibc.write(fd, $0, strlen($0)) }
        guard written >= 0 else { throw TracefsError("\(HostError.lastErrno("write '\(text)' to \(path)"))") }
    }
}
