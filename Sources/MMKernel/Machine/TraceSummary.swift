import MMHardware

/// An event that can be folded into a run of its like: events of the same shape whose address advances by a
/// constant stride collapse into one `TraceRun`.
public protocol TraceRunItem: Hashable, Sendable {
    /// The address that advances along a run (0 for events without one).
    var runAddress: UInt64 { get }
    /// Whether `other` differs from this event at most in `runAddress`.
    func sameShape(as other: Self) -> Bool
}

/// Consecutive events of one shape at addresses `first.runAddress + i * stride` for `i` in `0..<count`: a lossless
/// summary of a repeated event (16,777,216 demand faults one page apart are one run).
public struct TraceRun<Item: TraceRunItem>: Hashable, Sendable {
    /// The first event of the run.
    public private(set) var first: Item
    /// How many events the run stands for.
    public private(set) var count = 1
    /// The address step between consecutive events (0 while `count` is 1).
    public private(set) var stride: UInt64 = 0

    /// A run of one event.
    public init(_ item: Item) { first = item }

    /// The address of the run's last event.
    public var lastAddress: UInt64 { first.runAddress &+ stride &* UInt64(count - 1) }

    /// Extends the run by `item` if it has the run's shape and continues its stride upwards; false otherwise.
    mutating func absorb(_ item: Item) -> Bool {
        guard item.sameShape(as: first) else { return false }
        let last = lastAddress
        guard item.runAddress >= last else { return false }
        let step = item.runAddress - last
        if count == 1 {
            stride = step
        } else if step != stride {
            return false
        }
        count += 1
        return true
    }
}

/// The events of one kind, in order, as runs. At most `limit` runs are kept; once the limit is reached further
/// events are only counted (`omitted`), so memory stays bounded however many events a step produces.
public struct TraceRunList<Item: TraceRunItem>: Hashable, Sendable {
    /// The runs, in order: a prefix of the event sequence.
    public private(set) var runs: [TraceRun<Item>] = []
    /// Every event added, kept or not.
    public private(set) var total = 0
    /// Events after the last kept run (counted, not kept).
    public private(set) var omitted = 0
    /// Whether consecutive events of one shape merge into one run (false: one run per event).
    public let merging: Bool
    /// The most runs kept.
    public let limit: Int

    /// An empty list.
    public init(merging: Bool, limit: Int) {
        self.merging = merging
        self.limit = max(1, limit)
    }

    /// Adds one event.
    mutating func add(_ item: Item) {
        total += 1
        if omitted > 0 {
            omitted += 1
            return
        }
        if merging, !runs.isEmpty, runs[runs.count - 1].absorb(item) { return }
        if runs.count < limit {
            runs.append(TraceRun(item))
        } else {
            omitted += 1
        }
    }

    /// Forgets every event.
    mutating func removeAll() {
        runs.removeAll(keepingCapacity: false)
        total = 0
        omitted = 0
    }
}

/// A page fault as recorded (the payload of `TraceEvent.pageFault`).
public struct FaultEvent: TraceRunItem {
    public var task: TaskID
    public var cpu: CPUID
    public var address: UInt64
    public var error: PageFaultError
    public var resolution: FaultResolution

    public var runAddress: UInt64 { address }
    public func sameShape(as other: FaultEvent) -> Bool {
        task == other.task && cpu == other.cpu && error == other.error && resolution == other.resolution
    }
}

/// One `tlb:tlb_flush` event (the payload of `TraceEvent.tlbFlush`).
public struct TracepointEvent: TraceRunItem {
    public var cpu: CPUID
    public var reason: FlushReason
    /// INVLPGs, or -1 for a full flush.
    public var pages: Int

    public var runAddress: UInt64 { 0 }
    public func sameShape(as other: TracepointEvent) -> Bool { self == other }
}

