import MMKernel

/// Writes a shrunk difference as a scenario file (docs/scenario-format.md) whose expectations are the real
/// kernel's answers, so `mmsim run FILE` shows the model failing where it disagrees. Written as text: this module
/// does not link the YAML library.
public enum ConformScenarioWriter {
    /// The region name of the window in the scenario.
    static let region = "win"

    /// The scenario for `sequence` (normal kind) with the kernel's observation after each call.
    public static func scenario(
        sequence: ConformSequence, window: ConformWindow, kernel: [ConformObservation], seed: UInt64,
        profile: HostProfile, machineYAML: String
    ) -> String {
        var lines = [
            "# mmsim conform --seed \(seed): sequence \(sequence.index) shrunk to \(sequence.ops.count) calls.",
            "# Expectations are what Linux \(profile.release) did; the model disagrees at the last call.",
            "name: conform seed \(seed) sequence \(sequence.index)",
            "description: minimal reproducer found by mmsim conform (real kernel vs model)",
            "machine: \(machineYAML)",
            "files:",
        ]
        for file in ConformFile.all {
            var entry = "  - {name: \(file.name), size: \(file.pages) pages, mode: \(file.writable ? "rdwr" : "rdonly")"
            if file.sealedMemfd { entry += ", seal_write: true, shmem: true" }
            lines.append(entry + "}")
        }
        lines.append("steps:")
        lines.append(
            "  - mmap: {region: \(region), addr: \(hex(window.base)), length: \(window.pages) pages, prot: none, "
                + "flags: [private, anonymous, fixed]}")
        lines.append("  - munmap: {addr: \(region) + 1 page, length: \(window.pages - 2) pages}")
        for (op, observation) in zip(sequence.ops, kernel) {
            lines.append("  - " + step(op))
            if KernelErrno(name: observation.result) != nil || !observation.result.hasPrefix("E") {
                lines.append("    expect: {result: \(result(observation.result))}")
            } else {
                lines.append("    # kernel result \(observation.result) has no model errno: not checked")
            }
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
        for (index, op) in sequence.ops.enumerated() {
            lines.append(op.description)
            if index < kernel.count { lines.append("#   kernel: \(kernel[index])") }
            if index < model.count { lines.append("#   model:  \(model[index])") }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// One step line for `op`.
    static func step(_ op: ConformOp) -> String {
        switch op {
        case .mmap(let address, let length, let prot, let flags, let fd, let offset):
            var fields = "addr: \(addressText(address)), length: \(hex(length)), prot: \(hex32(prot)), "
            fields += "flags: \(hex32(flags))"
            switch fd {
            case .none: break
            case .file(let index): fields += ", fd: \(ConformFile.all[index].name)"
            case .raw(let number): fields += ", fd: \(number)"
            }
            if offset != 0 { fields += ", offset: \(hex(offset))" }
            return "mmap: {\(fields)}"
        case .mprotect(let address, let length, let prot):
            return "mprotect: {addr: \(addressText(address)), length: \(hex(length)), prot: \(hex32(prot))}"
        case .pkeyMprotect(let address, let length, let prot, let pkey):
            return "pkey_mprotect: {addr: \(addressText(address)), length: \(hex(length)), prot: \(hex32(prot)), "
                + "pkey: \(pkey)}"
        case .munmap(let address, let length):
            return "munmap: {addr: \(addressText(address)), length: \(hex(length))}"
        case .madvise(let address, let length, let advice):
            return "madvise: {addr: \(addressText(address)), length: \(hex(length)), advice: \(advice)}"
        case .mremap:
            return "# \(op): mremap is not a scenario step"
        case .fill(let headroom):
            return "# fill \(headroom): not expressible as steps"
        }
    }

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

    /// `0x…` for 32-bit flags.
    static func hex32(_ value: Int32) -> String { "0x" + String(UInt32(bitPattern: value), radix: 16) }
}
