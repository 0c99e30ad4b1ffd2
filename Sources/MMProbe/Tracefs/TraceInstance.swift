import Glibc
import MMHost

/// A private tracing instance `instances/mmsim-<pid>`: its own buffer, event switches, clock and `trace_marker`, so
/// nothing at the top level changes. Removing the instance (``remove()``, also from an exit or signal handler)
/// drops everything it set.
///
/// It records ``events`` for the threads given to ``setEventPIDs(_:)`` and for the idle tasks (pid 0): the flushes
/// themselves, each system call's entry and exit (so a measured call's flushes can be told from anything else in
/// its window), and task switches (so the probe sees what the other CPU ran while the second thread was parked).
public final class TraceInstance {
    /// The events enabled in the instance, as `events/` subdirectories.
    public static let events = [
        "tlb/tlb_flush", "raw_syscalls/sys_enter", "raw_syscalls/sys_exit", "sched/sched_switch",
    ]

    /// The instance directory.
    public let path: String
    /// An open `trace_marker` of the instance.
    var markerFD: Int32

    /// Creates the instance, enables ``events``, sets `trace_clock=mono` and limits events to `pids` and pid 0.
    public init(tracefs: Tracefs, pids: [Int32]) throws(TracefsError) {
        path = tracefs.root + "/instances/mmsim-\(getpid())"
        if HostFile.exists(path: path) { rmdir(path) }
        guard mkdir(path, 0o755) == 0 else { throw TracefsError("\(HostError.lastErrno("mkdir \(path)"))") }
        markerFD = -1
        TraceCleanup.register(path)
        do throws(TracefsError) {
            try Tracefs.write("mono", to: path + "/trace_clock")
            try setEventPIDs(pids)
            for event in Self.events { try Tracefs.write("1", to: path + "/events/" + event + "/enable") }
            let fd = open(path + "/trace_marker", O_WRONLY | O_CLOEXEC)
            guard fd >= 0 else { throw TracefsError("\(HostError.lastErrno("open \(path)/trace_marker"))") }
            markerFD = fd
            TraceCleanup.markerFD = fd
            try clear()
        } catch {
            remove()
            throw error
        }
    }

    /// Writes `text` to the instance's `trace_marker` (one `tracing_mark_write` event on the calling CPU).
    public func mark(_ text: String) {
        _ = text.withCString { Glibc.write(markerFD, $0, strlen($0)) }
    }

    /// Limits recorded events to the threads `pids` and the idle tasks (pid 0).
    public func setEventPIDs(_ pids: [Int32]) throws(TracefsError) {
        try Tracefs.write((["0"] + pids.map(String.init)).joined(separator: " "), to: path + "/set_event_pid")
    }

    /// Stops recording and returns the instance's `trace` text (not consumed). Recording stops first because the
    /// reading thread's own system calls would otherwise keep adding events while it reads.
    public func read() throws(TracefsError) -> String {
        try Tracefs.write("0", to: path + "/tracing_on")
        do {
            return try HostFile.read(path: path + "/trace")
        } catch {
            throw TracefsError("\(error)")
        }
    }

    /// Empties the instance's buffer and (re)starts recording.
    public func clear() throws(TracefsError) {
        try Tracefs.write("", to: path + "/trace")
        try Tracefs.write("1", to: path + "/tracing_on")
    }

    /// Disables the event and removes the instance; safe to call twice.
    public func remove() {
        if markerFD >= 0 {
            Glibc.close(markerFD)
            markerFD = -1
        }
        if HostFile.exists(path: path) {
            for event in Self.events { try? Tracefs.write("0", to: path + "/events/" + event + "/enable") }
            rmdir(path)
        }
        TraceCleanup.unregister()
    }

    /// Whether the instance directory still exists.
    public var exists: Bool { HostFile.exists(path: path) }

    /// Removes the instance if the owner forgot to.
    deinit { remove() }
}
