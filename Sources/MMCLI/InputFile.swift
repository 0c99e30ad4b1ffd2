import Foundation

/// Reads the files named on the command line (scenarios, costs) with a bound on their size: a regular file is
/// measured before it is read, standard input and other streams are read up to one byte past the bound.
enum InputFile {
    /// Why a file could not be read, as one line naming it.
    struct Failure: Error, CustomStringConvertible {
        /// `FILE: reason`.
        var description: String
    }

    /// Whether `path` means standard input: `-` or `/dev/stdin`.
    static func isStandardInput(_ path: String) -> Bool { path == "-" || path == "/dev/stdin" }

    /// The name of `path` in messages and reports: `<stdin>` for `-`, else the path.
    static func displayName(_ path: String) -> String { path == "-" ? "<stdin>" : path }

    /// Whether `path` names something in the file system (or standard input). A path that exists but cannot be
    /// examined (a parent directory without search permission) counts, so that reading it reports why.
    static func exists(_ path: String) -> Bool {
        if isStandardInput(path) { return true }
        var info = stat()
        if stat(path, &info) == 0 { return true }
        return errno != ENOENT && errno != ENOTDIR
    }

    /// The bytes of `path` (standard input for `-` and `/dev/stdin`); fails for a directory, an unreadable file,
    /// or more than `limit` bytes (`what` names the kind of file in that message).
    static func read(_ path: String, limit: Int, what: String) throws(Failure) -> [UInt8] {
        let name = displayName(path)
        let descriptor: Int32 = isStandardInput(path) ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw Failure(description: "\(name): cannot open: \(errnoText())") }
        defer { if descriptor != STDIN_FILENO { close(descriptor) } }
        var info = stat()
        if fstat(descriptor, &info) == 0 {
            if info.st_mode & S_IFMT == S_IFDIR {
                throw Failure(description: "\(name): is a directory; give \(what)")
            }
            if info.st_mode & S_IFMT == S_IFREG && Int(info.st_size) > limit {
                throw Failure(description: "\(name): \(tooLarge(bytes: Int(info.st_size), limit: limit, what: what))")
            }
        }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while bytes.count <= limit {
            let count = chunk.withUnsafeMutableBytes { buffer in
                Foundation.read(descriptor, buffer.baseAddress, buffer.count)
            }
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else { throw Failure(description: "\(name): cannot read: \(errnoText())") }
            if count == 0 { return bytes }
            bytes.append(contentsOf: chunk[..<count])
        }
        throw Failure(description: "\(name): \(tooLarge(bytes: nil, limit: limit, what: what))")
    }

    /// `52428800 bytes is more than the 4 MiB (4194304 bytes) a scenario file may have`.
    static func tooLarge(bytes: Int?, limit: Int, what: String) -> String {
        let size = bytes.map { "\($0) bytes" } ?? "the input"
        return "\(size) is more than the \(limit >> 20) MiB (\(limit) bytes) \(what) may have"
    }

    /// `strerror(errno)`.
    static func errnoText() -> String { String(cString: strerror(errno)) }
}
