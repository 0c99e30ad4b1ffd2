extension HostProfile {
    /// The CPU feature words of the first `flags` line of `/proc/cpuinfo` (all CPUs list the same flags).
    public static func cpuFlags(cpuinfo text: String) -> Set<String> {
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 1)
            guard parts.count == 2, parts[0].trimmingCharacters() == "flags" else { continue }
            return Set(parts[1].split(separator: " ").map(String.init))
        }
        return []
    }

    /// Whether the meltdown vulnerability file says page-table isolation is on: `"Mitigation: PTI"`.
    /// `"Not affected"` and `"Vulnerable"` mean off.
    public static func ptiEnabled(meltdown text: String) -> Bool {
        text.trimmingCharacters().hasPrefix("Mitigation: PTI")
    }

    /// The bracketed choice of a sysfs selector file: `"always [madvise] never"` gives `"madvise"`.
    public static func selectedChoice(_ text: String) -> String? {
        guard let open = text.firstIndex(of: "["), let close = text[open...].firstIndex(of: "]") else { return nil }
        return String(text[text.index(after: open)..<close])
    }

    /// The first integer of a sysctl-like file (`"65530\n"` gives 65530).
    public static func firstInteger(_ text: String) -> Int? {
        text.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" }).first.flatMap { Int($0) }
    }

    /// `MemTotal` in KiB from `/proc/meminfo` text.
    public static func memTotalKiB(meminfo text: String) -> Int? {
        for line in text.split(separator: "\n") where line.hasPrefix("MemTotal:") {
            return firstInteger(String(line.dropFirst("MemTotal:".count)).trimmingCharacters())
        }
        return nil
    }

    /// The major and minor version of a release string: `"6.18.44-fc-v669"` gives (6, 18).
    public static func version(release: String) -> (major: Int, minor: Int)? {
        let numbers = release.split(whereSeparator: { !$0.isNumber }).prefix(2).compactMap { Int($0) }
        guard numbers.count == 2 else { return nil }
        return (numbers[0], numbers[1])
    }
}

extension StringProtocol {
    /// The text without leading and trailing spaces, tabs and newlines (Foundation stays out of this module).
    func trimmingCharacters() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else {
            return ""
        }
        return String(self[first...last])
    }
}
