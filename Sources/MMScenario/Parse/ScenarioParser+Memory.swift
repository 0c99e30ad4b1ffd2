import MMKernel
import Yams

extension ScenarioParser {
    /// The operations that move or lock memory: mremap and the mlock family.
    static let memoryOperations = ["mremap", "mlock", "mlock2", "munlock", "mlockall", "munlockall"]

    /// Parses one of `memoryOperations`.
    mutating func parseMemoryStep(_ operation: String, _ body: Node) throws(ScenarioError) -> CallStep {
        switch operation {
        case "mremap":
            return try parseMremap(body)
        case "mlock", "munlock":
            let (_, thread, span) = try parseRange(body, operation)
            let syscall: Syscall =
                operation == "mlock" ? .mlock(address: 0, length: 0) : .munlock(address: 0, length: 0)
            return CallStep(keyword: operation, thread: thread, syscall: syscall, span: span)
        case "mlock2":
            let (fields, thread, span) = try parseRange(body, operation, extra: ["flags"])
            let flags = try fields["flags"].map { node throws(ScenarioError) in
                try constantBits(node, "flags", prefix: "MLOCK_", SyscallConstants.mlock2Flags)
            }
            return CallStep(
                keyword: operation, thread: thread, syscall: .mlock2(address: 0, length: 0, flags: flags ?? 0),
                span: span)
        case "mlockall":
            let fields = try reader.fields(body, operation, allowed: ["thread", "flags"])
            let flags = try constantBits(
                try fields.required("flags", reader), "flags", prefix: "MCL_", SyscallConstants.mlockallFlags)
            return CallStep(keyword: operation, thread: try thread(fields["thread"]), syscall: .mlockall(flags: flags))
        default:  // munlockall: `{}`, `{thread: main}` or just the thread's name
            let thread: String
            if case .scalar = body {
                thread = try self.thread(body)
            } else {
                thread = try self.thread(try reader.fields(body, operation, allowed: ["thread"])["thread"])
            }
            return CallStep(keyword: operation, thread: thread, syscall: .munlockall)
        }
    }

    /// `mremap: {region: buf, new_length: 8 pages, flags: [maymove, fixed], new_addr: other, new_region: big}`: the
    /// old range as for munmap (its length under `old_length`), the new length, the flags by name or number, the
    /// new address (NULL by default) and the region name the result gets.
    mutating func parseMremap(_ body: Node) throws(ScenarioError) -> CallStep {
        let (fields, thread, span) = try parseRange(
            body, "mremap", extra: ["new_length", "flags", "new_addr", "new_region"], lengthKey: "old_length")
        let newLength = try reader.size(try fields.required("new_length", reader), "new_length")
        let flags = try fields["flags"].map { node throws(ScenarioError) in
            try constantBits(node, "flags", prefix: "MREMAP_", SyscallConstants.mremapFlags)
        }
        let newAddress = try fields["new_addr"].map { node throws(ScenarioError) in
            try checkedAddress(node, "new_addr")
        }
        let region = try fields["new_region"].map { node throws(ScenarioError) in try defineRegion(node) }
        return CallStep(
            keyword: "mremap", thread: thread,
            syscall: .mremap(address: 0, oldLength: 0, newLength: newLength, flags: flags ?? 0, newAddress: 0),
            span: span, newAddress: newAddress, resultRegion: region)
    }
}
