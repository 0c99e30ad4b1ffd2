import Glibc

/// Memory statistics of the current process, from `/proc/self/statm`.
///
/// Used to measure how much real memory a run (or a populated benchmark region) actually occupies.
public enum HostProcessStats {
    /// The fields of `/proc/<pid>/statm`, in pages.
    public struct Statm: Hashable, Sendable {
        /// Total program size (`VmSize`) in pages.
        public var size: Int
        /// Resident set size (`VmRSS`) in pages.
        public var resident: Int
        /// Resident shared (file-backed or shmem) pages.
        public var shared: Int
        /// Text (code) pages.
        public var text: Int
        /// Data plus stack pages.
        public var data: Int

        /// Creates a record from page counts.
        public init(size: Int, resident: Int, shared: Int, text: Int, data: Int) {
            self.size = size
            self.resident = resident
            self.shared = shared
            self.text = text
            self.data = data
        }
    }

    /// Parses statm text (`"size resident shared text lib data dt"`); `nil` if it has fewer than 6 numbers.
    public static func parseStatm(_ text: String) -> Statm? {
        let numbers = text.split(whereSeparator: { $0 == " " || $0 == "\n" }).compactMap { Int($0) }
        guard numbers.count >= 6 else { return nil }
        return Statm(size: numbers[0], resident: numbers[1], shared: numbers[2], text: numbers[3], data: numbers[5])
    }

    /// This process's statm record.
    public static func statm() throws(HostError) -> Statm {
        let text = try HostFile.read(path: "/proc/self/statm")
        guard let statm = parseStatm(text) else {
            throw HostError(operation: "parse /proc/self/statm", code: EINVAL)
        }
        return statm
    }

    /// The resident set size of this process in bytes (resident pages times the page size).
    public static func residentBytes() throws(HostError) -> Int {
        try statm().resident * HostMemory.pageSize
    }
}
