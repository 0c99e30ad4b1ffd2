import MMHardware
import MMKernel

/// Writes a shrunk difference as a scenario file (docs/scenario-format.md) whose expectations are the real
/// kernel's answers, so `mmsim run FILE` shows the model failing where it disagrees. Every call of the vocabulary
/// becomes a step with its raw arguments (addresses relative to the window's region `win`), so the reproducer runs
/// the very calls the oracle compared. Written as text: this module does not link the YAML library.
public enum ConformScenarioWriter {
    /// The region name of the window in the scenario.
    static let region = "win"

    /// The scenario for `sequence` (normal kind) with the kernel's observation after each call.
    public static func scenario(
        sequence: ConformSequence, window: ConformWindow, kernel: [ConformObservation], seed: UInt64,
        profile: HostProfile, machineYAML: String
    ) -> String {
        var lines = [
            "# mmsim conform --seed \(seed): sequence \(sequence.index) shrunk to \(sequence.calls.count) calls.",
            "# Expectations are what Linux \(profile.release) did; the model disagrees at the last call.",
            "name: conform seed \(seed) sequence \(sequence.index)",
            "description: minimal reproducer found by mmsim conform (real kernel vs model)",
            "machine: \(machineYAML)",
            "files:",
        ]
        for file in ConformFile.all {
            var entry = "  - {name: \(file.name), size: \(file.pages) pages, mode: \(file.writable ? "rdwr" : "rdonly")"
            if file.sealed { entry += ", seal_write: true" }
            if file.memfd { entry += ", shmem: true" }
            lines.append(entry + "}")
        }
        lines.append("steps:")
        lines.append(
            "  - mmap: {region: \(region), addr: \(hex(window.base)), length: \(window.pages) pages, prot: none, "
                + "flags: [private, anonymous, fixed]}")
        lines.append("  - munmap: {addr: \(region) + 1 page, length: \(window.pages - 2) pages}")
        for (call, observation) in zip(sequence.calls, kernel) {
            lines.append("  - " + step(call))
            lines.append("    " + expectation(call, observation.result))
            lines.append("  - expect:")
            lines.append(
                "      layout: {region: \(region), pages: \(window.pages), is: \"\(observation.layout)\"}")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The plain op list (wire form) with the kernel's observations, for sequences a scenario cannot express.
    public static func opList(
        sequence: ConformSequence, kernel: [ConformObservation], model: [ConformObservation]
    )
        -> String
    {
        var lines = [
            "# mmsim conform op list (wire form); window \(sequence.pages) pages, compared pages "
                + "\(sequence.layoutFromPage)..<\(sequence.layoutFromPage + sequence.layoutPages)"
        ]
        for (index, call) in sequence.calls.enumerated() {
            lines.append(call.description)
            if index < kernel.count { lines.append("#   kernel: \(kernel[index])") }
            if index < model.count { lines.append("#   model:  \(model[index])") }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// One step line for `call`: the scenario step of the same call with the same raw arguments.
    static func step(_ call: ConformCall) -> String {
        guard case .syscall(let syscall, _) = call else {
            if case .fill(let headroom) = call { return "# fill \(headroom): not expressible as steps" }
            return "# \(call)"
        }
        let address = call.address(.address).map(addressText) ?? ""
        let length = syscall.value(of: .length).map(hex) ?? ""
        let range = "addr: \(address), length: \(length)"
        switch syscall {
        case .mmap(_, _, let prot, let flags, let fd, let offset):
            var fields = "addr: \(address), length: \(length), prot: \(hex(prot)), flags: \(hex(flags))"
            if let file = ConformFile.index(ofDescriptor: fd) {
                fields += ", fd: \(ConformFile.all[file].name)"
            } else if fd != -1 {
                fields += ", fd: \(fd)"
            }
            if offset != 0 { fields += ", offset: \(hex(offset))" }
            return "mmap: {\(fields)}"
        case .munmap: return "munmap: {\(range)}"
        case .mprotect(_, _, let prot): return "mprotect: {\(range), prot: \(hex(prot))}"
        case .pkeyMprotect(_, _, let prot, let pkey):
            return "pkey_mprotect: {\(range), prot: \(hex(prot)), pkey: \(Int32(truncatingIfNeeded: pkey))}"
        case .pkeyAlloc(let flags, let rights):
            return "pkey_alloc: {flags: \(hex(flags)), access_rights: \(hex(rights))}"
        case .pkeyFree(let pkey): return "pkey_free: {pkey: \(Int32(truncatingIfNeeded: pkey))}"
        case .writePKRU(let value): return "pkru: {value: \(hex(UInt64(value)))}"
        case .madvise(_, _, let advice): return "madvise: {\(range), advice: \(Int32(truncatingIfNeeded: advice))}"
        case .mremap(_, _, let newLength, let flags, _):
            let target = call.address(.newAddress).map(addressText) ?? "0x0"
            return "mremap: {addr: \(address), old_length: \(length), new_length: \(hex(newLength)), "
                + "flags: \(hex(flags)), new_addr: \(target)}"
        case .mlock: return "mlock: {\(range)}"
        case .mlock2(_, _, let flags): return "mlock2: {\(range), flags: \(hex(flags))}"
        case .munlock: return "munlock: {\(range)}"
        case .mlockall(let flags): return "mlockall: {flags: \(hex(flags))}"
        case .munlockall: return "munlockall: {}"
        case .mseal(_, _, let flags): return "mseal: {\(range), flags: \(hex(flags))}"
        case .prctl(let option, let arg2, let arg3, let arg4, let arg5):
            return "prctl: {option: \(option), arg2: \(hex(arg2)), arg3: \(hex(arg3)), arg4: \(hex(arg4)), "
                + "arg5: \(hex(arg5))}"
        case .personality(let persona): return "personality: {persona: \(hex(persona))}"
        case .fork(let child, let cpu): return "fork: {child: \(child), cpu: \(cpu.rawValue)}"
        case .execve(let pages, let stack):
            return "execve: {arg_pages: \(pages)" + (stack.map { ", exec_stack: \($0)" } ?? "") + "}"
        case .uffdRegister(_, _, let mode): return "uffd_register: {\(range), mode: \(hex(mode))}"
        case .uffdWriteProtect(_, _, let mode): return "uffd_wp: {\(range), mode: \(hex(mode))}"
        case .numaScan: return "numa_scan: {\(range)}"
        case .access(_, let kind, let value):
            switch kind {
            case .read: return "read: {addr: \(address)}"
            case .write: return "write: {addr: \(address), value: \(hex(value))}"
            case .execute: return "exec: {addr: \(address)}"
            }
        }
    }

    /// The expectation line for the kernel's result `text` of `call`: `signal:`/`code:` when it raised a signal
    /// (an access, or an instruction such as WRPKRU), `value:` for an access that completed, `result:` for a call;
    /// a comment where the model has no spelling for it (an errno it never returns, a signal code it never raises).
    static func expectation(_ call: ConformCall, _ text: String) -> String {
        let parts = text.split(separator: "/")
        if parts.count == 2 && parts[0].hasPrefix("SIG") {
            let code = modelSignalCodes.contains(String(parts[1])) ? ", code: \(parts[1])" : ""
            return "expect: {signal: \(parts[0])\(code)}"
        }
        if case .syscall(.access, _) = call { return "expect: {value: \(text)}" }
        if case .syscall(.fork, _) = call, UInt64(text) != nil {
            // The worker's and the scenario's child numbers differ (a task number, a pid): only success is checked.
            return "expect: {result: ok}"
        }
        if KernelErrno(name: text) != nil || !text.hasPrefix("E") { return "expect: {result: \(result(text))}" }
        return "# kernel result \(text) has no model errno: not checked"
    }

    /// The `si_code` names a scenario can expect.
    static let modelSignalCodes: Set<String> = [
        "SEGV_MAPERR", "SEGV_ACCERR", "SEGV_PKUERR", "BUS_ADRERR", "UFFD_WP", "ILL_ILLOPN",
    ]

    /// `win + 4096`, `win - 4096` or `0x0`.
    static func addressText(_ address: ConformAddress) -> String {
        switch address {
        case .window(let offset): return offset < 0 ? "\(region) - \(-offset)" : "\(region) + \(offset)"
        case .absolute(let value): return hex(value)
        }
    }

    /// A result in scenario syntax: `0`, an errno name, or `win + N`.
    static func result(_ text: String) -> String {
        if let address = ConformAddress(wire: Substring(text)) { return addressText(address) }
        return text
    }

    /// `0x…` for a 64-bit value.
    static func hex(_ value: UInt64) -> String { "0x" + String(value, radix: 16) }

}
