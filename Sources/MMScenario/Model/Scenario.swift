import MMKernel

/// A parsed scenario: the machine to build, its threads and files, and the steps to run on it.
public struct Scenario: Sendable {
    /// The file name the scenario came from (used in messages and reports).
    public var file: String
    /// Optional `name:`.
    public var name: String?
    /// Optional `description:`.
    public var description: String?
    /// The kernel and hardware configuration from `machine:`.
    public var config: KernelConfig
    /// Threads created before the first step, in order.
    public var threads: [ThreadSpec]
    /// Files created before the first step, in order (fds 3, 4, ...).
    public var files: [FileSpec]
    /// The steps, in order.
    public var steps: [Step]
}

/// One entry of `threads:`: a named thread pinned to a CPU, either starting a process or joining one.
public struct ThreadSpec: Hashable, Sendable {
    /// The thread's name, used by steps.
    public var name: String
    /// The CPU it is pinned to.
    public var cpu: Int
    /// The name of an earlier thread whose process (mm) this thread joins; nil starts a new process.
    public var process: String?
}

/// One entry of `files:`: a simulated open file.
public struct FileSpec: Hashable, Sendable {
    /// The name steps use as `fd:`.
    public var name: String
    /// Size in pages (rounded up from bytes).
    public var sizePages: UInt64
    /// Opened for reading.
    public var readable: Bool
    /// Opened for writing.
    public var writable: Bool
    /// Lives on a `noexec` mount.
    public var noexec: Bool
    /// A memfd with `F_SEAL_WRITE`.
    public var sealWrite: Bool
    /// A shmem (tmpfs/memfd) file.
    public var shmem: Bool
    /// The fd number the scenario gives it (3 for the first file).
    public var fd: Int
}
