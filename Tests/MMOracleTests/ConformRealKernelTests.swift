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

    /// Whether the worker executable exists and starts (it needs `/proc/self/pagemap` and `/proc/self/mem`).
    static let workerStarts: Bool = {
        guard let worker = workerExecutable() else { return false }
        return (try? ConformHostSession(executable: worker, arguments: ["conform-worker"], pages: 8).finish()) != nil
    }()

    @Test(
        "5,000 seeded calls, one sequence near max_map_count: the model agrees with the kernel after every call",
        .enabled(if: workerStarts, "needs the mmsim executable next to the test binary (swift build) and a worker"))
    func fiveThousandCalls() throws {
        var runner = ConformRunner(
            seed: 2024, calls: 5000, workerExecutable: Self.workerExecutable()!, workerArguments: ["conform-worker"],
            profile: HostProfile.detect())
        runner.nearLimitEvery = 100
        let report = runner.run()
        print(report.summary)
        #expect(report.problems.isEmpty, "\(report.problems)")
        #expect(report.calls >= 5000)
        #expect(report.differences.isEmpty, "\(report.summary)")
        for difference in report.differences {
            Issue.record("difference in sequence \(difference.original.index):\n\(difference.reproducer)")
        }
    }

    @Test(
        "the worker reserves its window with guards and reports results, layouts and pages",
        .enabled(if: workerStarts, "needs the mmsim executable next to the test binary (swift build) and a worker"))
    func workerProtocol() throws {
        let session = try ConformHostSession(
            executable: Self.workerExecutable()!, arguments: ["conform-worker"], pages: 8)
        defer { session.finish() }
        #expect(session.window.base % 4096 == 0)
        let mapped = try session.run(
            .call(.mmap(address: 0, length: 8192, prot: 3, flags: 0x32, fd: -1, offset: 0), address: .window(4096)))
        #expect(mapped.observation == ConformObservation(result: "w+4096", layout: "[0,1)---p [1,3)rw-p [7,8)---p"))
        let stored = try session.run(.call(.access(address: 0, kind: .write, value: 0x77), address: .window(8192)))
        #expect(stored.observation.pages == "2=0x77")
        // The worker maps nothing of its own while it runs calls: its VMAs outside the window stay as they were.
        #expect(stored.outside == session.outsideAtStart)
        let file = try session.run(
            .call(.mmap(address: 0, length: 4096, prot: 1, flags: 0x12, fd: 4, offset: 4096), address: .window(16384)))
        #expect(file.observation.result == "w+16384")
        let read = try session.run(.call(.access(address: 0, kind: .read, value: 0), address: .window(16384)))
        #expect(read.observation.result == "0x" + String(ConformFile.initialToken(index: 1, page: 1), radix: 16))
        let bad = try session.run(.call(.mprotect(address: 0, length: 4096, prot: 1), address: .window(4097)))
        #expect(bad.observation.result == "EINVAL")
    }

    @Test(
        "the worker's loads and stores fault without killing it, and its vocabulary calls reach the kernel raw",
        .enabled(if: workerStarts, "needs the mmsim executable next to the test binary (swift build) and a worker"))
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
        // MADV_HWPOISON and MADV_SOFT_OFFLINE never reach the kernel (an unaligned start would make it EINVAL).
        for advice: Int64 in [100, 101, 0x1_0000_0064] {
            #expect(throws: ConformHostSession.Failure.self) {
                try session.run(.call(.madvise(address: 1, length: 4096, advice: advice), address: .window(8192)))
            }
        }
        #expect(
            try session.run(.call(.access(address: 0, kind: .read, value: 0), address: .window(4096))).observation
                .layout
                == "[0,1)---p [1,2)r--p [2,3)rw-p [5,6)r--p [7,8)---p")
    }
}
