/// Identifies an address space (`struct mm_struct`).
public struct MMID: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    public var rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }
    public static func < (lhs: MMID, rhs: MMID) -> Bool { lhs.rawValue < rhs.rawValue }
    public var description: String { "mm\(rawValue)" }
}

/// Identifies a thread (`struct task_struct`).
public struct TaskID: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    public var rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }
    public static func < (lhs: TaskID, rhs: TaskID) -> Bool { lhs.rawValue < rhs.rawValue }
    public var description: String { "task\(rawValue)" }
}

/// Identifies a simulated file (`struct file` plus its inode and page cache).
public struct FileID: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    public var rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }
    public static func < (lhs: FileID, rhs: FileID) -> Bool { lhs.rawValue < rhs.rawValue }
    public var description: String { "file\(rawValue)" }
}

/// Identifies an `anon_vma`: the reverse-map root shared by VMAs whose anonymous pages may be shared.
public struct AnonVMAID: RawRepresentable, Hashable, Sendable {
    public var rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }
}
