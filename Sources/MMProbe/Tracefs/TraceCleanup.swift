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
        atexit { TraceCleanup.removeNow() }
        for signal in [SIGINT, SIGTERM, SIGHUP] {
            Glibc.signal(signal) { number in
                TraceCleanup.removeNow()
                Glibc.signal(number, SIG_DFL)
                raise(number)
            }
        }
    }

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
            rmdir(buffer)
            buffer[0] = 0
        }
    }
}
