import MMHardware
import MMKernel
import MMTestSupport
import Testing

/// personality(2): `sys_personality()` in kernel/exec_domain.c — a per-thread value copied by fork and clone, with
/// `READ_IMPLIES_EXEC` consulted by mmap and mprotect and cleared by exec of a 64-bit ELF (`set_personality_64bit()`).
@Suite struct PersonalityTests {
    static let readImpliesExec: UInt64 = 0x0400000
    static let noRandomize: UInt64 = 0x0040000

    @Test(
        "returns the previous persona; 0xffffffff (also with high bits, the argument is an unsigned int) only queries")
    func setAndQuery() throws {
        var (machine, main) = makeProcess()
        let both = Self.readImpliesExec | Self.noRandomize
        #expect(machine.perform(.personality(persona: 0xffff_ffff), by: main) == .returned(0))
        #expect(machine.perform(.personality(persona: both), by: main) == .returned(0))
        #expect(machine.perform(.personality(persona: 0xffff_ffff), by: main) == .returned(both))
        #expect(machine.perform(.personality(persona: 1 << 32 | 0xffff_ffff), by: main) == .returned(both))
        #expect(machine.perform(.personality(persona: 1 << 32 | Self.noRandomize), by: main) == .returned(both))
        #expect(machine.personality(main, 0xffff_ffff) == Self.noRandomize)
        #expect(!machine.readImpliesExec(main))
    }

    @Test("READ_IMPLIES_EXEC: PROT_READ mappings of the calling thread become executable")
    func readImpliesExecInMmap() throws {
        var (machine, main) = makeProcess()
        _ = machine.personality(main, Self.readImpliesExec)
        let base = try machine.mapAnon(main, pages: 1, prot: .read)
        #expect(machine.vma(main, containing: base)?.flags.contains(.exec) == true)
        _ = machine.personality(main, 0)
        let plain = try machine.mapAnon(main, pages: 1, prot: .read)
        #expect(machine.vma(main, containing: plain)?.flags.contains(.exec) == false)
    }

    @Test("the persona is per thread: a sibling created before the call keeps its own; one created after copies it")
    func perThread() throws {
        var (machine, main) = makeProcess()
        let before = machine.createThread(name: "before", mm: machine.mmID(of: main), cpu: CPUID(1))
        _ = machine.personality(main, Self.readImpliesExec)
        let after = machine.createThread(name: "after", mm: machine.mmID(of: main), cpu: CPUID(1))
        #expect(!machine.readImpliesExec(before))
        #expect(machine.readImpliesExec(after))
        let base = try machine.mapAnon(before, pages: 1, prot: .read)
        #expect(machine.vma(main, containing: base)?.flags.contains(.exec) == false)
    }

    @Test("fork copies the persona; exec of a 64-bit ELF clears READ_IMPLIES_EXEC and keeps the other bits")
    func forkAndExec() throws {
        var (machine, main) = makeProcess()
        _ = machine.personality(main, Self.readImpliesExec | Self.noRandomize)
        let child = try machine.fork(main, childName: "child", cpu: CPUID(1))
        #expect(machine.personality(child, 0xffff_ffff) == Self.readImpliesExec | Self.noRandomize)
        try machine.exec(child, argumentPages: 1)
        #expect(machine.personality(child, 0xffff_ffff) == Self.noRandomize)
        #expect(machine.personality(main, 0xffff_ffff) == Self.readImpliesExec | Self.noRandomize)
    }

    @Test("setReadImpliesExec toggles READ_IMPLIES_EXEC alone")
    func setReadImpliesExecKeepsOtherBits() throws {
        var (machine, main) = makeProcess()
        _ = machine.personality(main, Self.noRandomize)
        machine.setReadImpliesExec(main, true)
        #expect(machine.personality(main, 0xffff_ffff) == Self.noRandomize | Self.readImpliesExec)
        machine.setReadImpliesExec(main, false)
        #expect(machine.personality(main, 0xffff_ffff) == Self.noRandomize)
    }
}
