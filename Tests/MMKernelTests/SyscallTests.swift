import MMHardware
import MMKernel
import MMTestSupport
import Testing

/// `Machine.perform(_:by:)`, the vocabulary's single entry point: every case reaches the kernel function it names
/// with its arguments unchanged (the same outcome and the same machine state as calling that function directly),
/// userfaultfd modes are validated in the kernel's order, and mmap descriptors name the machine's files.
@Suite struct SyscallTests {
    /// The mapped window of every fixture: 16 read-write anonymous pages, the first 8 written.
    static let base: UInt64 = 0x7e00_0000_0000

    /// A process with the window mapped and two files (descriptors 3 and 4).
    static func fixture(pku: Bool = false) throws -> (Machine, TaskID) {
        var (machine, main) = makeProcess { $0.pku = pku }
        _ = machine.createFile(name: "data", sizePages: 4)
        _ = machine.createFile(name: "shm", sizePages: 4, isShmem: true)
        _ = try machine.mapAnon(main, pages: 16, fixed: base)
        for page in 0..<8 { _ = machine.access(main, base + UInt64(page) * pageBytes, .write, value: 0x11) }
        return (machine, main)
    }

    /// What a call left behind: every task's name, CPU and `/proc/pid/maps`, its mm's process settings, which window
    /// pages are present, and the CPUs' counters.
    static func fingerprint(_ machine: Machine) -> [String] {
        var lines: [String] = []
        for task in machine.tasks {
            let mm = machine.mm(task.mm)
            lines.append(
                "\(task.name) cpu \(task.cpu.rawValue) rie \(machine.readImpliesExec(task.id)) pkru \(task.pkru) mdwe \(mm.denyWriteExecute)"
            )
            lines += machine.maps(task.mm).map(\.description)
            let present = (0..<16).map { machine.mappedFrame(task.mm, base + UInt64($0) * pageBytes) != nil }
            lines.append(present.map { $0 ? "x" : "." }.joined())
        }
        lines += machine.cpus.map { "\($0.counters)" }
        return lines
    }

    /// One case: the call, and the same call made directly on the kernel function it should reach (nil return
    /// value: the function returns nothing, perform answers 0).
    struct Row: Sendable, CustomTestStringConvertible {
        var call: Syscall
        var direct: @Sendable (inout Machine, TaskID) throws(KernelErrno) -> UInt64?
        var testDescription: String { call.description }
    }

