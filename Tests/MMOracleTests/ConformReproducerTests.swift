import MMHardware
import MMKernel
import MMOracle
import MMScenario
import Testing

/// A reproducer holds every kind of call as a runnable scenario step: written from observations, it parses, runs
/// on the model, and fails exactly where the observations disagree with the model.
@Suite struct ConformReproducerTests {
    /// The reference machine's profile.
    static let profile = HostProfile(
        release: "6.18.44-fc-v669", pcid: true, invpcid: true, meltdown: "Not affected", thpMode: "madvise",
        thpUseZeroPage: true, overcommitMemory: 0, overcommitRatio: 50, maxMapCount: 65530,
        mmapMinAddress: 65536, onlineCPUs: 2, memTotalKiB: 24 << 20)

    /// The window of the sequence.
    static let window = ConformWindow(base: 0x6f00_0000_0000, pages: 48)

    /// One call of every kind of the vocabulary, in an order where most of them do something.
    static let calls: [ConformCall] = [
        .call(.mmap(address: 0, length: 8 * 4096, prot: 3, flags: 0x32, fd: -1, offset: 0), address: .window(4096)),
        .call(.access(address: 0, kind: .write, value: 0x11), address: .window(4096)),
        .call(.access(address: 0, kind: .read, value: 0), address: .window(8192)),
        .call(.access(address: 0, kind: .read, value: 0), address: .window(0)),
        .call(.mprotect(address: 0, length: 4096, prot: 1), address: .window(8192)),
        .call(.pkeyMprotect(address: 0, length: 4096, prot: 1, pkey: -1), address: .window(12288)),
        .call(.madvise(address: 0, length: 4096, advice: 4), address: .window(4096)),
        .call(
            .mremap(address: 0, oldLength: 8192, newLength: 8192, flags: 3, newAddress: 0), address: .window(16384),
            newAddress: .window(40 * 4096)),
        .call(.mmap(address: 0, length: 4096, prot: 1, flags: 0x12, fd: 3, offset: 0), address: .window(24 * 4096)),
        .call(.mmap(address: 0, length: 4096, prot: 1, flags: 0x12, fd: 999, offset: 0), address: .window(25 * 4096)),
        .call(.munmap(address: 0, length: 4096), address: .window(24 * 4096)),
        .call(.mlock(address: 0, length: 4096), address: .window(4096)),
        .call(.mlock2(address: 0, length: 4096, flags: 1), address: .window(4096)),
        .call(.munlock(address: 0, length: 4096), address: .window(4096)),
        .syscall(.mlockall(flags: 1), relative: []),
        .syscall(.munlockall, relative: []),
        .call(.mseal(address: 0, length: 4096, flags: 0), address: .window(8 * 4096)),
        .syscall(.prctl(option: 66, arg2: 0, arg3: 0, arg4: 0, arg5: 0), relative: []),
        .syscall(.personality(persona: 0xffff_ffff), relative: []),
        .syscall(.pkeyAlloc(flags: 0, accessRights: 0), relative: []),
        .syscall(.pkeyFree(pkey: 1), relative: []),
        .syscall(.writePKRU(0x5555_5554), relative: []),
        .call(.uffdRegister(address: 0, length: 4096, mode: 2), address: .window(4096)),
        .call(.uffdWriteProtect(address: 0, length: 4096, mode: 1), address: .window(4096)),
        .call(.numaScan(address: 0, length: 8 * 4096), address: .window(4096)),
        .call(.access(address: 0, kind: .write, value: 0x22), address: .window(4096)),
        .call(.access(address: 0, kind: .execute, value: 0), address: .window(12288)),
        .syscall(.fork(childName: "child", cpu: CPUID(1)), relative: []),
        .syscall(.execve(argumentPages: 1, executableStack: nil), relative: []),
        .call(.munmap(address: 0, length: 4096), address: .absolute(0x1000)),
    ]

    /// The model's observations of `calls`.
    static func modelObservations() throws -> [ConformObservation] {
        var session = try ConformModelSession(config: profile.kernelConfig, window: window)
        return calls.map { session.run($0) }
    }

    /// Writes the reproducer for `kernel` observations and runs it; returns the lines of failed expectations and
    /// of steps that could not run, and the line of each call's step.
    static func runReproducer(_ kernel: [ConformObservation]) throws -> (failed: [Int], errors: [String], calls: [Int])
    {
        let sequence = ConformSequence(
            index: 0, kind: .normal, pages: window.pages, layoutFromPage: 0, layoutPages: window.pages, calls: calls)
        let text = ConformScenarioWriter.scenario(
            sequence: sequence, window: window, kernel: kernel, seed: 1, profile: profile,
            machineYAML: profile.machineYAML)
        let scenario = try ScenarioParser.parse(yaml: text, file: "repro.yaml")
        let report = ScenarioRunner.run(scenario)
        let failed = report.steps.flatMap { $0.expectations.filter { !$0.passed }.map(\.line) }
        let errors = report.steps.compactMap { step -> String? in
            if case .error(let message) = step.result { return "\(step.call): \(message)" }
            return nil
        }
        let callLines = report.steps.filter { $0.keyword != "expect" }.dropFirst(2).map(\.line)
        return (failed, errors, callLines)
    }

    @Test("every call kind is a step; with the model's own answers the reproducer passes")
    func everyKindRuns() throws {
        let model = try Self.modelObservations()
        let (failed, errors, callLines) = try Self.runReproducer(model)
        #expect(callLines.count == Self.calls.count)
        #expect(failed.isEmpty, "\(failed)")
        #expect(errors.isEmpty, "\(errors)")
        let results = Set(model.map(\.result))
        #expect(results.contains("SIGSEGV/SEGV_ACCERR") && results.contains("EBADF") && results.contains("w+163840"))
    }

    @Test("a different result fails at that call's step and nowhere else", arguments: [7, 16, 25, 29])
    func failsAtTheDisagreement(_ index: Int) throws {
        var kernel = try Self.modelObservations()
        kernel[index].result = kernel[index].result == "EPERM" ? "EINVAL" : "EPERM"
        if case .syscall(.access, _) = Self.calls[index] { kernel[index].result = "SIGBUS/BUS_ADRERR" }
        let (failed, errors, callLines) = try Self.runReproducer(kernel)
        #expect(errors.isEmpty, "\(errors)")
        #expect(failed == [callLines[index] + 1], "the expectation under the call's step")
    }

    @Test("a different layout fails at the check after that call")
    func layoutDisagreement() throws {
        var kernel = try Self.modelObservations()
        kernel[10].layout = "[0,48)rwxp"
        let (failed, _, callLines) = try Self.runReproducer(kernel)
        #expect(failed.count == 1)
        #expect(failed.allSatisfy { $0 > callLines[10] && $0 < callLines[11] })
    }

    @Test("every call survives the wire form")
    func wire() {
        for call in Self.calls where call.isHostRunnable || call.resolved(base: 0)?.registers != nil {
            #expect(ConformCall(wire: call.description) == call, "\(call)")
        }
        #expect(ConformCall(wire: "mlockall w+1") == nil, "mlockall has no address")
        #expect(ConformCall(wire: "mremap w+0 0x1000 0x1000 0x3 w+8192")?.address(.newAddress) == .window(8192))
    }
}
