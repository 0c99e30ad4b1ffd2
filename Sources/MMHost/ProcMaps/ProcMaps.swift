/// The parsed content of `/proc/self/maps`: the process's VMAs in address order.
///
/// Used as the oracle for VMA layout after real mmap/mprotect/munmap calls, so tests of the simulated VMA tree
/// can be compared with what this kernel actually produced.
public struct ProcMaps: Hashable, Sendable {
    /// The VMAs, in the kernel's (ascending address) order.
    public var entries: [ProcMapsEntry]

    /// Wraps already-parsed entries.
    public init(entries: [ProcMapsEntry]) {
        self.entries = entries
    }

    /// Reads and parses this process's `/proc/self/maps`.
    ///
    /// Throws ``HostError`` if the file cannot be read, or ``ProcMapsParseError`` if a line is malformed.
    public static func readSelf() throws -> ProcMaps {
        try parse(text: HostFile.read(path: "/proc/self/maps"))
    }

    /// Parses text in `/proc/<pid>/maps` format; blank lines are skipped.
    ///
    /// Separate from reading so that tests can feed captured or hand-written samples.
    public static func parse(text: String) throws(ProcMapsParseError) -> ProcMaps {
        var entries: [ProcMapsEntry] = []
        var lineNumber = 0
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            if line.allSatisfy({ $0 == " " || $0 == "\t" }) { continue }
            guard let entry = parseLine(line) else {
                throw ProcMapsParseError(lineNumber: lineNumber, line: String(line))
            }
            entries.append(entry)
        }
        return ProcMaps(entries: entries)
    }

    /// Parses one line: `start-end perms offset dev inode [path]`; `nil` if a field is missing or malformed.
    static func parseLine(_ line: Substring) -> ProcMapsEntry? {
        var rest = line[...]
        func nextField() -> Substring? {
            let trimmed = rest.drop { $0 == " " || $0 == "\t" }
            guard !trimmed.isEmpty else { return nil }
            let field = trimmed.prefix { $0 != " " && $0 != "\t" }
            rest = trimmed[field.endIndex...]
            return field
        }
        guard let range = nextField(), let perms = nextField(), let offsetText = nextField(),
            let device = nextField(), let inodeText = nextField()
        else { return nil }
        let bounds = range.split(separator: "-", omittingEmptySubsequences: false)
        guard bounds.count == 2, let start = UInt64(bounds[0], radix: 16), let end = UInt64(bounds[1], radix: 16),
            start <= end, perms.count == 4, let offset = UInt64(offsetText, radix: 16),
            device.contains(":"), let inode = UInt64(inodeText)
        else { return nil }
        // The path runs to the end of the line and may itself contain spaces (or " (deleted)").
        let path = rest.drop { $0 == " " || $0 == "\t" }
        return ProcMapsEntry(
            start: HostAddress(start),
            end: HostAddress(end),
            perms: String(perms),
            offset: offset,
            device: String(device),
            inode: inode,
            path: String(path)
        )
    }
}

/// A line of maps text that does not have the `start-end perms offset dev inode [path]` shape.
public struct ProcMapsParseError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The 1-based line number in the parsed text.
    public var lineNumber: Int
    /// The offending line.
    public var line: String

    /// Describes a malformed line.
    public init(lineNumber: Int, line: String) {
        self.lineNumber = lineNumber
        self.line = line
    }

    /// `"maps line 3: malformed: …"`.
    public var description: String { "maps line \(lineNumber): malformed: \(line)" }
}
