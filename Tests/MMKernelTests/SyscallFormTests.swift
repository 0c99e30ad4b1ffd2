import MMHardware
import MMKernel
import Testing

/// The vocabulary's forms of a call: its registers (the conformance wire form), its address fields (what scenarios
/// and the oracle fill in), and its strace-like text (what every report shows).
@Suite struct SyscallFormTests {
    /// One call of every case that has registers, with unusual values in every argument.
    static let calls: [Syscall] = [
        .mmap(address: 0x1000, length: 0x2000, prot: 0x8000_0003, flags: 0x10_0022, fd: -1, offset: 0x3000),
        .munmap(address: 1, length: 2), .mprotect(address: 1, length: 2, prot: 3),
        .pkeyMprotect(address: 1, length: 2, prot: 3, pkey: -2), .pkeyAlloc(flags: 1, accessRights: 2),
        .pkeyFree(pkey: .min), .writePKRU(0xffff_ffff), .madvise(address: 1, length: 2, advice: -1),
        .mremap(address: 1, oldLength: 2, newLength: 3, flags: 4, newAddress: 5), .mlock(address: 1, length: 2),
        .mlock2(address: 1, length: 2, flags: 3), .munlock(address: 1, length: 2), .mlockall(flags: 7), .munlockall,
        .mseal(address: 1, length: 2, flags: 3), .prctl(option: -1, arg2: 2, arg3: 3, arg4: 4, arg5: 5),
        .personality(persona: 0xffff_ffff), .uffdRegister(address: 1, length: 2, mode: 3),
        .uffdWriteProtect(address: 1, length: 2, mode: 3), .numaScan(address: 1, length: 2),
        .access(address: 1, kind: .read, value: 2), .access(address: 1, kind: .write, value: 2),
        .access(address: 1, kind: .execute, value: 2),
    ]

    @Test("name and registers give the call back", arguments: calls)
    func registersRoundTrip(_ call: Syscall) throws {
        let registers = try #require(call.registers)
        #expect(Syscall(name: call.name, registers: registers) == call)
        #expect(Syscall(name: call.name, registers: registers + [0]) == nil, "one register too many")
    }

    @Test("fork and execve have no registers; unknown names and a 33-bit PKRU are refused")
    func noRegisters() {
        #expect(Syscall.fork(childName: "kid", cpu: CPUID(1)).registers == nil)
        #expect(Syscall.execve(argumentPages: 1, executableStack: nil).registers == nil)
        #expect(Syscall(name: "mmap2", registers: [0, 0, 0, 0, 0, 0]) == nil)
        #expect(Syscall(name: "wrpkru", registers: [1 << 32]) == nil)
    }

