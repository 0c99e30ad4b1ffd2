import MMHost

/// A fast reading of `/proc/self/maps` for the worker: the layout of one part of the window and the number of
/// VMAs outside the window, without building an entry per line (near `max_map_count` there are 65,000 lines).
public struct ConformMapsScan: Hashable, Sendable {
    /// The compared part of the window in the host oracle's notation, clipped.
    public var layout: String
    /// VMAs of the process outside the window (`[vsyscall]` excluded: it is not counted in `map_count`).
    public var outside: Int
    /// VMAs inside the window.
    public var inside: Int

    /// Scans maps text for `window`.
    public init(text: String, window: ConformWindow) {
        let windowEnd = window.base + window.length
        let layoutStart = window.layoutBase
        let layoutEnd = layoutStart + window.layoutLength
        var parts: [String] = []
        var outside = 0
        var inside = 0
        for line in text.utf8.split(separator: UInt8(ascii: "\n")) {
            guard let dash = line.firstIndex(of: UInt8(ascii: "-")),
                let space = line[dash...].firstIndex(of: UInt8(ascii: " ")),
                let start = ConformMapsScan.hex(line[..<dash]),
                let end = ConformMapsScan.hex(line[line.index(after: dash)..<space])
            else { continue }
            if start < windowEnd && end > window.base {
                inside += 1
            } else {
                if line.last == UInt8(ascii: "]"), String(decoding: line, as: UTF8.self).hasSuffix("[vsyscall]") {
                    continue
                }
                outside += 1
                continue
            }
            guard start < layoutEnd && end > layoutStart else { continue }
            let permsStart = line.index(after: space)
            let perms = String(decoding: line[permsStart...].prefix(4), as: UTF8.self)
            let low = (max(start, layoutStart) - layoutStart) / 4096
            let high = (min(end, layoutEnd) - layoutStart) / 4096
            parts.append("[\(low),\(high))\(perms)")
        }
        layout = parts.joined(separator: " ")
        self.outside = outside
        self.inside = inside
    }

    /// Reads `/proc/self/maps` and scans it.
    public static func readSelf(window: ConformWindow) throws(HostError) -> ConformMapsScan {
        ConformMapsScan(text: try HostFile.read(path: "/proc/self/maps"), window: window)
    }

    /// A lowercase hex number, or `nil`.
    static func hex(_ digits: some Collection<UInt8>) -> UInt64? {
        guard !digits.isEmpty, digits.count <= 16 else { return nil }
        var value: UInt64 = 0
        for digit in digits {
            switch digit {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): value = value << 4 | UInt64(digit - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): value = value << 4 | UInt64(digit - UInt8(ascii: "a") + 10)
            default: return nil
            }
        }
        return value
    }
}
