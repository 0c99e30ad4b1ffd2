import Foundation

/// A directory the command writes files into (`conform --out`): checked before the work starts, created only
/// when there is something to write.
enum OutputDirectory {
    /// Why files could not be written into `path`, or `nil` if they could: `path` must be a writable directory,
    /// or not exist yet below a writable directory (the nearest one that exists).
    static func problem(_ path: String) -> String? {
        guard !path.isEmpty else { return "is empty" }
        var candidate = URL(fileURLWithPath: path).standardizedFileURL.path
        var isDirectory: ObjCBool = false
        var missing = false
        while !FileManager.default.fileExists(atPath: candidate, isDirectory: &isDirectory) {
            missing = true
            let parent = (candidate as NSString).deletingLastPathComponent
            if parent == candidate || parent.isEmpty { return "'\(path)': no existing parent directory" }
            candidate = parent
        }
        guard isDirectory.boolValue else {
            return missing
                ? "'\(path)': '\(candidate)' is not a directory, so it cannot be created"
                : "'\(path)' exists and is not a directory"
        }
        guard access(candidate, W_OK | X_OK) == 0 else {
            let reason = String(cString: strerror(errno))
            return missing
                ? "'\(path)': cannot create it in '\(candidate)': \(reason)"
                : "'\(path)': cannot write into it: \(reason)"
        }
        return nil
    }

    /// Writes `files` (name, text) into `path`, creating it if needed, and returns their paths; nothing is
    /// created when `files` is empty.
    static func write(_ files: [(name: String, text: String)], into path: String) throws -> [String] {
        guard !files.isEmpty else { return [] }
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        var written: [String] = []
        for file in files {
            let target = (path as NSString).appendingPathComponent(file.name)
            try file.text.write(toFile: target, atomically: true, encoding: .utf8)
            written.append(target)
        }
        return written
    }
}