    @Test("address fields: read, set, and moved together; the register that holds each")
    func fields() {
        let call = Syscall.mremap(address: 0x10, oldLength: 0x20, newLength: 0x30, flags: 3, newAddress: 0x40)
        #expect(call.fields == [.address, .length, .newAddress])
        #expect(call.value(of: .newAddress) == 0x40)
        #expect(
            call.setting(.length, to: 7)
                == .mremap(address: 0x10, oldLength: 7, newLength: 0x30, flags: 3, newAddress: 0x40))
        #expect(
            call.mappingFields { field, value in field == .length ? value : value + 0x1000 }
                == .mremap(address: 0x1010, oldLength: 0x20, newLength: 0x30, flags: 3, newAddress: 0x1040))
        #expect(call.registerIndex(of: .newAddress) == 4)
        #expect(Syscall.access(address: 8, kind: .read, value: 0).fields == [.address])
        #expect(Syscall.mlockall(flags: 1).fields.isEmpty)
        #expect(Syscall.mlockall(flags: 1).setting(.address, to: 5) == .mlockall(flags: 1))
        #expect(Syscall.pkeyAlloc(flags: 0, accessRights: 0).registerIndex(of: .address) == nil)
    }

    /// A call and the text reports show for it.
    struct TextRow: Sendable, CustomTestStringConvertible {
        var call: Syscall
        var text: String
        var testDescription: String { text }
    }

    /// The first rows are the texts scenario reports showed before the vocabulary, unchanged.
    static let textRows: [TextRow] = [
        TextRow(
            call: .mmap(address: 0, length: 16384, prot: 3, flags: 0x22, fd: -1, offset: 0),
            text: "mmap(NULL, 16384, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0)"),
        TextRow(call: .munmap(address: 0x1000, length: 4096), text: "munmap(0x1000, 4096)"),
        TextRow(call: .madvise(address: 0x1000, length: 4096, advice: 4), text: "madvise(0x1000, 4096, MADV_DONTNEED)"),
        TextRow(call: .madvise(address: 0x1000, length: 4096, advice: 99), text: "madvise(0x1000, 4096, 99)"),
        TextRow(
            call: .pkeyMprotect(address: 0x1000, length: 4096, prot: 1, pkey: -1),
            text: "pkey_mprotect(0x1000, 4096, PROT_READ, -1)"),
        TextRow(
            call: .uffdRegister(address: 0x1000, length: 4096, mode: 3),
            text: "ioctl(uffd, UFFDIO_REGISTER, {0x1000, 4096, MISSING|WP})"),
        TextRow(
            call: .uffdWriteProtect(address: 0x1000, length: 4096, mode: 0),
            text: "ioctl(uffd, UFFDIO_WRITEPROTECT, {0x1000, 4096, 0})"),
        TextRow(call: .personality(persona: 0x0400000), text: "personality(READ_IMPLIES_EXEC)"),
        TextRow(call: .personality(persona: 0), text: "personality(PER_LINUX)"),
        TextRow(
            call: .prctl(option: 65, arg2: 1, arg3: 0, arg4: 0, arg5: 0),
            text: "prctl(PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN)"),
        TextRow(call: .mseal(address: 0x1000, length: 4096, flags: 0), text: "mseal(0x1000, 4096, 0)"),
        TextRow(call: .execve(argumentPages: 4, executableStack: nil), text: "execve(arg pages 4, stack default)"),
        TextRow(call: .fork(childName: "kid", cpu: CPUID(1)), text: "fork() [child 'kid' on cpu 1]"),
        TextRow(
            call: .madvise(address: 0x1000, length: 4096, advice: 102),
            text: "madvise(0x1000, 4096, MADV_GUARD_INSTALL)"),
        TextRow(
            call: .mremap(address: 0x1000, oldLength: 4096, newLength: 8192, flags: 3, newAddress: 0x9000),
            text: "mremap(0x1000, 4096, 8192, MREMAP_MAYMOVE|MREMAP_FIXED, 0x9000)"),
        TextRow(call: .mlock2(address: 0x1000, length: 4096, flags: 1), text: "mlock2(0x1000, 4096, MLOCK_ONFAULT)"),
        TextRow(call: .mlockall(flags: 0xb), text: "mlockall(MCL_CURRENT|MCL_FUTURE|0x8)"),
        TextRow(call: .munlockall, text: "munlockall()"),
        TextRow(
            call: .prctl(option: 65, arg2: 3, arg3: 0, arg4: 0, arg5: 7),
            text: "prctl(PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN|PR_MDWE_NO_INHERIT, 0, 0, 7)"),
        TextRow(call: .prctl(option: 66, arg2: 0, arg3: 0, arg4: 0, arg5: 0), text: "prctl(PR_GET_MDWE, 0)"),
        TextRow(call: .personality(persona: 0xffff_ffff), text: "personality(0xffffffff)"),
        TextRow(call: .writePKRU(0x5555_5554), text: "wrpkru(0x55555554)"),
        TextRow(call: .access(address: 0x1000, kind: .write, value: 0x11), text: "write(0x1000, 0x11)"),
        TextRow(call: .access(address: 0x1000, kind: .execute, value: 0), text: "exec(0x1000)"),
    ]

    @Test("the text reports show for a call", arguments: textRows)
    func text(_ row: TextRow) {
        #expect(row.call.description == row.text)
    }

    @Test("every 6.18 advice has its name, and names are unique")
    func adviceNames() {
        let names = SyscallConstants.advice.map(\.name)
        #expect(names.count == 27)
        #expect(Set(names).count == names.count)
        #expect(Set(SyscallConstants.advice.map(\.value)).count == names.count)
        #expect(SyscallConstants.name(of: 25, in: SyscallConstants.advice) == "MADV_COLLAPSE")
    }
}
