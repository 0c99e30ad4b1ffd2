import MMKernel
import Yams

extension ScenarioParser {
    /// The operations of the protection syscalls, the other `change_protection()` callers and the process settings
    /// that change what later protections mean.
    static let protectionOperations = [
        "mprotect", "pkey_mprotect", "pkey_alloc", "pkey_free", "pkru", "uffd_register", "uffd_wp", "numa_scan",
        "execve", "personality", "prctl", "prctl_mdwe", "mseal",
    ]

    /// Whether an `exec:` step is execve (it has `arg_pages` or `exec_stack`) rather than an instruction fetch.
    func isExecve(_ operation: String, _ body: Node) -> Bool {
        guard operation == "exec", case .mapping(let mapping) = body else { return false }
        return mapping.keys.contains { $0.string == "arg_pages" || $0.string == "exec_stack" }
    }

    /// Parses one of `protectionOperations` (or execve written as `exec:`).
    func parseProtectionStep(_ operation: String, _ body: Node) throws(ScenarioError) -> CallStep {
        let int32Range: ClosedRange<Int64> = -(1 << 31)...(1 << 31) - 1
        switch operation {
        case "mprotect", "pkey_mprotect":
            let isPkey = operation == "pkey_mprotect"
            let (fields, thread, span) = try parseRange(body, operation, extra: ["prot"] + (isPkey ? ["pkey"] : []))
            let prot = try bitNames(try fields.required("prot", reader), "prot", prefix: "PROT_", SymbolNames.prot)
            let syscall: Syscall
            if isPkey {
                let pkey = try reader.integer(try fields.required("pkey", reader), "pkey", in: int32Range)
                syscall = .pkeyMprotect(address: 0, length: 0, prot: prot, pkey: pkey)
            } else {
                syscall = .mprotect(address: 0, length: 0, prot: prot)
            }
            return CallStep(keyword: operation, thread: thread, syscall: syscall, span: span)
        case "pkey_alloc":
            let fields = try reader.fields(body, operation, allowed: ["thread", "flags", "access_rights"])
            let flags = try fields["flags"].map { node throws(ScenarioError) in try reader.unsigned(node, "flags") }
            let rights = try fields["access_rights"].map { node throws(ScenarioError) in
                try reader.unsigned(node, "access_rights")
            }
            return CallStep(
                keyword: operation, thread: try thread(fields["thread"]),
                syscall: .pkeyAlloc(flags: flags ?? 0, accessRights: rights ?? 0))
        case "pkey_free":
            let fields = try reader.fields(body, operation, allowed: ["thread", "pkey"])
            let pkey = try reader.integer(try fields.required("pkey", reader), "pkey", in: int32Range)
            return CallStep(keyword: operation, thread: try thread(fields["thread"]), syscall: .pkeyFree(pkey: pkey))
        case "pkru":
            let fields = try reader.fields(body, operation, allowed: ["thread", "value"])
            let value = try reader.integer(try fields.required("value", reader), "value", in: 0...0xffff_ffff)
            return CallStep(
                keyword: operation, thread: try thread(fields["thread"]), syscall: .writePKRU(UInt32(value)))
        case "uffd_register", "uffd_wp":
            return try parseUserfaultfd(operation, body)
        case "numa_scan":
            let (_, thread, span) = try parseRange(body, operation)
            return CallStep(keyword: operation, thread: thread, syscall: .numaScan(address: 0, length: 0), span: span)
        case "personality":
            return try parsePersonality(body)
        case "prctl":
            return try parsePrctl(body)
        case "prctl_mdwe":
            var thread = threads[0].name
            if case .scalar = body {
                thread = try self.thread(body)
            } else {
                thread = try self.thread(try reader.fields(body, operation, allowed: ["thread"])["thread"])
            }
            return CallStep(
                keyword: operation, thread: thread, syscall: .prctl(option: 65, arg2: 1, arg3: 0, arg4: 0, arg5: 0))
        case "mseal":
            let (fields, thread, span) = try parseRange(body, operation, extra: ["flags"])
            let flags = try fields["flags"].map { node throws(ScenarioError) in try reader.unsigned(node, "flags") }
            return CallStep(
                keyword: operation, thread: thread, syscall: .mseal(address: 0, length: 0, flags: flags ?? 0),
                span: span)
        default:  // execve, or exec with arg_pages/exec_stack
            let fields = try reader.fields(body, operation, allowed: ["thread", "arg_pages", "exec_stack"])
            let pages = try fields["arg_pages"].map { node throws(ScenarioError) in
                Int(try reader.integer(node, "arg_pages", in: 0...1 << 20))
            }
            let stack = try fields["exec_stack"].map { node throws(ScenarioError) in
                try reader.boolean(node, "exec_stack")
            }
            return CallStep(
                keyword: "execve", thread: try thread(fields["thread"]),
                syscall: .execve(argumentPages: pages ?? 1, executableStack: stack))
        }
    }