/// One `flush_tlb_mm_range()` call with what `tlb:tlb_flush` showed for it: the initiator's own flush (reason 3),
/// the decision to send IPIs (reason 4) and each remote CPU's flush (reason 1).
public struct TracedFlush: TraceRunItem {
    /// The request as issued.
    public var request: FlushRequest
    /// The initiator's INVLPGs (or -1 for full), nil if it did not flush.
    public var local: Int?
    /// Whether the kernel decided to send the flush to other CPUs of `mm_cpumask`.
    public var sendIPI = false
    /// Each remote CPU's flush (pages or -1), in delivery order.
    public var received: [RemoteFlushEvent] = []

    public var runAddress: UInt64 { request.start }
    public func sameShape(as other: TracedFlush) -> Bool {
        var moved = other
        moved.request.start = request.start
        if !request.isFull { moved.request.end = other.request.end &- other.request.start &+ request.start }
        return moved == self
    }
}

/// A remote CPU's part of a flush, as reason 1 of `tlb:tlb_flush` shows it.
public struct RemoteFlushEvent: Hashable, Sendable {
    public var cpu: CPUID
    /// INVLPGs, or -1 for a full flush.
    public var pages: Int
}

/// A flush IPI (the payload of `TraceEvent.ipi`).
public struct IPIEvent: TraceRunItem {
    public var from: CPUID
    public var to: CPUID

    public var runAddress: UInt64 { 0 }
    public func sameShape(as other: IPIEvent) -> Bool { self == other }
}

/// What the kernel and hardware did, folded as it happens: exact counts of every kind of event and, per kind, the
/// events as runs (bounded by `limit` runs per kind). A caller that needs per-step figures for millions of
/// accesses uses this instead of `Machine.trace`, whose size grows with every event.
public struct TraceSummary: Sendable {
    /// Page faults.
    public private(set) var faults: TraceRunList<FaultEvent>
    /// `flush_tlb_mm_range()` calls with their tracepoint outcome.
    public private(set) var flushes: TraceRunList<TracedFlush>
    /// Every `tlb:tlb_flush` event (task-switch flushes included).
    public private(set) var tracepoints: TraceRunList<TracepointEvent>
    /// Flush IPIs.
    public private(set) var ipis: TraceRunList<IPIEvent>
    /// Tracepoints seen since the last flush request (they belong to the next one).
    var pending: [TracepointEvent] = []

    /// An empty summary: `merging` folds repeated events into runs; `limit` bounds the runs kept per kind.
    public init(merging: Bool = true, limit: Int = Int.max) {
        faults = TraceRunList(merging: merging, limit: limit)
        flushes = TraceRunList(merging: merging, limit: limit)
        tracepoints = TraceRunList(merging: merging, limit: limit)
        ipis = TraceRunList(merging: merging, limit: limit)
    }

    /// Folds in one event.
    public mutating func add(_ event: TraceEvent) {
        switch event {
        case .pageFault(let task, let cpu, let address, let error, let resolution):
            faults.add(FaultEvent(task: task, cpu: cpu, address: address, error: error, resolution: resolution))
        case .tlbFlush(let cpu, let reason, let pages):
            let tracepoint = TracepointEvent(cpu: cpu, reason: reason, pages: pages)
            tracepoints.add(tracepoint)
            if reason != .taskSwitch { pending.append(tracepoint) }
        case .ipi(let from, let to):
            ipis.add(IPIEvent(from: from, to: to))
        case .flushRequest(let request):
            var flush = TracedFlush(request: request)
            for event in pending {
                switch event.reason {
                case .localMMShootdown where event.cpu == request.initiator: flush.local = event.pages
                case .remoteSendIPI: flush.sendIPI = true
                case .remoteShootdown: flush.received.append(RemoteFlushEvent(cpu: event.cpu, pages: event.pages))
                default: break
                }
            }
            pending.removeAll(keepingCapacity: true)
            flushes.add(flush)
        }
    }

    /// Forgets everything (the start of a new step).
    public mutating func removeAll() {
        faults.removeAll()
        flushes.removeAll()
        tracepoints.removeAll()
        ipis.removeAll()
        pending.removeAll()
    }
}
