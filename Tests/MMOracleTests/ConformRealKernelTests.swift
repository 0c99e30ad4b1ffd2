import Glibc
import MMHardware
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

    @Test(
        "the worker's loads and stores fault without killing it, and its vocabulary calls reach the kernel raw",
        .enabled(if: workerExecutable() != nil, "needs the mmsim executable next to the test binary (swift build)"))
    func workerAccessesAndCalls() throws {
        let session = try ConformHostSession(
            executable: Self.workerExecutable()!, arguments: ["conform-worker"], pages: 8)
        defer { session.finish() }
        let rows: [(ConformCall, String)] = [
            (
                .call(.mmap(address: 0, length: 8192, prot: 3, flags: 0x32, fd: -1, offset: 0), address: .window(4096)),
                "w+4096"
            ),
            (.call(.access(address: 0, kind: .write, value: 0x11), address: .window(4096)), "0x11"),
            (.call(.access(address: 0, kind: .read, value: 0), address: .window(4096)), "0x11"),
            (.call(.access(address: 0, kind: .read, value: 0), address: .window(8192)), "0x0"),
            (.call(.access(address: 0, kind: .read, value: 0), address: .window(0)), "SIGSEGV/SEGV_ACCERR"),
            (.call(.access(address: 0, kind: .write, value: 1), address: .window(3 * 4096)), "SIGSEGV/SEGV_MAPERR"),
            (.call(.mprotect(address: 0, length: 4096, prot: 1), address: .window(4096)), "0"),
            (.call(.access(address: 0, kind: .write, value: 0x22), address: .window(4096)), "SIGSEGV/SEGV_ACCERR"),
            (.call(.access(address: 0, kind: .read, value: 0), address: .window(4096)), "0x11"),
            (
                .call(
                    .mmap(address: 0, length: 4096, prot: 1, flags: 0x12, fd: 3, offset: 0), address: .window(5 * 4096)),
                "w+20480"
            ),
            (
                .call(
                    .mmap(address: 0, length: 4096, prot: 1, flags: 0x12, fd: 999, offset: 0),
                    address: .window(6 * 4096)), "EBADF"
            ),
            (.syscall(.personality(persona: 0xffff_ffff), relative: []), "0"),
            (.syscall(.prctl(option: 66, arg2: 0, arg3: 0, arg4: 0, arg5: 0), relative: []), "0"),
            (.call(.mseal(address: 0, length: 4096, flags: 1), address: .window(4096)), "EINVAL"),
            (.call(.madvise(address: 0, length: 4096, advice: 102), address: .window(8192)), "0"),
            (.call(.access(address: 0, kind: .read, value: 0), address: .window(8192)), "SIGSEGV/SEGV_MAPERR"),
        ]
        for (call, expected) in rows {
            #expect(try session.run(call).observation.result == expected, "\(call)")
        }
        #expect(
            try session.run(.call(.access(address: 0, kind: .read, value: 0), address: .window(4096))).observation
                .layout
                == "[0,1)---p [1,2)r--p [2,3)rw-p [5,6)r--p [7,8)---p")
    }
}
