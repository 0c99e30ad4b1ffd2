import MMHardware
import MMKernel
import MMTestSupport
import Testing

/// The machine's folded trace: exact counts, runs of events alike but for a constant address step, bounded memory.
@Suite struct TraceSummaryTests {
    /// A demand fault by task 0 on CPU 0 at `address`, resolved as `resolution`.
    static func fault(_ address: UInt64, _ resolution: FaultResolution = .anonymousNew) -> TraceEvent {
        .pageFault(
            task: TaskID(rawValue: 0), cpu: CPUID(0), address: address, error: [.write, .user], resolution: resolution)
    }

    @Test func evenlySpacedFaultsAreOneRun() {
        var summary = TraceSummary()
        for page in 0..<1000 { summary.add(Self.fault(0x1000_0000 + UInt64(page) * pageBytes)) }
        #expect(summary.faults.total == 1000)
        #expect(summary.faults.runs.count == 1)
        #expect(summary.faults.runs.first?.count == 1000)
        #expect(summary.faults.runs.first?.stride == pageBytes)
        #expect(summary.faults.runs.first?.lastAddress == 0x1000_0000 + 999 * pageBytes)
    }

    @Test func aChangeOfShapeOrStrideStartsANewRun() {
        var summary = TraceSummary()
        for address: UInt64 in [0x1000, 0x2000, 0x3000, 0x5000, 0x6000] { summary.add(Self.fault(address)) }
        summary.add(Self.fault(0x7000, .copyOnWrite))
        #expect(summary.faults.runs.map(\.count) == [3, 2, 1])
        #expect(summary.faults.runs.map(\.first.address) == [0x1000, 0x5000, 0x7000])
    }

    @Test func withoutMergingEveryEventIsARun() {
        var summary = TraceSummary(merging: false)
        for page in 0..<10 { summary.add(Self.fault(UInt64(page) * pageBytes)) }
        #expect(summary.faults.runs.count == 10)
        #expect(summary.faults.runs.allSatisfy { $0.count == 1 })
    }

    @Test func theRunLimitBoundsMemoryNotTheCount() {
        var summary = TraceSummary(limit: 8)
        for page in 0..<1000 {
            summary.add(Self.fault(UInt64(page) * pageBytes, page % 2 == 0 ? .anonymousNew : .copyOnWrite))
        }
        #expect(summary.faults.runs.count == 8)
        #expect(summary.faults.total == 1000)
        #expect(summary.faults.omitted == 992)
    }

    @Test func aFlushCarriesItsTracepoints() throws {
        var (machine, main) = makeProcess()
        let worker = machine.createThread(name: "worker", mm: machine.mmID(of: main), cpu: CPUID(1))
        machine.schedule(worker)
        let base = try machine.mapAnon(main, pages: 4)
        for page in 0..<4 {
            _ = machine.access(main, base + UInt64(page) * pageBytes, .write, value: 1)
            _ = machine.access(worker, base + UInt64(page) * pageBytes, .read)
        }
        machine.clearTrace()
        machine.traceSummary = TraceSummary()
        try machine.munmap(main, base, 4 * pageBytes)
        let summary = try #require(machine.traceSummary)
        #expect(summary.flushes.total == 1)
        let flush = try #require(summary.flushes.runs.first?.first)
        #expect(flush.local == flush.request.pages)
        #expect(flush.sendIPI)
        #expect(flush.received.map(\.cpu) == [CPUID(1)])
        #expect(summary.ipis.total == 1)
        #expect(machine.trace.isEmpty, "with a summary set, nothing goes to the event list")
    }

    @Test func vmFlagMnemonicsFollowTheKernelTable() {
        var vma = VMA(start: 0x1000, end: 0x2000, flags: [.read, .write, .mayRead, .mayWrite, .mayExec, .account])
        #expect(Machine.vmFlagMnemonics(vma, softDirty: false) == ["rd", "wr", "mr", "mw", "me", "ac"])
        let table: [(VMFlags, String)] = [
            (.exec, "ex"), (.shared, "sh"), (.mayShare, "ms"), (.growsDown, "gd"), (.uffdMissing, "um"),
            (.pfnMap, "pf"), (.uffdWP, "uw"), (.locked, "lo"), (.io, "io"), (.seqRead, "sr"), (.randRead, "rr"),
            (.dontCopy, "dc"), (.dontExpand, "de"), (.lockOnFault, "lf"), (.noReserve, "nr"), (.hugetlb, "ht"),
            (.sync, "sf"), (.wipeOnFork, "wf"), (.dontDump, "dd"), (.mixedMap, "mm"), (.hugePage, "hg"),
            (.noHugePage, "nh"), (.mergeable, "mg"),
        ]
        for (flag, name) in table {
            vma.flags = flag
            #expect(Machine.vmFlagMnemonics(vma, softDirty: false) == [name], "\(name)")
        }
        vma.flags = .softDirty
        #expect(Machine.vmFlagMnemonics(vma, softDirty: true) == ["sd"])
        #expect(Machine.vmFlagMnemonics(vma, softDirty: false) == ["??"], "no sd without CONFIG_MEM_SOFT_DIRTY")
        vma.flags = VMFlags.read.withPkey(5)
        #expect(Machine.vmFlagMnemonics(vma, softDirty: false) == ["rd"], "pkey bits print nothing")
        vma.sealed = true
        #expect(Machine.vmFlagMnemonics(vma, softDirty: false) == ["rd", "sl"])
    }

    @Test func smapsRssAndAnonHugePages() throws {
        var (machine, main) = makeProcess { $0.thpMode = .always }
        let base = try machine.mapAnon(main, pages: 1024)
        let huge = (base + hugeBytes - 1) & ~(hugeBytes - 1)
        _ = machine.access(main, huge, .write, value: 1)
        if huge > base { _ = machine.access(main, base, .read) }
        let entry = machine.smaps(machine.mmID(of: main)).first { $0.start <= huge && huge < $0.end }
        #expect(entry?.anonHugePages == hugeBytes)
        #expect(entry?.rss == hugeBytes, "the zero page read below the huge page is not resident")
    }
}
