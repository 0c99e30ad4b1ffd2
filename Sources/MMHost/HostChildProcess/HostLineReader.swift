import Glibc

/// Reads newline-terminated lines from a file descriptor (a pipe), buffering what comes after a line.
public struct HostLineReader {
    /// The descriptor read from; not closed by the reader.
    public let fd: Int32
    /// Bytes read but not yet returned.
    private var pending: [UInt8] = []

    /// Reads from `fd`.
    public init(fd: Int32) { self.fd = fd }

    /// The next line without its newline, or `nil` at end of file (a last unterminated line is returned first).
    public mutating func readLine() throws(HostError) -> String? {
        while true {
            if let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: pending[..<newline], as: UTF8.self)
                pending.removeSubrange(...newline)
                return line
            }
            var chunk = [UInt8](repeating: 0, count: 65536)
            let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw HostError.lastErrno("read")
            }
            if count == 0 {
                guard !pending.isEmpty else { return nil }
                let line = String(decoding: pending, as: UTF8.self)
                pending = []
                return line
            }
            pending.append(contentsOf: chunk[..<count])
        }
    }

    /// Writes all of `text` to `fd` (retrying short writes), e.g. a reply line to a parent process.
    public static func write(_ text: String, to fd: Int32) throws(HostError) {
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno == EINTR { continue }
                throw HostError.lastErrno("write")
            }
            offset += written
        }
    }
}
