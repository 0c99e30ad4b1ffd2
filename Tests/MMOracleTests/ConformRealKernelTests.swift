import Glibc
import MMHost
import MMKernel
import MMOracle
import Testing

/// The seeded conformance run against this machine's kernel (issue 4: 5,000 calls in CI, 0 differences).
///
/// The real calls run in `mmsim conform-worker`, a separate process, found next to the test bundle in the build
/// products directory (`.build/<triple>/debug/mmsim`, the directory of `/proc/self/exe`); `swift build` must have
/// built it. Without it the test is skipped with the reason printed.
@Suite(.serialized) struct ConformRealKernelTests {
    /// The worker executable next to this test binary, or `nil`.
    static func workerExecutable() -> String? {
        let me = HostChildProcess.currentExecutable()
        guard let slash = me.lastIndex(of: "/") else { return nil }
        let candidate = String(me[..<slash]) + "/mmsim"
        return access(candidate, X_OK) == 0 ? candidate : nil
    }

    @Test("5,000 seeded calls: the model agrees with the kernel after every call")
    func fiveThousandCalls() throws {
        guard let worker = Self.workerExecutable() else {
            print("skipped: no mmsim executable next to \(HostChildProcess.currentExecutable()); run swift build")
            return
        }
        var runner = ConformRunner(
            seed: 2024, calls: 5000, workerExecutable: worker, workerArguments: ["conform-worker"],
            profile: HostProfile.detect())
        runner.nearLimitEvery = 0
        do {
            _ = try ConformHostSession(executable: worker, arguments: ["conform-worker"], pages: 8).finish()
        } catch {
            print("skipped: the worker cannot be spawned: \(error)")
            return
        }
        let report = runner.run()
        print(report.summary)
        #expect(report.problems.isEmpty, "\(report.problems)")
        #expect(report.calls >= 5000)
        #expect(report.differences.isEmpty, "\(report.summary)")
        for difference in report.differences {
            Issue.record("difference in sequence \(difference.original.index):\n\(difference.reproducer)")
        }
    }

    @Test("the worker reserves its window with guards and reports results and layouts")
    func workerProtocol() throws {
        guard let worker = Self.workerExecutable() else {
            print("skipped: no mmsim executable next to the test bundle")
            return
        }
        let session: ConformHostSession
        do {
            session = try ConformHostSession(executable: worker, arguments: ["conform-worker"], pages: 8)
        } catch {
            print("skipped: the worker cannot be spawned (is conform-worker registered in MMSim.swift?): \(error)")
            return
        }
        defer { session.finish() }
        #expect(session.window.base % 4096 == 0)
        let mapped = try session.run(
            .call(.mmap(address: 0, length: 8192, prot: 3, flags: 0x32, fd: -1, offset: 0), address: .window(4096)))
        #expect(mapped.observation == ConformObservation(result: "w+4096", layout: "[0,1)---p [1,3)rw-p [7,8)---p"))
        let bad = try session.run(.call(.mprotect(address: 0, length: 4096, prot: 1), address: .window(4097)))
        #expect(bad.observation.result == "EINVAL")
    }
}
