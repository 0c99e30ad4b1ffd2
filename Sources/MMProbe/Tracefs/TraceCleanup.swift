import Glibc

/// Removes a live trace instance if the process exits or is killed by SIGINT/SIGTERM/SIGHUP while probing.
///
/// The path is kept in a fixed C buffer so that the handlers only call async-signal-safe `close` and `rmdir`.
enum TraceCleanup {
    /// The instance path as a NUL-terminated C string (empty when nothing is registered).
    nonisolated(unsafe) static let buffer: UnsafeMutablePointer<CChar> = {
        let pointer = UnsafeMutablePointer<CChar>.allocate(capacity: 512)
        pointer.initialize(repeating: 0, count: 512)
        return pointer
    }()
    /// The instance's open `trace_marker` (-1 if none); closed first, because an open file keeps the instance busy.
    nonisolated(unsafe) static var markerFD: Int32 = -1
    /// Whether the handlers are installed.
    nonisolated(unsafe) static var installed = false

    /// Remembers `path` and installs the handlers once.
    static func register(_ path: String) {
        let bytes = Array(path.utf8.prefix(510))
        for (index, byte) in bytes.enumerated() { buffer[index] = CChar(bitPattern: byte) }
        buffer[bytes.count] = 0
        guard !installed else { return }
        installed = true
        rawSyscall = RawSyscall.load()
        atexit { TraceCleanup.removeNow() }
        for signal in [SIGINT, SIGTERM, SIGHUP] {
            Glibc.signal(signal) { number in
                // Any descriptor open on the instance (a `trace` being read) keeps it busy; the process is ending,
                // so close every descriptor above standard error first (close_range(2), async-signal-safe).
                _ = TraceCleanup.syscall3(436, 3, Int(UInt32.max), 0)
                TraceCleanup.removeNow()
                Glibc.signal(number, SIG_DFL)
                raise(number)
            }
        }
    }

    /// A raw three-argument system call through the C library's `syscall()` (looked up once, at registration).
    static func syscall3(_ number: Int, _ first: Int, _ second: Int, _ third: Int) -> Int {
        guard let raw = rawSyscall else { return -1 }
        return raw.call(number, first, second, third, 0, 0, 0)
    }

    /// The `syscall()` entry point, looked up when the handlers are installed (never inside a handler).
    nonisolated(unsafe) static var rawSyscall: RawSyscall?

    /// Forgets the path (the instance was removed normally).
    static func unregister() {
        markerFD = -1
        buffer[0] = 0
    }

    /// Removes the registered instance directory, if any.
    static func removeNow() {
        if markerFD >= 0 {
            close(markerFD)
            markerFD = -1
        }
        if buffer[0] != 0 {
            // Another thread may still be inside a read of the instance's `trace`: retry for up to a second.
            var pause = timespec(tv_sec: 0, tv_nsec: 10_000_000)
            for _ in 0..<100 where rmdir(buffer) != 0 && errno == EBUSY { nanosleep(&pause, nil) }
            buffer[0] = 0
        }
    }
}
