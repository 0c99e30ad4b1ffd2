import MMHardware

/// One line of /proc/PID/maps as the model produces it (`show_map_vma()`).
public struct MapsEntry: Hashable, Sendable, CustomStringConvertible {
    public var start: UInt64
    public var end: UInt64
    /// `rwxp` / `rwxs`.
    public var permissions: String
    /// File offset in bytes (0 for anonymous memory).
    public var offset: UInt64
    public var name: String

    public var description: String {
        let range = String(start, radix: 16) + "-" + String(end, radix: 16)
        let head = "\(range) \(permissions) \(hex8(offset)) 00:00 0"
        return name.isEmpty ? head : head + " " + name
    }
}

/// Zero-padded 8-digit hex, as /proc/PID/maps prints offsets.
func hex8(_ value: UInt64) -> String {
    let hex = String(value, radix: 16)
    return String(repeating: "0", count: max(0, 8 - hex.count)) + hex
}

extension Machine {
    /// The model's /proc/PID/maps for `mm`.
    public func maps(_ mmID: MMID) -> [MapsEntry] {
        mm(mmID).vmas.map { vma in
            let anonymous = vma.file == nil
            let name = vma.name ?? vma.file.map { files[$0.rawValue].name } ?? ""
            return MapsEntry(
                start: vma.start, end: vma.end, permissions: vma.flags.mapsPermissions,
                offset: anonymous ? 0 : vma.pgoff << PageGeometry.pageShift, name: name)
        }
    }

    /// The VMAs overlapping `[base, base + length)` in the notation of the host oracle: `[0,1)r--p [1,4)rw-p`,
    /// bounds in pages relative to `base`, clipped to the window.
    public func relativeLayout(_ mmID: MMID, base: UInt64, length: UInt64) -> String {
        let end = base + length
        return mm(mmID).vmas.indices(intersecting: base, end).map { index in
            let vma = mm(mmID).vmas[index]
            let low = (max(vma.start, base) - base) >> PageGeometry.pageShift
            let high = (min(vma.end, end) - base) >> PageGeometry.pageShift
            return "[\(low),\(high))\(vma.flags.mapsPermissions)"
        }.joined(separator: " ")
    }
}
