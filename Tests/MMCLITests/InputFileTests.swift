import Foundation
import MMScenario
import Testing

@testable import MMCLI

/// Files named on the command line are read with a bound, and every way they can be wrong gives a one-line
/// message naming the file.
@Suite struct InputFileTests {
    /// A fresh temporary directory.
    func directory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("mmcli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// The failure text of reading `path`, or "read N bytes".
    func read(_ path: String, limit: Int = 1 << 20) -> String {
        do {
            return "read \(try InputFile.read(path, limit: limit, what: "a scenario file").count) bytes"
        } catch {
            return error.description
        }
    }

    @Test("a regular file is read whole")
    func regularFile() throws {
        let file = try directory().appendingPathComponent("a.yaml")
        try Data("steps: []\n".utf8).write(to: file)
        #expect(read(file.path) == "read 10 bytes")
    }

    @Test("a directory gets a plain message")
    func directoryMessage() throws {
        let path = try directory().path
        #expect(read(path) == "\(path): is a directory; give a scenario file")
    }

    @Test("a file larger than the limit is refused by its size, without reading it")
    func tooLarge() throws {
        let file = try directory().appendingPathComponent("big.yaml")
        #expect(FileManager.default.createFile(atPath: file.path, contents: nil))
        let handle = try FileHandle(forWritingTo: file)
        try handle.truncate(atOffset: 50 << 20)
        try handle.close()
        #expect(
            read(file.path, limit: ScenarioParser.maxInputBytes)
                == "\(file.path): 52428800 bytes is more than the 4 MiB (4194304 bytes) a scenario file may have")
    }

    @Test("a missing file is not there; - and /dev/stdin are standard input")
    func existence() {
        #expect(!InputFile.exists("/no/such/file.yaml"))
        #expect(InputFile.exists("-"))
        #expect(InputFile.isStandardInput("/dev/stdin"))
        #expect(InputFile.displayName("-") == "<stdin>")
        #expect(read("/no/such/file.yaml") == "/no/such/file.yaml: cannot open: No such file or directory")
    }

    @Test("an output directory must be a writable directory or creatable below one")
    func outputDirectory() throws {
        let base = try directory()
        #expect(OutputDirectory.problem(base.path) == nil)
        #expect(OutputDirectory.problem(base.appendingPathComponent("new/deeper").path) == nil)
        let file = base.appendingPathComponent("file")
        try Data().write(to: file)
        #expect(OutputDirectory.problem(file.path) == "'\(file.path)' exists and is not a directory")
        #expect(OutputDirectory.problem(file.path + "/sub")?.contains("is not a directory") == true)
        #expect(OutputDirectory.problem("") == "is empty")
        #expect(try OutputDirectory.write([], into: base.appendingPathComponent("unused").path).isEmpty)
        #expect(!FileManager.default.fileExists(atPath: base.appendingPathComponent("unused").path))
        #expect(throws: (any Error).self) { try OutputDirectory.write([("a.yaml", "x")], into: file.path + "/sub") }
    }

    @Test(
        "a directory without write permission is refused (skipped as root, whom permissions do not stop)",
        .enabled(if: getuid() != 0, "root may write anywhere"))
    func readOnlyDirectory() throws {
        let base = try directory()
        try FileManager.default.setAttributes([.posixPermissions: 0o555], ofItemAtPath: base.path)
        defer { try? FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: base.path) }
        #expect(OutputDirectory.problem(base.path)?.contains("cannot write into it") == true)
        #expect(OutputDirectory.problem(base.appendingPathComponent("new").path)?.contains("cannot create") == true)
    }
}
