import MMHardware
import MMKernel

/// One entry of `steps:`: an operation, an optional note, and what it is expected to do.
public struct Step: Sendable {
    /// Where the step starts in the file.
    public var location: SourceLocation
    /// The operation.
    public var kind: Kind
    /// A one-line explanation shown in reports (`note:`).
    public var note: String?
    /// The checks run after the step.
    public var expectations: [Expectation]

    /// What a step does.
    public enum Kind: Sendable {
        /// One call of the vocabulary (`Syscall`): mmap, mprotect, madvise, fork, WRPKRU, ...
        case call(CallStep)
        /// User-space loads, stores or instruction fetches over pages (one `Syscall.access` per page).
        case access(AccessStep)
        /// The CPU runs its idle task (lazy TLB mode).
        case idle(cpu: Int)
        /// A standalone `expect:` block.
        case expect
    }

    /// The step's keyword as written (`mmap`, `write`, `prctl_mdwe`, `expect`, ...).
    public var keyword: String {
        switch kind {
        case .call(let call): return call.keyword
        case .access(let access):
            switch access.kind {
            case .read: return "read"
            case .write: return "write"
            case .execute: return "exec"
            }
        case .idle: return "idle"
        case .expect: return "expect"
        }
    }

    /// Whether the step enters the kernel as a syscall (or an ioctl, or the NUMA scanner's task work): the cost
    /// model charges the fixed syscall cost for these, not for user-mode instructions such as WRPKRU.
    public var isSyscall: Bool {
        if case .call(let call) = kind { return call.syscall.entersKernel }
        return false
    }
}

/// A step that performs one call: the `Syscall` with every argument the file gave literally, plus the arguments
/// given symbolically (a region, `buf + 1 page`, a page range), which only get their values when the step runs,
/// because regions only get their addresses then.
public struct CallStep: Sendable {
    /// The step's keyword as written (`mprotect`, `prctl_mdwe`, `execve`, ...).
    public var keyword: String
    /// The calling thread.
    public var thread: String
    /// The call; the fields named by `span`, `address` and `newAddress` hold 0 until ``resolve(_:)``.
    public var syscall: Syscall
    /// The range whose start and length become the call's `address` and `length` fields.
    public var span: Span?
    /// The expression that becomes the `address` field when there is no span (mmap's hint).
    public var address: AddressExpression?
    /// The expression that becomes mremap's `new_address`.
    public var newAddress: AddressExpression?
    /// The region name the result is given (mmap's `region:`, mremap's `new_region:`).
    public var resultRegion: String?

    /// Creates a call step.
    public init(
        keyword: String, thread: String, syscall: Syscall, span: Span? = nil, address: AddressExpression? = nil,
        newAddress: AddressExpression? = nil, resultRegion: String? = nil
    ) {
        self.keyword = keyword
        self.thread = thread
        self.syscall = syscall
        self.span = span
        self.address = address
        self.newAddress = newAddress
        self.resultRegion = resultRegion
    }

    /// The call with its symbolic arguments evaluated, `region` giving each mapped region's start and length; a
    /// failure names the region that is not mapped or the expression that overflows.
    public func resolve(
        _ region: (String) -> (start: UInt64, length: UInt64)?
    ) -> Result<Syscall, AddressExpression.EvaluationError> {
        var call = syscall
        if let span {
            switch span.resolve(region) {
            case .success(let range): call = call.setting(.address, to: range.start).setting(.length, to: range.length)
            case .failure(let failure): return .failure(failure)
            }
        }
        let start = { (name: String) in region(name)?.start }
        if let address {
            switch address.evaluate(start) {
            case .success(let value): call = call.setting(.address, to: value)
            case .failure(let failure): return .failure(failure)
            }
        }
        if let newAddress {
            switch newAddress.evaluate(start) {
            case .success(let value): call = call.setting(.newAddress, to: value)
            case .failure(let failure): return .failure(failure)
            }
        }
        return .success(call)
    }
}

/// A range of user memory: a base address, and either a page range relative to it or an explicit length.
public struct Span: Hashable, Sendable {
    /// Where the range is measured from.
    public var base: AddressExpression
    /// Pages relative to `base`, if given.
    public var pages: PageRange?
    /// Length in bytes, if given explicitly.
    public var length: UInt64?

    /// The range's start and length in bytes: `pages` relative to the base, else `length`, else the whole region
    /// (or one page for a bare address). `region` gives each mapped region's start and length.
    public func resolve(
        _ region: (String) -> (start: UInt64, length: UInt64)?
    ) -> Result<(start: UInt64, length: UInt64), AddressExpression.EvaluationError> {
        let pageSize: UInt64 = 4096
        let start: UInt64
        switch base.evaluate({ region($0)?.start }) {
        case .success(let value): start = value
        case .failure(let failure): return .failure(failure)
        }
        if let pages {
            let (offset, o1) = pages.lower.multipliedReportingOverflow(by: pageSize)
            let (first, o2) = start.addingReportingOverflow(offset)
            let (length, o3) = pages.count.multipliedReportingOverflow(by: pageSize)
            if o1 || o2 || o3 {
                return .failure(.init(message: "the range of '\(base.text)' overflows 64 bits"))
            }
            return .success((first, length))
        }
        if let length { return .success((start, length)) }
        if let name = base.region, base.offsets.isEmpty, let mapped = region(name) {
            return .success((start, mapped.length))
        }
        return .success((start, pageSize))
    }
}

/// An inclusive range of page indices, written `0..15`, `0..<16` or `3`.
public struct PageRange: Hashable, Sendable, CustomStringConvertible {
    /// First page.
    public var lower: UInt64
    /// Last page (inclusive).
    public var upper: UInt64

    /// Number of pages.
    public var count: UInt64 { upper - lower + 1 }

    /// `3` or `0..15`.
    public var description: String { lower == upper ? "\(lower)" : "\(lower)..\(upper)" }
}

/// The arguments of an access step.
public struct AccessStep: Sendable {
    /// The accessing thread.
    public var thread: String
    /// Read, write or instruction fetch.
    public var kind: AccessKind
    /// The pages touched, one access per page.
    public var span: Span
    /// The token a write stores.
    public var value: UInt64
}
