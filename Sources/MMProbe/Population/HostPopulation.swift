import Glibc
import MMHost

/// Reads this process's page population: `/proc/self/pagemap` (8 bytes per page, bit 63 = present) and
/// `/proc/self/smaps` (`AnonHugePages` per VMA).
enum HostPopulation {
    /// Present bits for `pages` pages from `address`; all false if pagemap cannot be read.
    static func present(address: UInt64, pages: Int) -> [Bool] {
        guard pages > 0 else { return [] }
        let fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return Array(repeating: false, count: pages) }
        defer { close(fd) }
        var entries = [UInt64](repeating: 0, count: pages)
        let bytes = entries.withUnsafeMutableBytes { buffer in
            pread(fd, buffer.baseAddress, buffer.count, off_t(Int64(bitPattern: (address / 4096) * 8)))
        }
        guard bytes == pages * 8 else { return Array(repeating: false, count: pages) }
        return entries.map { $0 & (1 << 63) != 0 }
    }

    /// Each smaps VMA overlapping [low, high): its range and `AnonHugePages` in KiB.
    static func anonHuge(low: UInt64, high: UInt64) -> [(start: UInt64, end: UInt64, kib: Int)] {
        guard let text = try? HostFile.read(path: "/proc/self/smaps") else { return [] }
        var result: [(start: UInt64, end: UInt64, kib: Int)] = []
        var current: (start: UInt64, end: UInt64)?
        for line in text.split(separator: "\n") {
            if let first = line.first, first.isHexDigit, let dash = line.firstIndex(of: "-"),
                let space = line.firstIndex(of: " "), dash < space,
                let start = UInt64(line[..<dash], radix: 16),
                let end = UInt64(line[line.index(after: dash)..<space], radix: 16)
            {
                current = start < high && end > low ? (start, end) : nil
            } else if line.hasPrefix("AnonHugePages:"), let range = current {
                let digits = line.dropFirst("AnonHugePages:".count).filter(\.isNumber)
                result.append((range.start, range.end, Int(digits) ?? 0))
                current = nil
            }
        }
        return result
    }
}
