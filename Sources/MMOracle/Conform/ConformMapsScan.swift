import Glibc
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
    /// The highest end of a VMA that intersects the window (0 if none).
    public var windowVMAEnd: UInt64 = 0

    /// Scans maps text for `window`.
    public init(text: String, window: ConformWindow) {
        var bytes = Array(text.utf8)
        self = bytes.withUnsafeMutableBytes { ConformMapsScan(bytes: UnsafeRawBufferPointer($0), window: window) }
    }

    /// Scans the maps text in `bytes` for `window`; allocates only the (small) layout text.
    public init(bytes: UnsafeRawBufferPointer, window: ConformWindow) {
        let windowEnd = window.base + window.length
        let layoutStart = window.layoutBase
        let layoutEnd = layoutStart + window.layoutLength
        var layout = ""
        var outside = 0
        var inside = 0
        var lineStart = 0
        while lineStart < bytes.count {
            var lineEnd = lineStart
            while lineEnd < bytes.count && bytes[lineEnd] != UInt8(ascii: "\n") { lineEnd += 1 }
            defer { lineStart = lineEnd + 1 }
            var cursor = lineStart
            guard let start = ConformMapsScan.hex(bytes, &cursor, until: UInt8(ascii: "-"), end: lineEnd),
                let end = ConformMapsScan.hex(bytes, &cursor, until: UInt8(ascii: " "), end: lineEnd)
            else { continue }
            if start < windowEnd && end > window.base {
                inside += 1
                windowVMAEnd = max(windowVMAEnd, end)
            } else {
                if !ConformMapsScan.isVsyscall(bytes, lineStart, lineEnd) { outside += 1 }
                continue
            }
            guard start < layoutEnd && end > layoutStart, cursor + 4 <= lineEnd else { continue }
            let low = (max(start, layoutStart) - layoutStart) / 4096
            let high = (min(end, layoutEnd) - layoutStart) / 4096
            if !layout.isEmpty { layout += " " }
            layout += "[\(low),\(high))"
            for index in cursor..<cursor + 4 { layout.unicodeScalars.append(Unicode.Scalar(bytes[index])) }
        }
        self.layout = layout
        self.outside = outside
        self.inside = inside
    }

    /// Reads `/proc/self/maps` and scans it (allocating a buffer: for tests and setup).
    public static func readSelf(window: ConformWindow) throws(HostError) -> ConformMapsScan {
        ConformMapsScan(text: try HostFile.read(path: "/proc/self/maps"), window: window)
    }

    /// Whether the line ends in `[vsyscall]`.
    static func isVsyscall(_ bytes: UnsafeRawBufferPointer, _ start: Int, _ end: Int) -> Bool {
        let name = Array("[vsyscall]".utf8)
        guard end - start >= name.count else { return false }
        return name.indices.allSatisfy { bytes[end - name.count + $0] == name[$0] }
    }

    /// A lowercase hex number from `cursor` up to `terminator` (the cursor then stands after it), or `nil`.
    static func hex(_ bytes: UnsafeRawBufferPointer, _ cursor: inout Int, until terminator: UInt8, end: Int) -> UInt64?
    {
        var value: UInt64 = 0
        var digits = 0
        while cursor < end && bytes[cursor] != terminator {
            let digit = bytes[cursor]
            switch digit {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): value = value << 4 | UInt64(digit - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): value = value << 4 | UInt64(digit - UInt8(ascii: "a") + 10)
            default: return nil
            }
            digits += 1
            cursor += 1
        }
        guard cursor < end, digits > 0, digits <= 16 else { return nil }
        cursor += 1
        return value
    }
}
