import Foundation
import MMScenario
import Testing

@testable import MMCLI

/// The built `mmsim` executable end to end: exit statuses, standard input, bounded input, no progress output when
/// standard error is not a terminal. The executable is the one next to this test binary in the build products
/// directory, which `swift build` makes; without it these tests are skipped.
@Suite(.serialized) struct BinaryTests {
    /// What one run of the executable did.
    struct Outcome {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// `mmsim` next to this test binary, if it was built.
    static let executable: String? = {
        guard let me = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") else {
            return nil
        }
        let candidate = URL(fileURLWithPath: me).deletingLastPathComponent().appendingPathComponent("mmsim").path
        return FileManager.default.isExecutableFile(atPath: candidate) ? candidate : nil
    }()

    /// Why a test is skipped without the executable.
    static let needsBinary: Comment = "build mmsim first (swift build)"

    /// A fresh temporary directory.
    static func directory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("mmcli-bin-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Runs `mmsim arguments` with `input` on standard input; output goes through files, so no pipe can fill.
    static func run(_ arguments: [String], input: [UInt8] = [], throughPipe: Bool = false) throws -> Outcome {
        let executable = try #require(executable)
        let directory = try directory()
        let files = ["in", "out", "err"].map { directory.appendingPathComponent($0) }
        try Data(input).write(to: files[0])
        for file in files.dropFirst() { try Data().write(to: file) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardInput = throughPipe ? pipe : try FileHandle(forReadingFrom: files[0])
        process.standardOutput = try FileHandle(forWritingTo: files[1])
        process.standardError = try FileHandle(forWritingTo: files[2])
        try process.run()
        if throughPipe {
            // The reader may stop early (that is the point): a closed pipe is fine.
            signal(SIGPIPE, SIG_IGN)
            try? pipe.fileHandleForWriting.write(contentsOf: Data(input))
            try? pipe.fileHandleForWriting.close()
        }
        process.waitUntilExit()
        let text = try files.dropFirst().map { String(decoding: try Data(contentsOf: $0), as: UTF8.self) }
        return Outcome(status: process.terminationStatus, stdout: text[0], stderr: text[1])
    }

    /// The YAML of built-in `name`.
    static func builtIn(_ name: String) throws -> [UInt8] {
        Array(try #require(BuiltInScenarios.named(name)).yaml.utf8)
    }

    @Test(
        "run - and run /dev/stdin read the scenario from standard input",
        .enabled(if: executable != nil, Self.needsBinary), arguments: ["-", "/dev/stdin"])
    func standardInput(path: String) throws {
        let outcome = try Self.run(["run", path], input: try Self.builtIn("S1"))
        #expect(outcome.status == 0, "\(outcome.stderr)")
        #expect(outcome.stderr.isEmpty)
    }

    @Test(
        "bad text on standard input is reported at <stdin>:line:col", .enabled(if: executable != nil, Self.needsBinary))
    func standardInputError() throws {
        let outcome = try Self.run(["run", "-"], input: Array("name: x\nsteps: [\u{7}]\n".utf8))
        #expect(outcome.status == 2)
        #expect(outcome.stderr.hasPrefix("<stdin>:2:9: control character U+0007"), "\(outcome.stderr)")
    }

    @Test("statuses: 0 passed, 1 an expectation failed, 2 bad input", .enabled(if: executable != nil, Self.needsBinary))
    func statuses() throws {
        #expect(try Self.run(["run", "S1"]).status == 0)
        // S1 expects one INVLPG; with a ceiling of 0 every range becomes a full flush.
        #expect(try Self.run(["run", "S1", "--ceiling", "0"]).status == 1)
        #expect(try Self.run(["run", "no-such-scenario"]).status == 2)
        #expect(try Self.run(["run", "S1", "--no-merge-vm-as"]).status == 2)
        let directory = try Self.directory()
        let outcome = try Self.run(["compare", directory.path])
        #expect(outcome.status == 2)
        #expect(outcome.stderr == "\(directory.path): is a directory; give a scenario file\n")
    }

    @Test("bench --size=-1 exits 2 with a message, not a crash", .enabled(if: executable != nil, Self.needsBinary))
    func benchNegativeSize() throws {
        let outcome = try Self.run(["bench", "--size=-1"])
        #expect(outcome.status == 2)
        #expect(outcome.stderr.contains("a size cannot be negative"))
        #expect(!outcome.stderr.contains("Fatal error"))
    }

    @Test(
        "conform --ops beyond the bound exits 2 at once, naming the limit",
        .enabled(if: executable != nil, Self.needsBinary))
    func conformOpsBound() throws {
        let outcome = try Self.run(["conform", "--ops", "10000000000"])
        #expect(outcome.status == 2)
        #expect(outcome.stderr.contains("--ops must be between 1 and 1000000"))
    }

    @Test("a 50 MB scenario is refused at once, naming the file", .enabled(if: executable != nil, Self.needsBinary))
    func largeFile() throws {
        let file = try Self.directory().appendingPathComponent("big.yaml")
        #expect(FileManager.default.createFile(atPath: file.path, contents: nil))
        let handle = try FileHandle(forWritingTo: file)
        try handle.truncate(atOffset: 50_000_000)
        try handle.close()
        let start = Date()
        let outcome = try Self.run(["run", file.path])
        #expect(outcome.status == 2)
        #expect(outcome.stderr.hasPrefix("\(file.path): 50000000 bytes is more than the 4 MiB"))
        #expect(Date().timeIntervalSince(start) < 10)
        let large = [UInt8](repeating: 0x23, count: ScenarioParser.maxInputBytes + 1)
        let redirected = try Self.run(["run", "-"], input: large)
        #expect(redirected.status == 2)
        #expect(redirected.stderr.hasPrefix("<stdin>: 4194305 bytes is more than the 4 MiB"))
        let piped = try Self.run(["run", "-"], input: large, throughPipe: true)
        #expect(piped.status == 2)
        #expect(piped.stderr.hasPrefix("<stdin>: the input is more than the 4 MiB"), "\(piped.stderr)")
    }

    @Test("--version prints the version", .enabled(if: executable != nil, Self.needsBinary))
    func version() throws {
        let outcome = try Self.run(["--version"])
        #expect(outcome.status == 0)
        #expect(outcome.stdout == MMSimVersion.current + "\n")
    }

    @Test("no progress line when standard error is not a terminal", .enabled(if: executable != nil, Self.needsBinary))
    func noProgressOffTerminal() throws {
        let outcome = try Self.run(["bench", "--size", "2M", "--repetitions", "1", "--no-host"])
        #expect(outcome.status == 0)
        #expect(!outcome.stderr.contains("\r"))
        #if DEBUG
        #expect(outcome.stderr.contains("warning: this is a debug build"))
        #else
        #expect(outcome.stderr.isEmpty)
        #endif
    }
}
