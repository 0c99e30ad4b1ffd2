import MMKernel

/// One address space after a step: the threads sharing it and its VMAs as /proc/PID/smaps shows them.
public struct AddressSpaceLayout: Hashable, Sendable {
    /// The pid the report shows for the address space's first thread.
    public var pid: Int
    /// The names of the threads using the address space, in creation order.
    public var threads: [String]
    /// The VMAs, in address order.
    public var vmas: [SmapsEntry]
}
