/// User-space loads or stores over consecutive pages of this process, one 8-byte access at the start of each page,
/// as a scenario's `read`/`write` step does them (the model gives each page one access too).
struct PageAccess: Sendable {
    /// Load or store.
    enum Kind: Int, Sendable {
        /// A load (faults in the zero page on untouched anon memory).
        case read = 0
        /// A store of `value` (faults in a private page).
        case write = 1
    }

    /// Load or store.
    var kind: Kind
    /// The first page's address.
    var address: UInt64
    /// How many pages.
    var pages: UInt64
    /// The value stored by writes.
    var value: UInt64

    /// Performs the accesses on the calling thread and returns the last value read (or written).
    @discardableResult
    func perform() -> UInt64 {
        var last: UInt64 = 0
        for page in 0..<pages {
            guard let pointer = UnsafeMutablePointer<UInt64>(bitPattern: UInt(address + page * 4096)) else { continue }
            switch kind {
            case .read: last = Self.load(pointer)
            case .write:
                Self.store(value, pointer)
                last = value
            }
        }
        return last
    }

    /// A load the optimiser keeps (the pointer escapes into a function it cannot see through).
    @inline(never)
    static func load(_ pointer: UnsafeMutablePointer<UInt64>) -> UInt64 { pointer.pointee }

    /// A store the optimiser keeps.
    @inline(never)
    static func store(_ value: UInt64, _ pointer: UnsafeMutablePointer<UInt64>) { pointer.pointee = value }
}
