import Glibc
import MMHost

/// Runs a ``ProbePlan`` for real in this process: the measuring thread pinned to the plan's CPU, the spinner on
/// the other, the scenario's files created, regions placed in a ``ProbeWindow`` at the model's offsets, every
/// measured call made through the ``MeasuredPath`` between `B n`/`E n` markers in the trace instance. Parking the
/// spinner (an `idle` step) is marked `P`, waking it again `U`, so that the trace shows the lazy periods.
struct RealExecutor {
    /// The plan.
    let plan: ProbePlan
    /// The trace instance receiving the markers.
    let instance: TraceInstance
    /// The model's `mmap_base`.
    let modelBase: UInt64
    /// Whether to snapshot page population after each measured call.
    let population: Bool
    /// The model's result text per step (a fork's result is the model's pid for the child).
    let modelResults: [String]

    /// Runs the plan once; `nextMarker` numbers the windows across runs. Throws a message on a setup failure.
    func run(nextMarker: inout Int) throws(TracefsError) -> RealRun {
        var record = RealRun()
        let savedAffinity = HostThread.affinity()
        defer { if let savedAffinity { HostThread.setAffinity(savedAffinity) } }
        guard HostThread.pin(to: plan.mainCPU) else {
            throw TracefsError("cannot pin the measuring thread to CPU \(plan.mainCPU)")
        }
        record.measuringTID = HostThread.tid()
        guard let raw = RawSyscall.load(), let path = MeasuredPath.make(markerFD: instance.markerFD) else {
            throw TracefsError("the C library lacks syscall() or clone()")
        }
        defer { path.release() }
        let scratch = UnsafeMutableRawPointer.allocate(byteCount: 4096, alignment: 4096)
        scratch.initializeMemory(as: UInt8.self, repeating: 0, count: 4096)
        defer { scratch.deallocate() }
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
        var child: ForkedChild?
        for case .fork(let cpu) in plan.actions {
            guard let prepared = ForkedChild(cpu: cpu, raw: raw) else {
                throw TracefsError("cannot prepare the child process: \(HostErrno.name(of: errno))")
            }
            child = prepared
        }
        defer { child?.finish() }
        let files = try ProbeFiles.open(plan.files)
        defer { files.close() }
        let window: ProbeWindow
        do {
            window = try ProbeWindow(modelBase: modelBase)
        } catch {
            throw TracefsError("cannot reserve the probe window: \(error)")
        }
        defer { window.release() }
        let warmUp = MeasuredPath.warmUpOperations(scratch: scratch)
        var parked = false
        for (index, action) in plan.actions.enumerated() {
            switch action {
            case .skip: continue
            case .idle(.sleepMeasuring):
                usleep(2000)
                continue
            case .idle(.parkSpinner):
                guard let spinner else { continue }
                guard spinner.park() else { throw TracefsError("the second thread did not go to sleep when parked") }
                instance.mark("P \(index)")
                parked = true
                continue
            case .access(var access, let actor) where actor != .measuring:
                access.address = window.real(access.address)
                if actor == .child {
                    guard let child, child.pid > 0, child.perform(access) else {
                        throw TracefsError("step \(index + 1): the child process is not running")
                    }
                } else if let spinner {
                    if parked { instance.mark("U \(index)") }
                    parked = false
                    spinner.perform(access)
                }
                continue
            default: break
            }
            let operation: MeasuredPath.Operation
            switch prepare(action, window: window, files: files, child: child) {
            case .failure(let message): throw TracefsError(message)
            case .success(let prepared): operation = prepared
            }
            let number = nextMarker
            nextMarker += 1
            record.markers[number] = index
            record.syscalls[number] = action.syscallNumber
            // The warm-up and the measured call are made from this one call site, so they use the same stack.
            path.prepare(number: 0, warm: true)
            for warm in warmUp { _ = path.measure(warm) }
            path.prepare(number: number)
            let (value, error) = path.measure(operation)
            if case .fork = action, value > 0 { child?.pid = pid_t(value) }
            switch outcome(action, value: value, error: error, window: window, index: index) {
            case .failure(let message): throw TracefsError(message)
            case .success(let text): record.results[index] = text
            }
            if population {
                let (snapshot, ranges) = snapshotPopulation(regions: plan.regionsAfter[index], window: window)
                record.population[index] = snapshot
                record.vmaRanges[index] = ranges
            }
        }
        if parked { spinner?.unpark() }
        return record
    }

