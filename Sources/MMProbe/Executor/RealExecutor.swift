import Glibc
import MMHost

/// Runs a ``ProbePlan`` for real in this process: the measuring thread pinned to the plan's CPU, the spinner on
/// the other, regions placed in a ``ProbeWindow`` at the model's offsets, every measured call bracketed by
/// `B n`/`E n` markers in the trace instance.
struct RealExecutor {
    /// The plan.
    let plan: ProbePlan
    /// The trace instance receiving the markers.
    let instance: TraceInstance
    /// The model's `mmap_base`.
    let modelBase: UInt64
    /// Whether to snapshot page population after each measured call.
    let population: Bool

    /// Runs the plan once; `nextMarker` numbers the windows across runs. Throws a message on a setup failure.
    func run(nextMarker: inout Int) throws(TracefsError) -> RealRun {
        var record = RealRun()
        let savedAffinity = HostThread.affinity()
        defer { if let savedAffinity { HostThread.setAffinity(savedAffinity) } }
        guard HostThread.pin(to: plan.mainCPU) else {
            throw TracefsError("cannot pin the measuring thread to CPU \(plan.mainCPU)")
        }
        record.measuringTID = HostThread.tid()
        var spinner: Spinner?
        if let cpu = plan.otherCPU {
            guard let started = Spinner.start(cpu: cpu) else {
                throw TracefsError("cannot start the second thread on CPU \(cpu)")
            }
            spinner = started
            record.spinnerFIFO = started.isFIFO
            record.spinnerTID = started.threadID
        }
        defer { spinner?.stop() }
        try instance.setEventPIDs([record.measuringTID] + (spinner.map { [$0.threadID] } ?? []))
        let window: ProbeWindow
        do {
            window = try ProbeWindow(modelBase: modelBase)
        } catch {
            throw TracefsError("cannot reserve the probe window: \(error)")
        }
        defer { window.release() }
        for (index, action) in plan.actions.enumerated() {
            switch action {
            case .skip: continue
            case .access(var access, let onSpinner):
                access.address = window.real(access.address)
                if onSpinner, let spinner { spinner.perform(access) } else { access.perform() }
                continue
            case .mmap, .mprotect, .munmap, .madvise: break
            }
            let number = nextMarker
            nextMarker += 1
            record.markers[number] = index
            instance.mark("B \(number)")
            let result = perform(action, window: window)
            instance.mark("E \(number)")
            switch result {
            case .failure(let message): throw TracefsError(message)
            case .success(let text): record.results[index] = text
            }
            if population {
                let (snapshot, ranges) = snapshotPopulation(regions: plan.regionsAfter[index], window: window)
                record.population[index] = snapshot
                record.vmaRanges[index] = ranges
            }
        }
        return record
    }

    /// The outcome of one measured call.
    enum Outcome {
        /// The return value in report notation.
        case success(String)
        /// A failure that invalidates the run.
        case failure(String)
    }

    /// Makes one measured call and returns its result text.
    func perform(_ action: ProbeAction, window: ProbeWindow) -> Outcome {
        func text(_ value: Int32) -> String { value == 0 ? "0" : "-1 " + HostErrno.name(of: errno) }
        switch action {
        case .mmap(let modelAddress, let hint, let length, let prot, let flags):
            var address = window.real(hint)
            var realFlags = flags
            if let placed = modelAddress {
                address = window.real(placed)
                if flags & MAP_FIXED == 0 { realFlags |= 0x10_0000 }  // MAP_FIXED_NOREPLACE
            }
            let result = Glibc.mmap(pointer(address), Int(truncatingIfNeeded: length), prot, realFlags, -1, 0)
            guard let result, result != UnsafeMutableRawPointer(bitPattern: -1) else {
                let name = HostErrno.name(of: errno)
                if modelAddress != nil {
                    return .failure("mmap could not place a region at 0x\(String(address, radix: 16)): \(name)")
                }
                return .success("-1 " + name)
            }
            let real = UInt64(UInt(bitPattern: result))
            if modelAddress != nil, real != address {
                return .failure("mmap placed 0x\(String(real, radix: 16)), not 0x\(String(address, radix: 16))")
            }
            return .success("0x" + String(modelAddress ?? window.model(real), radix: 16))
        case .mprotect(let start, let length, let prot):
            return .success(text(Glibc.mprotect(pointer(window.real(start)), Int(truncatingIfNeeded: length), prot)))
        case .munmap(let start, let length):
            return .success(text(Glibc.munmap(pointer(window.real(start)), Int(truncatingIfNeeded: length))))
        case .madvise(let start, let length, let advice):
            return .success(
                text(Glibc.madvise(pointer(window.real(start)), Int(truncatingIfNeeded: length), advice)))
        case .skip, .access: return .success("")
        }
    }

    /// A raw address as a C pointer.
    func pointer(_ address: UInt64) -> UnsafeMutableRawPointer? {
        UnsafeMutableRawPointer(bitPattern: UInt(address))
    }

    /// The kernel's population of `regions` now, and the real VMAs overlapping them (model addresses).
    func snapshotPopulation(
        regions: [String: ProbePlan.ModelRegion], window: ProbeWindow
    ) -> (PopulationSnapshot, [RealRun.VMARange]) {
        var snapshot = PopulationSnapshot()
        var low = UInt64.max
        var high: UInt64 = 0
        for (name, region) in regions {
            let start = window.real(region.start)
            snapshot.present[name] = HostPopulation.present(address: start, pages: Int(region.length / 4096))
            low = min(low, start)
            high = max(high, start + region.length)
        }
        var ranges: [RealRun.VMARange] = []
        if low < high {
            for vma in HostPopulation.anonHuge(low: low, high: high) {
                let range = RealRun.VMARange(start: window.model(vma.start), end: window.model(vma.end))
                ranges.append(range)
                snapshot.hugeKiB[range.key] = vma.kib
            }
        }
        return (snapshot, ranges)
    }
}
