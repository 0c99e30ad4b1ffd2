import MMKernel
import Yams

extension ScenarioParser {
    /// The operations of the protection syscalls, the other `change_protection()` callers, and WRPKRU (`pkru`).
    static let protectionOperations = [
        "mprotect", "pkey_mprotect", "pkey_alloc", "pkey_free", "uffd_register", "uffd_wp", "numa_scan", "execve",
        "personality", "prctl_mdwe", "mseal", "pkru",
    ]

    /// Whether an `exec:` step is execve (it has `arg_pages` or `exec_stack`) rather than an instruction fetch.
    func isExecve(_ operation: String, _ body: Node) -> Bool {
        guard operation == "exec", case .mapping(let mapping) = body else { return false }
        return mapping.keys.contains { $0.string == "arg_pages" || $0.string == "exec_stack" }
    }

    /// Parses one of `protectionOperations` (or execve written as `exec:`).
    func parseProtectionStep(_ operation: String, _ body: Node) throws(ScenarioError) -> Step.Kind {
        let rangeKeys = ["thread", "region", "addr", "pages", "page", "length"]
        switch operation {
        case "mprotect", "pkey_mprotect":
            let keys = rangeKeys + ["prot"] + (operation == "pkey_mprotect" ? ["pkey"] : [])
            let fields = try reader.fields(body, operation, allowed: keys)
            let prot = try bitNames(try fields.required("prot", reader), "prot", prefix: "PROT_", SymbolNames.prot)
            var pkey: Int?
            if operation == "pkey_mprotect" {
                pkey = Int(
                    try reader.integer(try fields.required("pkey", reader), "pkey", in: -(1 << 31)...(1 << 31) - 1))
            }
            return .mprotect(
                MprotectStep(
                    thread: try thread(fields["thread"]), span: try parseSpan(fields, body), prot: prot, pkey: pkey))
        case "pkey_alloc":
            let fields = try reader.fields(body, operation, allowed: ["thread", "flags", "access_rights"])
            let flags = try fields["flags"].map { node throws(ScenarioError) in try reader.unsigned(node, "flags") }
            let rights = try fields["access_rights"].map { node throws(ScenarioError) in
                try reader.unsigned(node, "access_rights")
            }
            return .pkeyAlloc(thread: try thread(fields["thread"]), flags: flags ?? 0, accessRights: rights ?? 0)
        case "pkru":
            let fields = try reader.fields(body, operation, allowed: ["thread", "value"])
            let value = try reader.integer(try fields.required("value", reader), "value", in: 0...Int64(UInt32.max))
            return .pkru(thread: try thread(fields["thread"]), value: UInt32(value))
        case "pkey_free":
            let fields = try reader.fields(body, operation, allowed: ["thread", "pkey"])
            let pkey = try reader.integer(try fields.required("pkey", reader), "pkey", in: -(1 << 31)...(1 << 31) - 1)
            return .pkeyFree(thread: try thread(fields["thread"]), pkey: Int(pkey))
        case "uffd_register":
            let fields = try reader.fields(body, operation, allowed: rangeKeys + ["missing"])
            let missing = try fields["missing"].map { node throws(ScenarioError) in try reader.boolean(node, "missing")
            }
            let range = RangeStep(thread: try thread(fields["thread"]), span: try parseSpan(fields, body))
            return .uffdRegister(range, missing: missing ?? false)
        case "uffd_wp":
            let fields = try reader.fields(body, operation, allowed: rangeKeys + ["protect"])
            let protect = try reader.boolean(try fields.required("protect", reader), "protect")
            let range = RangeStep(thread: try thread(fields["thread"]), span: try parseSpan(fields, body))
            return .uffdWriteProtect(range, protect: protect)
        case "numa_scan":
            let fields = try reader.fields(body, operation, allowed: rangeKeys)
            return .numaScan(RangeStep(thread: try thread(fields["thread"]), span: try parseSpan(fields, body)))
        case "personality":
            let fields = try reader.fields(body, operation, allowed: ["thread", "read_implies_exec"])
            let flag = try reader.boolean(try fields.required("read_implies_exec", reader), "read_implies_exec")
            return .personality(thread: try thread(fields["thread"]), readImpliesExec: flag)
        case "mseal":
            let fields = try reader.fields(body, operation, allowed: rangeKeys)
            return .mseal(RangeStep(thread: try thread(fields["thread"]), span: try parseSpan(fields, body)))
        case "prctl_mdwe":
            if case .scalar = body { return .prctlMDWE(thread: try thread(body)) }
            let fields = try reader.fields(body, operation, allowed: ["thread"])
            return .prctlMDWE(thread: try thread(fields["thread"]))
        default:  // execve, or exec with arg_pages/exec_stack
            let fields = try reader.fields(body, operation, allowed: ["thread", "arg_pages", "exec_stack"])
            let pages = try fields["arg_pages"].map { node throws(ScenarioError) in
                Int(try reader.integer(node, "arg_pages", in: 0...1 << 20))
            }
            let stack = try fields["exec_stack"].map { node throws(ScenarioError) in
                try reader.boolean(node, "exec_stack")
            }
            return .execve(
                ExecveStep(thread: try thread(fields["thread"]), argumentPages: pages ?? 1, executableStack: stack))
        }
    }
}