    static let rows: [Row] = [
        Row(call: .mmap(address: 0, length: 8192, prot: 3, flags: 0x22, fd: -1, offset: 0)) {
            m, t throws(KernelErrno) in
            try m.mmap(
                t, address: 0, length: 8192, prot: [.read, .write], flags: [.private, .anonymous], file: nil, offset: 0)
        },
        Row(call: .mmap(address: 0, length: 4096, prot: 1, flags: 0x02, fd: 4, offset: 4096)) {
            m, t throws(KernelErrno) in
            try m.mmap(
                t, address: 0, length: 4096, prot: .read, flags: .private, file: FileID(rawValue: 1), offset: 4096)
        },
        Row(call: .munmap(address: base + 4096, length: 8192)) { m, t throws(KernelErrno) in
            try m.munmap(t, base + 4096, 8192)
            return nil
        },
        Row(call: .mprotect(address: base, length: 4096, prot: 1)) { m, t throws(KernelErrno) in
            try m.mprotect(t, base, 4096, prot: 1)
            return nil
        },
        Row(call: .pkeyMprotect(address: base, length: 4096, prot: 1, pkey: -1)) { m, t throws(KernelErrno) in
            try m.pkeyMprotect(t, base, 4096, prot: 1, pkey: -1)
            return nil
        },
        Row(call: .pkeyMprotect(address: base, length: 4096, prot: 1, pkey: 1)) { m, t throws(KernelErrno) in
            try m.pkeyMprotect(t, base, 4096, prot: 1, pkey: 1)
            return nil
        },
        Row(call: .pkeyAlloc(flags: 0, accessRights: 0)) { m, t throws(KernelErrno) in
            UInt64(try m.pkeyAlloc(t, flags: 0, accessRights: 0))
        },
        Row(call: .pkeyFree(pkey: 1)) { m, t throws(KernelErrno) in
            try m.pkeyFree(t, 1)
            return nil
        },
        Row(call: .writePKRU(0x5555_5554)) { m, t throws(KernelErrno) in
            m.writePKRU(t, 0x5555_5554)
            return nil
        },
        Row(call: .madvise(address: base, length: 8192, advice: 4)) { m, t throws(KernelErrno) in
            try m.madvise(t, base, 8192, advice: 4)
            return nil
        },
        Row(call: .madvise(address: base, length: 8192, advice: 99)) { m, t throws(KernelErrno) in
            try m.madvise(t, base, 8192, advice: 99)
            return nil
        },
        Row(call: .mremap(address: base, oldLength: 4096, newLength: 4096, flags: 3, newAddress: base + 0x20000)) {
            m, t throws(KernelErrno) in
            try m.mremap(t, base, 4096, 4096, flags: 3, newAddress: base + 0x20000)
        },
        Row(call: .mlock(address: base, length: 4096)) { m, t throws(KernelErrno) in
            try m.mlock(t, base, 4096, flags: 0)
            return nil
        },
        Row(call: .mlock2(address: base, length: 4096, flags: 1)) { m, t throws(KernelErrno) in
            try m.mlock(t, base, 4096, flags: 1)
            return nil
        },
        Row(call: .munlock(address: base, length: 4096)) { m, t throws(KernelErrno) in
            try m.munlock(t, base, 4096)
            return nil
        },
        Row(call: .mlockall(flags: 1)) { m, t throws(KernelErrno) in
            try m.mlockall(t, flags: 1)
            return nil
        },
        Row(call: .munlockall) { m, t throws(KernelErrno) in
            try m.munlockall(t)
            return nil
        },
        Row(call: .mseal(address: base + 8192, length: 4096, flags: 0)) { m, t throws(KernelErrno) in
            try m.mseal(t, base + 8192, 4096, flags: 0)
            return nil
        },
        Row(call: .prctl(option: 65, arg2: 1, arg3: 0, arg4: 0, arg5: 0)) { m, t throws(KernelErrno) in
            try m.prctl(t, option: 65, 1, 0, 0, 0)
        },
        Row(call: .prctl(option: 66, arg2: 0, arg3: 0, arg4: 0, arg5: 0)) { m, t throws(KernelErrno) in
            try m.prctl(t, option: 66, 0, 0, 0, 0)
        },
        Row(call: .personality(persona: 0x0400000)) { m, t throws(KernelErrno) in m.personality(t, 0x0400000) },
        Row(call: .personality(persona: 0xffff_ffff)) { m, t throws(KernelErrno) in m.personality(t, 0xffff_ffff) },
        Row(call: .fork(childName: "kid", cpu: CPUID(1))) { m, t throws(KernelErrno) in
            UInt64(try m.fork(t, childName: "kid", cpu: CPUID(1)).rawValue)
        },
        Row(call: .execve(argumentPages: 2, executableStack: false)) { m, t throws(KernelErrno) in
            _ = try m.exec(t, argumentPages: 2, executableStack: false)
            return nil
        },
        Row(call: .uffdRegister(address: base, length: 8192, mode: 3)) { m, t throws(KernelErrno) in
            try m.userfaultfdRegister(t, base, 8192, missing: true)
            return nil
        },
        Row(call: .uffdWriteProtect(address: base, length: 8192, mode: 1)) { m, t throws(KernelErrno) in
            try m.userfaultfdRegister(t, base, 8192)
            try m.userfaultfdWriteProtect(t, base, 8192, protect: true)
            return nil
        },
        Row(call: .numaScan(address: base, length: 8 * 4096)) { m, t throws(KernelErrno) in
            UInt64(m.numaHintingScan(t, base, base + 8 * 4096))
        },
        Row(call: .access(address: base + 9 * 4096, kind: .write, value: 7)) { m, t throws(KernelErrno) in
            guard case .value(let token) = m.access(t, base + 9 * 4096, .write, value: 7) else { return nil }
            return token
        },
    ]

