import Foundation
import Glibc
import MMHost
import Testing

/// The `mmsim` executable to run in a fresh process: the one built next to this test binary (SwiftPM builds both into
/// the same directory, with the same configuration; `swift test -c release` checks the optimised build, whose
/// lazily initialised constants were the first-call pitfall).
let mmsimExecutable: String = {
    let me = HostChildProcess.currentExecutable()
    guard let slash = me.lastIndex(of: "/") else { return "mmsim" }
    return String(me[..<slash]) + "/mmsim"
}()

/// The harness's measured path in a process where nothing has run before: the first measured call of the process
/// must see exactly the kernel's flushes, none from the harness's own first-time work (symbol binding, lazy
/// globals, the errno table, string formatting) between its markers. Nested in ``RealProbeTests`` so that no two
/// probes run at once.
extension RealProbeTests {
    /// Whether an `mmsim` executable is there.
    static let hasExecutable = access(mmsimExecutable, X_OK) == 0
    /// Runs `mmsim probe ARGS --json` in a fresh process and returns its calls (the JSON objects of every
    /// shape's `calls`) and whether the whole report agreed.
    static func probeFreshProcess(_ arguments: [String]) throws -> (agree: Bool, calls: [[String: Any]]) {
        let child = try HostChildProcess(executable: mmsimExecutable, arguments: ["probe"] + arguments + ["--json"])
        var output = ""
        while let line = try child.readLine() { output += line + "\n" }
        _ = child.finish()
        let report = try #require(
            try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any], "\(output)")
        let shapes = try #require(report["shapes"] as? [[String: Any]])
        let calls = shapes.flatMap { ($0["calls"] as? [[String: Any]]) ?? [] }
        return (report["agree"] as? Bool ?? false, calls)
    }

    /// A scenario file in a fresh temporary directory; returns its path.
    static func scenarioFile(_ yaml: String) throws -> String {
        let directory = try HostFile.makeTemporaryDirectory()
        let path = directory + "/first.yaml"
        let file = try #require(fopen(path, "w"))
        fputs(yaml, file)
        fclose(file)
        return path
    }

    /// The first measured calls of a fresh process are no-ops that fail (ENOMEM on nothing mapped, EINVAL): the
    /// kernel flushes nothing, and the harness must not either; no flush falls outside a call anywhere.
    @Test(.enabled(if: hasExecutable, "needs the mmsim executable built next to the tests"))
    func firstCallsOfAFreshProcessFlushNothing() throws {
        let path = try Self.scenarioFile(
            """
            machine: {cpus: 2}
            threads:
              - {name: main, cpu: 0}
              - {name: other, cpu: 1, process: main}
            steps:
              - mprotect: {addr: 0x7effff000000, length: 4K, prot: read}
                expect: {result: ENOMEM}
              - madvise: {addr: 0x7effff000000, length: 4K, advice: DONTNEED}
                expect: {result: ENOMEM}
              - mprotect: {addr: 0x7effff000001, length: 4K, prot: read}
                expect: {result: EINVAL}

            """)
        defer {
            unlink(path)
            rmdir(String(path[..<path.lastIndex(of: "/")!]))
        }
        for _ in 0..<2 {
            let (agree, calls) = try Self.probeFreshProcess([path, "--repeat", "1"])
            #expect(agree, "\(calls)")
            #expect(calls.count == 3)
            for call in calls {
                #expect((call["kernel"] as? [Any])?.isEmpty == true, "a flush in a no-op window: \(call)")
                #expect((call["differences"] as? [Any])?.isEmpty == true, "\(call)")
            }
        }
    }

    /// The mprotect over two VMAs and a hole, alone in a fresh process (its failing call is the process's first):
    /// ENOMEM with one 16-page flush, as the model says.
    @Test(.enabled(if: hasExecutable, "needs the mmsim executable built next to the tests"))
    func enomemHoleInAFreshProcess() throws {
        for _ in 0..<2 {
            let (agree, calls) = try Self.probeFreshProcess(["host-enomem-hole", "--repeat", "1"])
            #expect(agree, "\(calls)")
            let failing = try #require(calls.first { $0["kernelResult"] as? String == "-1 ENOMEM" })
            let pages = (failing["kernel"] as? [[String: Any]])?.compactMap { $0["pages"] as? Int }
            #expect(pages == [16])
        }
    }
}
