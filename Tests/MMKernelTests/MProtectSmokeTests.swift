import MMHardware
import MMKernel
import Testing

@Suite struct MProtectSmokeTests {
    /// A machine with `main` on CPU 0 and `worker` (same mm) running on CPU 1.
    static func machine(_ scheme: FlushScheme) -> (Machine, TaskID, TaskID) {
        var config = KernelConfig()
        config.scheme = scheme
        var machine = Machine(config: config)
        let main = machine.createProcess(name: "main", cpu: CPUID(0))
        let worker = machine.createThread(name: "worker", mm: machine.task(main).mm, cpu: CPUID(1))
        machine.schedule(worker)
        return (machine, main, worker)
    }

    static func flushes(_ machine: Machine, since mark: Int) -> [FlushRequest] {
        machine.trace[mark...].compactMap {
            if case .flushRequest(let request) = $0 { return request } else { return nil }
        }
    }

    @Test(arguments: FlushScheme.allCases)
    func s1OnePageInAGigabyte(_ scheme: FlushScheme) throws {
        var (machine, main, _) = Self.machine(scheme)
        let base = try machine.mmap(
            main, address: 0, length: 1 << 30, prot: [.read, .write], flags: [.private, .anonymous], file: nil,
            offset: 0)
        try machine.madvise(main, base, 1 << 30, advice: Advice.noHugePage.rawValue)
        _ = machine.access(main, base + (5 << 12), .write, value: 1)
        let mark = machine.trace.count
        try machine.mprotect(main, base, 1 << 30, prot: Protection.read.rawValue)
        let flushes = Self.flushes(machine, since: mark)
        #expect(flushes.count == 1)
        #expect(flushes.first?.pages == (scheme == .before ? -1 : 1))
        #expect(flushes.first?.remote == [CPUID(1)])
    }

    @Test(arguments: FlushScheme.allCases)
    func s2OneTHP(_ scheme: FlushScheme) throws {
        var (machine, main, _) = Self.machine(scheme)
        let base = try machine.mmap(
            main, address: 0, length: 2 << 20, prot: [.read, .write], flags: [.private, .anonymous], file: nil,
            offset: 0)
        try machine.madvise(main, base, 2 << 20, advice: Advice.hugePage.rawValue)
        _ = machine.access(main, base, .write, value: 1)
        #expect(machine.leafEntry(machine.task(main).mm, base).huge)
        let mark = machine.trace.count
        try machine.mprotect(main, base, 2 << 20, prot: Protection.read.rawValue)
        let flushes = Self.flushes(machine, since: mark)
        switch scheme {
        case .before: #expect(flushes.map(\.pages) == [-1, -1])
        case .seed: #expect(flushes.map(\.pages) == [-1, 1])
        case .merged:
            #expect(flushes.map(\.pages) == [1])
            #expect(flushes.first?.strideShift == 21)
        }
        #expect(machine.access(main, base, .write, value: 2) != .value(2))
    }

    @Test(arguments: FlushScheme.allCases)
    func s3ThreeVMAs(_ scheme: FlushScheme) throws {
        var (machine, main, _) = Self.machine(scheme)
        let base = try machine.mmap(
            main, address: 0, length: 12 << 12, prot: [.read, .write], flags: [.private, .anonymous], file: nil,
            offset: 0)
        try machine.madvise(main, base + (4 << 12), 4 << 12, advice: Advice.dontFork.rawValue)
        for page in 0..<12 { _ = machine.access(main, base + UInt64(page) << 12, .write, value: 1) }
        let mark = machine.trace.count
        try machine.mprotect(main, base, 12 << 12, prot: Protection.read.rawValue)
        let flushes = Self.flushes(machine, since: mark)
        #expect(flushes.map(\.pages) == (scheme == .before ? [4, 4, 4] : [12]))
    }
}
