import MMHardware
import MMHost
import MMKernel

/// Parameters of `mmsim bench`.
public struct BenchConfiguration: Hashable, Sendable {
    /// Size of the populated region (default 1 GiB).
    public var regionBytes: Int = 1 << 30
    /// Timed repetitions of each rewrite (the median is reported).
    public var repetitions: Int = 3
    /// Whether to run the real kernel's side.
    public var host = true

    public init(regionBytes: Int = 1 << 30, repetitions: Int = 3, host: Bool = true) {
        self.regionBytes = regionBytes
        self.repetitions = repetitions
        self.host = host
    }

    /// The smallest region: one 2 MiB PMD's worth of pages.
    public static let minRegionBytes = 1 << 21
    /// The largest region (the simulated machine holds a `struct page` and contents token per page).
    public static let maxRegionBytes = 64 << 30
    /// The most repetitions.
    public static let maxRepetitions = 1000

    /// What is wrong with these parameters, naming the option, or `nil` if the benchmark can run them.
    public var problem: String? {
        guard regionBytes >= Self.minRegionBytes, regionBytes <= Self.maxRegionBytes,
            regionBytes % Self.minRegionBytes == 0
        else {
            return "--size must be a multiple of 2 MiB between 2 MiB and 64 GiB, not \(regionBytes)"
        }
        guard (1...Self.maxRepetitions).contains(repetitions) else {
            return "--repetitions must be between 1 and \(Self.maxRepetitions), not \(repetitions)"
        }
        return nil
    }
}