    @Test("perform reaches the kernel function of every call, with its arguments", arguments: rows, [false, true])
    func dispatch(_ row: Row, pku: Bool) throws {
        var (performed, main) = try Self.fixture(pku: pku)
        var (direct, directMain) = try Self.fixture(pku: pku)
        if case .uffdWriteProtect = row.call {
            _ = performed.perform(.uffdRegister(address: Self.base, length: 8192, mode: 2), by: main)
        }
        let outcome = performed.perform(row.call, by: main)
        direct.schedule(directMain)
        var expected: SyscallOutcome
        do {
            expected = .returned(try row.direct(&direct, directMain) ?? 0)
        } catch {
            expected = .failed(error)
        }
        if case .writePKRU = row.call, !pku {
            // Without CR4.PKE, WRPKRU is an undefined instruction: #UD, SIGILL.
            expected = .signalled(Signal(name: "SIGILL", code: "ILL_ILLOPN", address: 0))
        }
        #expect(outcome == expected)
        #expect(Self.fingerprint(performed) == Self.fingerprint(direct))
    }

    @Test("perform schedules the calling thread on its CPU before the call")
    func schedulesTheCaller() throws {
        var (machine, main) = try Self.fixture()
        let other = machine.createProcess(name: "other", cpu: CPUID(0))
        #expect(machine.perform(.mprotect(address: Self.base, length: 4096, prot: 1), by: other) == .failed(.ENOMEM))
        #expect(machine.perform(.mprotect(address: Self.base, length: 4096, prot: 1), by: main) == .returned(0))
    }

    @Test("an access that faults is a signal, not an errno")
    func accessSignals() throws {
        var (machine, main) = try Self.fixture()
        let outcome = machine.perform(.access(address: Self.base + 16 * 4096, kind: .read, value: 0), by: main)
        guard case .signalled(let signal) = outcome else { return #expect(Bool(false), "\(outcome)") }
        #expect(signal.name == "SIGSEGV" && signal.code == "SEGV_MAPERR")
    }

    @Test("fork onto a CPU the machine lacks is not modelled")
    func forkOntoMissingCPU() throws {
        var (machine, main) = try Self.fixture()
        guard case .notModelled = machine.perform(.fork(childName: "kid", cpu: CPUID(7)), by: main) else {
            return #expect(Bool(false))
        }
    }

    /// One userfaultfd mode case: the call on the fixture (whose window is registered for WP when `registered`)
    /// and what it ends with.
    struct ModeRow: Sendable, CustomTestStringConvertible {
        var name: String
        var call: Syscall
        var registered: Bool
        var expected: SyscallOutcome
        var testDescription: String { name }
    }

    /// Source: fs/userfaultfd.c `userfaultfd_register()` (unknown mode bits, then no mode, are EINVAL before the
    /// range is looked at) and `userfaultfd_writeprotect()` (the range first, then unknown bits, then WP with
    /// DONTWAKE), then the walk (ENOENT for an unregistered VMA).
    static let modeRows: [ModeRow] = [
        ModeRow(
            name: "register mode 0", call: .uffdRegister(address: base, length: 4096, mode: 0), registered: false,
            expected: .failed(.EINVAL)),
        ModeRow(
            name: "register unknown bit", call: .uffdRegister(address: base, length: 4096, mode: 2 | 8),
            registered: false, expected: .failed(.EINVAL)),
        ModeRow(
            name: "register unknown bit before the unmodelled MINOR",
            call: .uffdRegister(address: base, length: 4096, mode: 4 | 8), registered: false,
            expected: .failed(.EINVAL)),
        ModeRow(
            name: "register MINOR", call: .uffdRegister(address: base, length: 4096, mode: 4), registered: false,
            expected: .notModelled("UFFDIO_REGISTER mode 0x4 (only WP, with or without MISSING)")),
        ModeRow(
            name: "register WP over an unaligned range", call: .uffdRegister(address: base + 1, length: 4096, mode: 2),
            registered: false, expected: .failed(.EINVAL)),
        ModeRow(
            name: "register WP where nothing is mapped",
            call: .uffdRegister(address: base + 0x100000, length: 4096, mode: 2), registered: false,
            expected: .failed(.EINVAL)),
        ModeRow(
            name: "register MISSING|WP", call: .uffdRegister(address: base, length: 4096, mode: 3), registered: false,
            expected: .returned(0)),
        ModeRow(
            name: "writeprotect WP|DONTWAKE: EINVAL before the walk would say ENOENT",
            call: .uffdWriteProtect(address: base, length: 4096, mode: 3), registered: false,
            expected: .failed(.EINVAL)),
        ModeRow(
            name: "writeprotect unknown bit before the walk",
            call: .uffdWriteProtect(address: base, length: 4096, mode: 4), registered: false,
            expected: .failed(.EINVAL)),
        ModeRow(
            name: "writeprotect an unregistered VMA", call: .uffdWriteProtect(address: base, length: 4096, mode: 1),
            registered: false, expected: .failed(.ENOENT)),
        ModeRow(
            name: "writeprotect an unaligned range", call: .uffdWriteProtect(address: base, length: 100, mode: 1),
            registered: true, expected: .failed(.EINVAL)),
        ModeRow(
            name: "unprotect without waking", call: .uffdWriteProtect(address: base, length: 4096, mode: 2),
            registered: true, expected: .returned(0)),
        ModeRow(
            name: "protect", call: .uffdWriteProtect(address: base, length: 4096, mode: 1), registered: true,
            expected: .returned(0)),
    ]

    @Test("userfaultfd modes are validated in the kernel's order", arguments: modeRows)
    func userfaultfdModes(_ row: ModeRow) throws {
        var (machine, main) = try Self.fixture()
        if row.registered {
            #expect(
                machine.perform(.uffdRegister(address: Self.base, length: 16 * 4096, mode: 2), by: main) == .returned(0)
            )
        }
        #expect(machine.perform(row.call, by: main) == row.expected)
    }

