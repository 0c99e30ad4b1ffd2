import MMHardware

/// The whole simulated system: RAM, page tables, CPUs, and the kernel's state (address spaces, tasks, files).
///
/// Everything is a value: copying a `Machine` snapshots the system (arrays are copy-on-write), which is what an
/// explorer of interleavings needs. There are no globals; every kernel path is a `mutating` method.
public struct Machine: Sendable {
    public let config: KernelConfig
    public var memory = PhysicalMemory()
    public var pages: PageAllocator
    public var pageTables = PageTableArena()
    public var cpus: [CPU]
    /// The x86 per-CPU `cpu_tlbstate`.
    public var cpuState: [CPUTLBState]
    /// Address spaces by `MMID.rawValue`; nil once torn down.
    public var mms: [MM?] = []
    public var tasks: [Task] = []
    public var files: [SimFile] = []
    /// `vm_committed_as`: pages charged against the overcommit limit.
    public var committedPages: Int64 = 0
    /// The swap device's contents by slot (token per swapped page).
    public var swapSlots: [UInt64: UInt64] = [:]
    /// The CPU the current syscall or fault runs on (set for the duration of each entry point).
    public internal(set) var currentCPU: CPUID?
    var nextContextID: UInt64 = 1
    var nextAnonVMA = 1
    /// Events recorded while `tracing` is on and no `traceSummary` is set: every event, in order.
    public var trace: [TraceEvent] = []
    public var tracing = true
    /// When set, events are folded into this summary (exact counts, bounded runs) instead of appended to `trace`,
    /// so that a step of millions of accesses costs memory for its runs, not for each event.
    public var traceSummary: TraceSummary?

    public init(config: KernelConfig = KernelConfig()) {
        precondition(config.cpus >= 1 && config.cpus <= 64, "1 to 64 CPUs")
        self.config = config
        var memory = PhysicalMemory()
        pages = PageAllocator(capacityFrames: config.ramFrames, memory: &memory)
        self.memory = memory
        cpus = (0..<config.cpus).map {
            CPU(id: CPUID($0), geometry: config.tlbGeometry, protectionKeys: config.pku)
        }
        cpuState = Array(repeating: CPUTLBState(), count: config.cpus)
        // setup_pku(): each CPU boots with CR4.PKE set and the default PKRU loaded (`pkru_write_default()`).
        for index in cpus.indices { cpus[index].writePKRU(initialPKRU) }
    }

    /// Records `event` if tracing: into `traceSummary` when one is set, else onto `trace`.
    @inlinable mutating func record(_ event: @autoclosure () -> TraceEvent) {
        guard tracing else { return }
        if traceSummary != nil {
            traceSummary?.add(event())
        } else {
            trace.append(event())
        }
    }

    /// The mm `id` (which must exist).
    public func mm(_ id: MMID) -> MM {
        guard let mm = mms[id.rawValue] else { preconditionFailure("\(id) does not exist") }
        return mm
    }

    /// Mutates the mm `id` in place.
    @inlinable mutating func withMM<R, E: Error>(_ id: MMID, _ body: (inout MM) throws(E) -> R) throws(E) -> R {
        try body(&mms[id.rawValue]!)
    }

    /// The VMA at `index` of `mm`, read without copying the VMA set (so a later change to the set does not have to
    /// copy it either).
    @inlinable func vma(_ id: MMID, _ index: Int) -> VMA { mms[id.rawValue]!.vmas[index] }

    /// How many VMAs `mm` has.
    @inlinable func vmaCount(_ id: MMID) -> Int { mms[id.rawValue]!.vmas.count }

    /// The task `id`.
    public func task(_ id: TaskID) -> Task { tasks[id.rawValue] }

    // MARK: - Processes and threads

    /// Creates a new process (an mm with an empty page-table root) with one thread pinned to `cpu`.
    /// Models the parts of `mm_alloc()`/`init_new_context()` the model needs.
    @discardableResult
    public mutating func createProcess(name: String, cpu: CPUID) -> TaskID {
        let mmID = newMM()
        return createThread(name: name, mm: mmID, cpu: cpu)
    }

    mutating func newMM() -> MMID {
        let id = MMID(rawValue: mms.count)
        let pgd = pageTables.allocate()
        var mm = MM(id: id, pgd: pgd, contextID: nextContextID, mmapBase: config.mmapBase)
        // init_new_context(): with protection keys, pkey 0 (the default key of every VMA) is allocated from the start.
        if config.pku { mm.pkeyAllocationMap = 0x1 }
        mms.append(mm)
        nextContextID += 1
        return id
    }

