import MMKernel
import Yams

extension ScenarioParser {
    /// Keys of `machine:`.
    static let machineKeys = [
        "cpus", "thp", "thp_zero_page", "overcommit", "overcommit_ratio", "max_map_count", "ram", "swap", "pcid",
        "ceiling", "lazy_cpumask_trim", "flush_range_frees_tables", "private_write_upgrade", "soft_dirty",
        "stack_limit", "mmap_base",
        "mmap_min_addr", "stack_guard_gap", "scheme", "merge_vmas", "pti", "pku", "gather_page_size", "read_ahead",
        "fault_around_bytes",
    ]

    /// Parses `machine:` into `config`.
    mutating func parseMachine(_ node: Node) throws(ScenarioError) {
        let fields = try reader.fields(node, "machine", allowed: Self.machineKeys)
        for key in fields.order {
            let value = fields.values[key]!
            switch key {
            case "cpus": config.cpus = Int(try reader.integer(value, "cpus", in: 1...64))
            case "thp":
                let text = try reader.scalar(value, "thp")
                guard let mode = KernelConfig.THPMode(rawValue: text) else {
                    throw reader.error(value, "thp must be always, madvise or never, found '\(text)'")
                }
                config.thpMode = mode
            case "thp_zero_page": config.thpUseZeroPage = try reader.boolean(value, key)
            case "overcommit": config.overcommitMode = Int(try reader.integer(value, "overcommit", in: 0...2))
            case "overcommit_ratio": config.overcommitRatio = Int(try reader.integer(value, key, in: 0...10_000))
            case "max_map_count": config.maxMapCount = Int(try reader.integer(value, key, in: 1...Int64(Int32.max)))
            case "ram":
                let bytes = try reader.size(value, "ram")
                guard bytes >= 4 << 20, bytes <= 1 << 46 else {
                    throw reader.error(value, "ram must be between 4M and 64T")
                }
                config.ramFrames = Int(bytes >> 12)
            case "swap":
                let bytes = try reader.size(value, "swap")
                guard bytes <= 1 << 46 else { throw reader.error(value, "swap must be at most 64T") }
                config.swapFrames = Int(bytes >> 12)
            case "pcid": config.pcid = try reader.boolean(value, key)
            case "ceiling": config.flushCeiling = UInt64(try reader.integer(value, key, in: 0...(1 << 40)))
            case "lazy_cpumask_trim": config.lazyCpumaskTrim = try reader.boolean(value, key)
            case "flush_range_frees_tables": config.flushRangeFreesTables = try reader.boolean(value, key)
            case "private_write_upgrade": config.upgradesPrivateWritable = try reader.boolean(value, key)
            case "soft_dirty": config.softDirty = try reader.boolean(value, key)
            case "stack_limit": config.stackLimit = try reader.size(value, key)
            case "mmap_base": config.mmapBase = try pageAligned(value, key, below: 0x7fff_ffff_f000)
            case "mmap_min_addr": config.mmapMinAddress = try pageAligned(value, key, below: 0x7fff_0000_0000)
            case "stack_guard_gap": config.stackGuardGap = try pageAligned(value, key, below: 1 << 40)
            case "scheme":
                let text = try reader.scalar(value, key)
                guard let scheme = FlushScheme(rawValue: text) else {
                    throw reader.error(value, "scheme must be before, seed or merged, found '\(text)'")
                }
                config.scheme = scheme
            case "merge_vmas": config.mergeVMAs = try reader.boolean(value, key)
            case "pti": config.pti = try reader.boolean(value, key)
            case "pku": config.pku = try reader.boolean(value, key)
            case "gather_page_size": config.gatherPageSize = try reader.boolean(value, key)
            case "read_ahead":
                let bytes = try reader.size(value, key)
                guard bytes % 4096 == 0, bytes <= 1 << 30 else {
                    throw reader.error(value, "read_ahead must be a multiple of 4K and at most 1G")
                }
                config.readaheadPages = bytes >> 12
            case "fault_around_bytes":
                let bytes = try reader.size(value, key)
                guard bytes <= 2 << 20 else { throw reader.error(value, "fault_around_bytes must be at most 2M") }
                config.faultAroundBytes = bytes
            default: break
            }
        }
    }

    /// A page-aligned size below `limit`.
    func pageAligned(_ node: Node, _ what: String, below limit: UInt64) throws(ScenarioError) -> UInt64 {
        let value = try reader.size(node, what)
        guard value % 4096 == 0, value < limit else {
            throw reader.error(node, "\(what) must be page-aligned and below 0x\(String(limit, radix: 16))")
        }
        return value
    }

    /// Parses `threads:` (default: one thread `main` on CPU 0).
    mutating func parseThreads(_ node: Node?) throws(ScenarioError) -> [ThreadSpec] {
        guard let node else {
            threads = [("main", 0)]
            return [ThreadSpec(name: "main", cpu: 0, process: nil)]
        }
        var specs: [ThreadSpec] = []
        for element in try reader.sequence(node, "threads") {
            let fields = try reader.fields(element, "a thread", allowed: ["name", "cpu", "process"])
            let nameNode = try fields.required("name", reader)
            let name = try reader.name(nameNode, "thread name")
            guard !threads.contains(where: { $0.name == name }) else {
                throw reader.error(nameNode, "thread '\(name)' is declared twice")
            }
            let cpu = try fields["cpu"].map { node throws(ScenarioError) in try self.cpu(node) } ?? 0
            var process: String?
            if let processNode = fields["process"] { process = try threadCPU(processNode).name }
            threads.append((name, cpu))
            specs.append(ThreadSpec(name: name, cpu: cpu, process: process))
        }
        guard !specs.isEmpty else { throw reader.error(node, "threads must name at least one thread") }
        return specs
    }

    /// Parses `files:`.
    mutating func parseFiles(_ node: Node) throws(ScenarioError) -> [FileSpec] {
        var specs: [FileSpec] = []
        let keys = ["name", "size", "mode", "noexec", "seal_write", "shmem"]
        for element in try reader.sequence(node, "files") {
            let fields = try reader.fields(element, "a file", allowed: keys)
            let nameNode = try fields.required("name", reader)
            let name = try reader.name(nameNode, "file name")
            guard fileNames[name] == nil else { throw reader.error(nameNode, "file '\(name)' is declared twice") }
            let sizeNode = try fields.required("size", reader)
            let bytes = try reader.size(sizeNode, "file size")
            guard bytes <= 1 << 46 else { throw reader.error(sizeNode, "file size must be at most 64T") }
            var readable = true
            var writable = true
            if let modeNode = fields["mode"] {
                switch try reader.scalar(modeNode, "mode") {
                case "rdonly", "O_RDONLY": writable = false
                case "rdwr", "O_RDWR": break
                case "wronly", "O_WRONLY": readable = false
                case let other: throw reader.error(modeNode, "mode must be rdonly, rdwr or wronly, found '\(other)'")
                }
            }
            func flag(_ key: String) throws(ScenarioError) -> Bool {
                guard let node = fields[key] else { return false }
                return try reader.boolean(node, key)
            }
            fileNames[name] = Int64(3 + specs.count)
            specs.append(
                FileSpec(
                    name: name, sizePages: (bytes + 4095) >> 12, readable: readable, writable: writable,
                    noexec: try flag("noexec"), sealWrite: try flag("seal_write"), shmem: try flag("shmem"),
                    fd: 3 + specs.count))
        }
        return specs
    }
}
