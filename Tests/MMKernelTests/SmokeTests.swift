import MMHardware
import MMKernel
import Testing

@Suite struct SmokeTests {
    @Test func anonymousWriteReadAndCOWAfterFork() throws {
        var machine = Machine()
        let main = machine.createProcess(name: "main", cpu: CPUID(0))
        let base = try machine.mmap(
            main, address: 0, length: 16 << 12, prot: [.read, .write], flags: [.private, .anonymous], file: nil,
            offset: 0)
        #expect(machine.access(main, base, .write, value: 0x11) == .value(0x11))
        #expect(machine.access(main, base, .read) == .value(0x11))
        #expect(machine.access(main, base + 4096, .read) == .value(0))
        let child = try machine.fork(main, childName: "child", cpu: CPUID(1))
        #expect(machine.access(child, base, .read) == .value(0x11))
        #expect(machine.access(child, base, .write, value: 0x22) == .value(0x22))
        #expect(machine.access(main, base, .read) == .value(0x11))
        #expect(machine.access(child, base, .read) == .value(0x22))
        try machine.munmap(main, base, 16 << 12)
        if case .signal(let signal) = machine.access(main, base, .read) {
            #expect(signal.code == "SEGV_MAPERR")
        } else {
            Issue.record("read after munmap did not fault")
        }
    }

    @Test func madviseSplitsAndMergesBack() throws {
        var machine = Machine()
        let main = machine.createProcess(name: "main", cpu: CPUID(0))
        let base = try machine.mmap(
            main, address: 0, length: 3 << 12, prot: [.read, .write], flags: [.private, .anonymous], file: nil,
            offset: 0)
        try machine.madvise(main, base + 4096, 4096, advice: Advice.dontFork.rawValue)
        let mm = machine.task(main).mm
        #expect(machine.mm(mm).vmas.count == 3)
        try machine.madvise(main, base + 4096, 4096, advice: Advice.doFork.rawValue)
        #expect(machine.mm(mm).vmas.count == 1)
        #expect(machine.relativeLayout(mm, base: base, length: 3 << 12) == "[0,3)rw-p")
    }
}