    /// Adds a thread to the process of `mm`, pinned to `cpu` (models `clone(CLONE_VM)`). `copy_thread()` gives the
    /// new thread its creator's PKRU: `parent`'s if given, else the default (`init_pkru_value`), as for the first
    /// thread of a new program.
    @discardableResult
    public mutating func createThread(name: String, mm: MMID, cpu: CPUID, parent: TaskID? = nil) -> TaskID {
        precondition(cpu.rawValue < cpus.count, "no such CPU")
        let id = TaskID(rawValue: tasks.count)
        let pkru = parent.map { tasks[$0.rawValue].pkru } ?? initialPKRU
        var task = Task(id: id, name: name, mm: mm, cpu: cpu, pkru: pkru)
        // copy_process() duplicates the creating thread's task_struct, personality included; without a named
        // creator the new thread takes the personality of the process's first thread.
        if let creator = parent ?? tasks.first(where: { $0.mm == mm })?.id {
            task.personality = tasks[creator.rawValue].personality
        }
        tasks.append(task)
        withMM(mm) { $0.users += 1 }
        return id
    }

    /// Makes `task` the running task of its CPU, switching address spaces as `context_switch()` does, and its
    /// PKRU (`x86_pkru_load()` in `__switch_to()`).
    public mutating func schedule(_ task: TaskID) {
        let cpu = tasks[task.rawValue].cpu
        guard cpuState[cpu.rawValue].currentTask != task else { return }
        cpuState[cpu.rawValue].currentTask = task
        switchMM(cpu: cpu, to: tasks[task.rawValue].mm)
        cpus[cpu.rawValue].writePKRU(tasks[task.rawValue].pkru)
    }

    /// The CPU stops running user tasks and runs the idle task: it enters lazy TLB mode, keeping the last mm
    /// loaded (models `enter_lazy_tlb()`), and loads the idle task's PKRU, the default.
    public mutating func idle(cpu: CPUID) {
        cpuState[cpu.rawValue].currentTask = nil
        cpus[cpu.rawValue].writePKRU(initialPKRU)
        if cpuState[cpu.rawValue].loadedMM != nil {
            cpuState[cpu.rawValue].isLazy = true
        }
    }

    // MARK: - Physical pages

    /// Allocates a zeroed frame or nil (OOM).
    mutating func allocatePage() -> PFN? { pages.allocate(memory: &memory) }

    /// Allocates a zeroed PMD-sized folio or nil.
    mutating func allocateHugePage() -> PFN? { pages.allocateHuge(memory: &memory) }

    /// A fresh `anon_vma` identifier.
    mutating func newAnonVMA() -> AnonVMAID {
        defer { nextAnonVMA += 1 }
        return AnonVMAID(rawValue: nextAnonVMA)
    }
}

/// A thread: its address space, the CPU it is pinned to, its PKRU and its personality.
public struct Task: Hashable, Sendable {
    public let id: TaskID
    public var name: String
    public var mm: MMID
    public var cpu: CPUID
    /// The thread's PKRU (`thread.pkru`): loaded into its CPU whenever it runs, and kept equal to the register
    /// while it does. 0 without protection keys.
    public internal(set) var pkru: UInt32 = 0
    /// `current->personality`: per thread, as in the kernel (see `Personality`); a new thread or child copies it.
    public internal(set) var personality: UInt32 = 0
}

/// The x86 per-CPU TLB state, `struct tlb_state`.
public struct CPUTLBState: Hashable, Sendable {
    /// `loaded_mm` (nil = `init_mm`, no user address space).
    public var loadedMM: MMID?
    /// `loaded_mm_asid`.
    public var asid = 0
    /// `is_lazy`: running a kernel thread or idle with the user mm still loaded.
    public var isLazy = false
    /// `ctxs[TLB_NR_DYN_ASIDS]`: which mm each ASID slot holds and up to which `tlb_gen` it is flushed.
    public var contexts = Array(repeating: ASIDContext(), count: CPUTLBState.dynamicASIDs)
    /// `next_asid`.
    public var nextASID = 1
    /// The user task running on the CPU, nil when idle.
    public var currentTask: TaskID?

    /// Mirrors `TLB_NR_DYN_ASIDS`.
    public static let dynamicASIDs = 6

    public init() {}
}

/// One ASID slot, `struct tlb_context`.
public struct ASIDContext: Hashable, Sendable {
    public var contextID: UInt64 = 0
    public var tlbGen: UInt64 = 0
}
