/// One line of `/proc/<pid>/maps`: one VMA as the kernel reports it.
///
/// `/proc/self/maps` is the ground truth for VMA split and merge outcomes (`show_map_vma()` in
/// fs/proc/task_mmu.c prints one line per VMA), so each field is
/// kept as printed; the permission string is kept verbatim (`"rw-p"`) because that is what oracles compare.
public struct ProcMapsEntry: Hashable, Sendable, CustomStringConvertible {
    /// First address of the VMA (`vm_start`).
    public var start: HostAddress
    /// One past the last address of the VMA (`vm_end`).
    public var end: HostAddress
    /// The four permission characters, e.g. `"rw-p"`; the last is `p` (private) or `s` (shared).
    public var perms: String
    /// File offset of `start` in bytes (for anonymous memory, usually 0 or the address in pages).
    public var offset: UInt64
    /// The backing device as `"major:minor"` in hex, e.g. `"00:00"` for anonymous memory.
    public var device: String
    /// The inode of the backing file, 0 for anonymous memory.
    public var inode: UInt64
    /// The path or pseudo-name (`"[heap]"`, `"[stack]"`), or `""` for anonymous memory.
    public var path: String

    /// Creates an entry from its fields, for tests and for building expected layouts.
    public init(
        start: HostAddress,
        end: HostAddress,
        perms: String,
        offset: UInt64 = 0,
        device: String = "00:00",
        inode: UInt64 = 0,
        path: String = ""
    ) {
        self.start = start
        self.end = end
        self.perms = perms
        self.offset = offset
        self.device = device
        self.inode = inode
        self.path = path
    }

    /// The VMA's size in bytes.
    public var length: UInt64 { end.rawValue &- start.rawValue }

    /// The `rwx` part of `perms` as a typed protection.
    public var protection: HostProtection {
        var result: HostProtection = []
        let characters = Array(perms)
        if characters.count > 0, characters[0] == "r" { result.insert(.read) }
        if characters.count > 1, characters[1] == "w" { result.insert(.write) }
        if characters.count > 2, characters[2] == "x" { result.insert(.exec) }
        return result
    }

    /// Whether the mapping is shared (`s`) rather than private (`p`).
    public var isShared: Bool { perms.last == "s" }

    /// The line in `/proc/self/maps` format (without the kernel's column padding).
    public var description: String {
        let hex = { (value: UInt64) in String(value, radix: 16) }
        var line = "\(hex(start.rawValue))-\(hex(end.rawValue)) \(perms) "
        line += String(repeating: "0", count: max(0, 8 - hex(offset).count)) + hex(offset)
        line += " \(device) \(inode)"
        if !path.isEmpty { line += " \(path)" }
        return line
    }
}