    /// The outcome of preparing or making one measured call.
    enum Outcome<Value> {
        /// It worked.
        case success(Value)
        /// A failure that invalidates the run.
        case failure(String)
    }

    /// The window's operation for a measured action, with real addresses, flags and descriptors.
    func prepare(
        _ action: ProbeAction, window: ProbeWindow, files: ProbeFiles, child: ForkedChild?
    ) -> Outcome<MeasuredPath.Operation> {
        func call(_ number: Int, _ a: UInt64, _ b: UInt64, _ c: Int32) -> Outcome<MeasuredPath.Operation> {
            .success(
                .syscall(
                    number: number,
                    arguments: (Int(bitPattern: UInt(window.real(a))), Int(truncatingIfNeeded: b), Int(c), 0, 0, 0)))
        }
        switch action {
        case .mmap(let modelAddress, let hint, let length, let prot, let flags, let file, let offset):
            var address = window.real(hint)
            var realFlags = flags
            if let placed = modelAddress {
                address = window.real(placed)
                if flags & MAP_FIXED == 0 { realFlags |= 0x10_0000 }  // MAP_FIXED_NOREPLACE
            }
            let fd = file.map { files.fds[$0] } ?? -1
            return .success(
                .syscall(
                    number: RawSyscall.Number.mmap,
                    arguments: (
                        Int(bitPattern: UInt(address)), Int(truncatingIfNeeded: length), Int(prot), Int(realFlags),
                        Int(fd), Int(truncatingIfNeeded: offset)
                    )))
        case .mprotect(let start, let length, let prot): return call(RawSyscall.Number.mprotect, start, length, prot)
        case .munmap(let start, let length): return call(RawSyscall.Number.munmap, start, length, 0)
        case .madvise(let start, let length, let advice): return call(RawSyscall.Number.madvise, start, length, advice)
        case .fork:
            guard let child else { return .failure("the child process was not prepared") }
            return .success(.fork(entry: ForkedChild.childMain, stack: child.stackTop, argument: child.base))
        case .access(var access, _):
            access.address = window.real(access.address)
            return .success(.access(access))
        case .skip, .idle: return .failure("not a measured step")
        }
    }

    /// The call's result in report notation, or why the run is invalid (an mmap that could not be placed).
    func outcome(_ action: ProbeAction, value: Int, error: Int32, window: ProbeWindow, index: Int) -> Outcome<String> {
        let failed = "-1 " + HostErrno.name(of: error)
        switch action {
        case .mmap(let modelAddress, _, _, _, _, _, _):
            guard value != -1 else {
                if let placed = modelAddress {
                    return .failure(
                        "mmap could not place a region at 0x\(String(window.real(placed), radix: 16)): \(failed)")
                }
                return .success(failed)
            }
            let real = UInt64(UInt(bitPattern: value))
            if let placed = modelAddress, real != window.real(placed) {
                return .failure(
                    "mmap placed 0x\(String(real, radix: 16)), not 0x\(String(window.real(placed), radix: 16))")
            }
            return .success("0x" + String(modelAddress ?? window.model(real), radix: 16))
        case .fork:
            // The child's pid differs from the model's; a successful fork reads as the model's result.
            return .success(value > 0 ? modelResults[index] : failed)
        case .access:
            return .success(modelResults[index])
        default:
            return .success(value == -1 ? failed : String(value))
        }
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
