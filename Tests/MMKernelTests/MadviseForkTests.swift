import MMHardware
import MMKernel
import MMTestSupport
import Testing

/// MADV_WIPEONFORK / MADV_KEEPONFORK and MADV_DONTFORK as fork sees them (`dup_mmap()` in kernel/fork.c: a
/// `VM_WIPEONFORK` VMA is copied without its `anon_vma` and without `copy_page_range()`), and the memory-failure
/// advice when the process is privileged (`madvise_inject_error()`), Linux 6.18.
@Suite struct MadviseForkTests {
    static func written() throws -> (Machine, TaskID, UInt64) {
        var (machine, main) = makeProcess()
        let base = try machine.mapWritten(main, pages: 4, token: 50)
        return (machine, main, base)
    }

    @Test("WIPEONFORK: the child's VMA is there but empty (demand-zero); the parent keeps its pages")
    func wipeOnFork() throws {
        var (machine, main, base) = try Self.written()
        try machine.madvise(main, base, 4 * pageBytes, advice: Advice.wipeOnFork.rawValue)
        let child = try machine.fork(main, childName: "child", cpu: CPUID(1))
        #expect(machine.vma(child, containing: base) != nil)
        #expect(machine.leaf(child, base).entry.isNone)
        #expect(machine.mm(machine.mmID(of: child)).rss.anon == 0)
        #expect(machine.access(child, base + pageBytes, .read) == .value(0))
        #expect(machine.access(main, base + pageBytes, .read) == .value(51))
        #expect(machine.leaf(main, base).entry.isWritable, "no COW write-protection for wiped VMAs")
    }

    @Test("WIPEONFORK is inherited: the child's VMA keeps the flag")
    func wipeInherited() throws {
        var (machine, main, base) = try Self.written()
        try machine.madvise(main, base, 4 * pageBytes, advice: Advice.wipeOnFork.rawValue)
        let child = try machine.fork(main, childName: "child", cpu: CPUID(1))
        #expect(machine.vma(child, containing: base)?.flags.contains(.wipeOnFork) == true)
    }

    @Test("KEEPONFORK undoes it: the child shares the pages copy-on-write again")
    func keepOnFork() throws {
        var (machine, main, base) = try Self.written()
        try machine.madvise(main, base, 4 * pageBytes, advice: Advice.wipeOnFork.rawValue)
        try machine.madvise(main, base, 4 * pageBytes, advice: Advice.keepOnFork.rawValue)
        let child = try machine.fork(main, childName: "child", cpu: CPUID(1))
        #expect(machine.access(child, base + pageBytes, .read) == .value(51))
        #expect(machine.leaf(child, base).entry.pfn == machine.leaf(main, base).entry.pfn)
    }

    @Test("WIPEONFORK on part of a VMA wipes only that part in the child")
    func wipePart() throws {
        var (machine, main, base) = try Self.written()
        try machine.madvise(main, base + 2 * pageBytes, 2 * pageBytes, advice: Advice.wipeOnFork.rawValue)
        let child = try machine.fork(main, childName: "child", cpu: CPUID(1))
        #expect(machine.access(child, base, .read) == .value(50))
        #expect(machine.access(child, base + 3 * pageBytes, .read) == .value(0))
    }

    @Test("DONTFORK: the child has no VMA there at all")
    func dontFork() throws {
        var (machine, main, base) = try Self.written()
        try machine.madvise(main, base, 4 * pageBytes, advice: Advice.dontFork.rawValue)
        let child = try machine.fork(main, childName: "child", cpu: CPUID(1))
        #expect(machine.vma(child, containing: base) == nil)
        #expect(
            machine.access(child, base, .read)
                .signalCode == "SIGSEGV/SEGV_MAPERR")
    }

    @Test("with CAP_SYS_ADMIN, SOFT_OFFLINE moves a page to a new frame with the same contents")
    func softOffline() throws {
        var (machine, main) = makeProcess { $0.capSysAdmin = true }
        let base = try machine.mapAnon(main, pages: 2)
        _ = machine.access(main, base, .write, value: 31)
        let before = machine.leaf(main, base).entry.pfn
        try machine.madvise(main, base, pageBytes, advice: Advice.softOffline.rawValue)
        #expect(machine.leaf(main, base).entry.pfn != before)
        #expect(machine.access(main, base, .read) == .value(31))
    }

    @Test("with CAP_SYS_ADMIN, HWPOISON leaves a hwpoison entry: the next access is SIGBUS")
    func hwPoison() throws {
        var (machine, main) = makeProcess { $0.capSysAdmin = true }
        let base = try machine.mapAnon(main, pages: 2)
        _ = machine.access(main, base, .write, value: 31)
        try machine.madvise(main, base, pageBytes, advice: Advice.hwPoison.rawValue)
        #expect(SwapEntry(pte: machine.leaf(main, base).entry)?.kind == .hwPoison)
        #expect(machine.access(main, base, .read).signalCode == "SIGBUS/BUS_ADRERR")
        #expect(throws: KernelErrno.EHWPOISON) {
            try machine.madvise(main, base, pageBytes, advice: Advice.populateRead.rawValue)
        }
    }

    @Test("with CAP_SYS_ADMIN, memory-failure advice over an unmapped page is EFAULT (get_user_pages_fast())")
    func injectionOnHole() throws {
        var (machine, main) = makeProcess { $0.capSysAdmin = true }
        let base = try machine.mapAnon(main, pages: 1)
        try machine.munmap(main, base, pageBytes)
        #expect(throws: KernelErrno.EFAULT) {
            try machine.madvise(main, base, pageBytes, advice: Advice.softOffline.rawValue)
        }
    }
}