/// The foundation benchmark: populate a region in the simulator, sweep it with accesses, rewrite every PTE
/// RW→RO→RW, and do the same with the real kernel (mprotect of a populated region) in the same run.
public enum MMBench {
    /// Errors of the benchmark's own setup.
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// Runs the benchmark; `progress` hears each phase as it starts (`simulator: populating 262144 pages`).
    public static func run(
        _ configuration: BenchConfiguration, progress: (String) -> Void = { _ in }
    ) throws -> BenchReport {
        if let problem = configuration.problem { throw Failure(description: problem) }
        let regionBytes = UInt64(configuration.regionBytes)
        let pages = Int(regionBytes >> PageGeometry.pageShift)
        let residentBefore = (try? HostProcessStats.residentBytes()) ?? 0

        var config = KernelConfig()
        config.ramFrames = max(config.ramFrames, pages + (1 << 16))
        var machine = Machine(config: config)
        machine.tracing = false
        let task = machine.createProcess(name: "bench", cpu: CPUID(0))
        let base: UInt64
        do {
            base = try machine.mmap(
                task, address: 0, length: regionBytes, prot: [.read, .write], flags: [.private, .anonymous],
                file: nil, offset: 0)
            // 4 KiB PTEs everywhere, like the kernel side (which also asks for no THP).
            try machine.madvise(task, base, regionBytes, advice: Advice.noHugePage.rawValue)
        } catch {
            throw Failure(description: "simulated mmap failed: \(error)")
        }
        let mm = machine.task(task).mm

        progress("simulator: populating \(pages) pages")
        var start = HostClock.monotonicNanoseconds()
        for page in 0..<UInt64(pages) {
            _ = machine.access(task, base + page << PageGeometry.pageShift, .write, value: page)
        }
        let populateNs = HostClock.monotonicNanoseconds() - start
        let residentAfter = (try? HostProcessStats.residentBytes()) ?? residentBefore

        progress("simulator: read sweep")
        start = HostClock.monotonicNanoseconds()
        var checksum: UInt64 = 0
        for page in 0..<UInt64(pages) {
            if case .value(let token) = machine.access(task, base + page << PageGeometry.pageShift, .read) {
                checksum &+= token
            }
        }
        let readNs = HostClock.monotonicNanoseconds() - start
        guard checksum == UInt64(pages) * UInt64(pages - 1) / 2 else {
            throw Failure(description: "simulated read sweep returned wrong contents")
        }

        var toReadOnly: [Double] = []
        var toReadWrite: [Double] = []
        let readOnly = ProtectionMap.pageReadOnly
        let readWrite = ProtectionMap.pageShared
        for repetition in 0..<configuration.repetitions {
            progress("simulator: PTE rewrite \(repetition + 1)/\(configuration.repetitions)")
            start = HostClock.monotonicNanoseconds()
            let first = machine.rewriteProtection(mm, base, base + regionBytes, to: readOnly)
            toReadOnly.append(Double(HostClock.monotonicNanoseconds() - start) / Double(first))
            start = HostClock.monotonicNanoseconds()
            let second = machine.rewriteProtection(mm, base, base + regionBytes, to: readWrite)
            toReadWrite.append(Double(HostClock.monotonicNanoseconds() - start) / Double(second))
            guard first == pages && second == pages else {
                throw Failure(description: "rewrite walk saw \(first)/\(second) PTEs, expected \(pages)")
            }
        }

        // The real syscall path under the merged scheme: do_mprotect_pkey() → mprotect_fixup() →
        // change_protection() with the mmu_gather, pte_needs_flush() and the final flush.
        var mprotectToReadOnly: [Double] = []
        var mprotectToReadWrite: [Double] = []
        for repetition in 0..<configuration.repetitions {
            progress("simulator: mprotect \(repetition + 1)/\(configuration.repetitions)")
            start = HostClock.monotonicNanoseconds()
            try mprotectOrFail(&machine, task, base, regionBytes, Protection.read)
            mprotectToReadOnly.append(Double(HostClock.monotonicNanoseconds() - start) / Double(pages))
            start = HostClock.monotonicNanoseconds()
            try mprotectOrFail(&machine, task, base, regionBytes, [.read, .write])
            mprotectToReadWrite.append(Double(HostClock.monotonicNanoseconds() - start) / Double(pages))
        }

        let modelBytes = machine.pageTables.bytes + machine.memory.bytes + machine.pages.bytes
        let reservationBefore = modelBytes
        let residentBeforeReservation = (try? HostProcessStats.residentBytes()) ?? 0
        progress("simulator: 100 TiB reservation")
        let reservationLength: UInt64 = 100 << 40
        do {
            _ = try machine.mmap(
                task, address: 0, length: reservationLength, prot: [], flags: [.private, .anonymous, .noReserve],
                file: nil, offset: 0)
        } catch {
            throw Failure(description: "simulated 100 TiB reservation failed: \(error)")
        }
        let reservationModel =
            machine.pageTables.bytes + machine.memory.bytes + machine.pages.bytes - reservationBefore
        let reservationResident = ((try? HostProcessStats.residentBytes()) ?? 0) - residentBeforeReservation

        var report = BenchReport(
            regionBytes: configuration.regionBytes, pages: pages, repetitions: configuration.repetitions,
            simPopulateNsPerPage: Double(populateNs) / Double(pages),
            simReadSweepNsPerAccess: Double(readNs) / Double(pages),
            simRewriteToReadOnlyNsPerPTE: median(toReadOnly), simRewriteToReadWriteNsPerPTE: median(toReadWrite),
            simMprotectToReadOnlyNsPerPTE: median(mprotectToReadOnly),
            simMprotectToReadWriteNsPerPTE: median(mprotectToReadWrite),
            simModelBytesPerPage: Double(modelBytes) / Double(pages),
            simResidentBytesPerPage: Double(residentAfter - residentBefore) / Double(pages),
            simReservationModelBytes: reservationModel, simReservationResidentBytes: reservationResident,
            kernelPopulateNsPerPage: nil, kernelReadOnlyNsPerPTE: nil, kernelReadWriteNsPerPTE: nil,
            kernelError: configuration.host ? nil : "disabled with --no-host")
        withExtendedLifetime(machine) {}
        guard configuration.host else { return report }
        progress("real kernel: populate and mprotect \(configuration.regionBytes >> 20) MiB")
        do {
            let sweep = HostMprotectSweep(
                regionBytes: configuration.regionBytes, repetitions: configuration.repetitions)
            let result = try sweep.run()
            report.kernelPopulateNsPerPage = result.populateNanosecondsPerPage
            report.kernelReadOnlyNsPerPTE = median(result.readOnlyNanosecondsPerPTE)
            report.kernelReadWriteNsPerPTE = median(result.readWriteNanosecondsPerPTE)
        } catch {
            report.kernelError = "\(error)"
        }
        return report
    }

    static func mprotectOrFail(
        _ machine: inout Machine, _ task: TaskID, _ base: UInt64, _ length: UInt64, _ prot: Protection
    ) throws {
        do {
            try machine.mprotect(task, base, length, prot: prot.rawValue)
        } catch {
            throw Failure(description: "simulated mprotect(\(prot)) failed: \(error)")
        }
    }

    static func median(_ values: [Double]) -> Double {
        guard !values.isEmpty else { return 0 }
        let sorted = values.sorted()
        return sorted[sorted.count / 2]
    }
}