    /// `uffd_register` (mode `WP` by default, `missing: true` adds `MISSING`, or raw `mode:`) and `uffd_wp`
    /// (`protect: true|false`, or raw `mode:`).
    func parseUserfaultfd(_ operation: String, _ body: Node) throws(ScenarioError) -> CallStep {
        let isRegister = operation == "uffd_register"
        let legacy = isRegister ? "missing" : "protect"
        let (fields, thread, span) = try parseRange(body, operation, extra: [legacy, "mode"])
        if fields[legacy] != nil, let modeKey = fields.keys["mode"] {
            throw reader.error(modeKey, "give either '\(legacy)' or 'mode', not both")
        }
        let mode: UInt64
        if let modeNode = fields["mode"] {
            let (prefix, table) =
                isRegister
                ? ("UFFDIO_REGISTER_MODE_", SymbolNames.table(SyscallConstants.uffdRegisterModes, prefix: ""))
                : (
                    "UFFDIO_WRITEPROTECT_MODE_",
                    SymbolNames.table(SyscallConstants.uffdWriteProtectModes, prefix: "MODE_")
                )
            mode = try bitNames(modeNode, "mode", prefix: prefix, table)
        } else if isRegister {
            let missing = try fields["missing"].map { node throws(ScenarioError) in
                try reader.boolean(node, "missing")
            }
            mode = UserfaultfdMode.registerWP | (missing == true ? UserfaultfdMode.registerMissing : 0)
        } else {
            guard let protectNode = fields["protect"] else {
                throw reader.error(body, "missing 'protect' (or 'mode') in \(operation)")
            }
            mode = try reader.boolean(protectNode, "protect") ? UserfaultfdMode.writeProtectWP : 0
        }
        let syscall: Syscall =
            isRegister
            ? .uffdRegister(address: 0, length: 0, mode: mode) : .uffdWriteProtect(address: 0, length: 0, mode: mode)
        return CallStep(keyword: operation, thread: thread, syscall: syscall, span: span)
    }

    /// `personality: {persona: READ_IMPLIES_EXEC}` (names, numbers, `0xffffffff` to query) or the older
    /// `personality: {read_implies_exec: true}`.
    func parsePersonality(_ body: Node) throws(ScenarioError) -> CallStep {
        let fields = try reader.fields(body, "personality", allowed: ["thread", "persona", "read_implies_exec"])
        let persona: UInt64
        switch (fields["persona"], fields["read_implies_exec"]) {
        case (let personaNode?, nil):
            let names = [("per_linux", UInt64(0))] + SymbolNames.table(SyscallConstants.personaFlags, prefix: "")
            persona = try bitNames(personaNode, "persona", prefix: "", names)
        case (nil, let flagNode?):
            persona = try reader.boolean(flagNode, "read_implies_exec") ? UInt64(Personality.readImpliesExec) : 0
        case (_?, _?):
            throw reader.error(fields.keys["read_implies_exec"]!, "give either 'persona' or 'read_implies_exec'")
        case (nil, nil):
            throw reader.error(body, "missing 'persona' (or 'read_implies_exec') in personality")
        }
        return CallStep(
            keyword: "personality", thread: try thread(fields["thread"]), syscall: .personality(persona: persona))
    }

    /// `prctl: {option: PR_SET_MDWE, arg2: [refuse_exec_gain, no_inherit], arg3: 0, ...}`: the option by name or
    /// number, `arg2` with the MDWE flags by name, every argument raw otherwise.
    func parsePrctl(_ body: Node) throws(ScenarioError) -> CallStep {
        let fields = try reader.fields(
            body, "prctl", allowed: ["thread", "option", "arg2", "arg3", "arg4", "arg5"])
        let optionNode = try fields.required("option", reader)
        let optionText = try reader.scalar(optionNode, "option")
        let option: Int64
        if let number = NumberSyntax.signedInteger(optionText) {
            option = number
        } else {
            var key = optionText.trimmingSpaces().uppercased()
            if !key.hasPrefix("PR_") { key = "PR_" + key }
            guard let value = SyscallConstants.prctlOptions.first(where: { $0.name == key })?.value else {
                let names = SyscallConstants.prctlOptions.map(\.name).joined(separator: ", ")
                throw reader.error(optionNode, "unknown prctl option '\(optionText)' (known: \(names), or a number)")
            }
            option = value
        }
        let arg2 = try fields["arg2"].map { node throws(ScenarioError) in
            try constantBits(node, "arg2", prefix: "PR_MDWE_", SyscallConstants.mdweFlags)
        }
        var rest: [UInt64] = []
        for key in ["arg3", "arg4", "arg5"] {
            rest.append(try fields[key].map { node throws(ScenarioError) in try reader.unsigned(node, key) } ?? 0)
        }
        return CallStep(
            keyword: "prctl", thread: try thread(fields["thread"]),
            syscall: .prctl(option: option, arg2: arg2 ?? 0, arg3: rest[0], arg4: rest[1], arg5: rest[2]))
    }
}
