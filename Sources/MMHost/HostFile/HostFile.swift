import Glibc

/// Reads small kernel-provided text files (`/proc`, `/sys`) with plain `open`/`read`.
///
/// Files under `/proc` report a size of 0 and are generated as they are read, so they must be read in chunks
/// until end of file rather than by size; Foundation is not needed for that.
public enum HostFile {
    /// The whole content of the file at `path` as UTF-8 text (invalid bytes replaced).
    public static func read(path: String) throws(HostError) -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            throw HostError.lastErrno("open \(path)")
        }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw HostError.lastErrno("read \(path)")
            }
            if count == 0 { break }
            bytes.append(contentsOf: chunk[0..<count])
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Whether anything exists at `path` (`access(path, F_OK)`).
    public static func exists(path: String) -> Bool {
        access(path, F_OK) == 0
    }
}