    @Test("descriptors 3, 4, ... are the machine's files in creation order; others are bad")
    func descriptors() throws {
        let (machine, _) = try Self.fixture()
        #expect(machine.fileID(forDescriptor: 3) == FileID(rawValue: 0))
        #expect(machine.fileID(forDescriptor: 4) == FileID(rawValue: 1))
        for bad: Int64 in [-1, 0, 2, 5, 999, .min] {
            #expect(machine.fileID(forDescriptor: bad).rawValue == -1, "fd \(bad)")
        }
    }

    /// One mmap descriptor case and what mmap ends with (`nil`: success, whose mapping is checked).
    struct DescriptorRow: Sendable, CustomTestStringConvertible {
        var fd: Int64
        var flags: UInt64
        var expected: KernelErrno?
        var file: String
        var testDescription: String { "fd \(fd) flags 0x\(String(flags, radix: 16))" }
    }

    static let descriptorRows: [DescriptorRow] = [
        DescriptorRow(fd: 3, flags: 0x02, expected: nil, file: "data"),
        DescriptorRow(fd: 4, flags: 0x01, expected: nil, file: "shm"),
        DescriptorRow(fd: 5, flags: 0x02, expected: .EBADF, file: ""),
        DescriptorRow(fd: -1, flags: 0x02, expected: .EBADF, file: ""),
        DescriptorRow(fd: 0, flags: 0x02, expected: .EBADF, file: ""),
        DescriptorRow(fd: 3, flags: 0x22, expected: nil, file: ""),
        DescriptorRow(fd: 999, flags: 0x22, expected: nil, file: ""),
    ]

    @Test("mmap's descriptor names a file; MAP_ANONYMOUS ignores it", arguments: descriptorRows)
    func mmapDescriptors(_ row: DescriptorRow) throws {
        var (machine, main) = try Self.fixture()
        let outcome = machine.perform(
            .mmap(address: 0, length: 4096, prot: 1, flags: row.flags, fd: row.fd, offset: 0), by: main)
        if let errno = row.expected { return #expect(outcome == .failed(errno)) }
        guard case .returned(let address) = outcome else { return #expect(Bool(false), "\(outcome)") }
        let entry = machine.maps(machine.task(main).mm).first { $0.start == address }
        #expect(entry?.name == row.file)
    }
}
