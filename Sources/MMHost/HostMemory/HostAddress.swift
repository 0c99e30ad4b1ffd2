import Glibc

/// A user virtual address in this process, as the real kernel sees it.
///
/// The simulator keeps addresses as typed 64-bit values; the host side does the same so that the two can be
/// compared without raw integers leaking across module boundaries. Convert with `rawValue` on either side.
public struct HostAddress: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The address as an unsigned 64-bit number.
    public var rawValue: UInt64

    /// Wraps a raw 64-bit address.
    @inlinable public init(rawValue: UInt64) { self.rawValue = rawValue }

    /// Wraps a raw 64-bit address.
    @inlinable public init(_ value: UInt64) { self.rawValue = value }

    /// The address a pointer refers to, so results of Swift or C allocations can be described.
    @inlinable public init(_ pointer: UnsafeRawPointer) {
        self.rawValue = UInt64(UInt(bitPattern: pointer))
    }

    /// The address as a C pointer for passing to system calls; `nil` for address 0 (C's `NULL`).
    @inlinable public var pointer: UnsafeMutableRawPointer? {
        UnsafeMutableRawPointer(bitPattern: UInt(truncatingIfNeeded: rawValue))
    }

    /// The address `bytes` further on (or back, if negative), wrapping like pointer arithmetic in C.
    @inlinable public func advanced(by bytes: Int) -> HostAddress {
        HostAddress(rawValue: rawValue &+ UInt64(bitPattern: Int64(bytes)))
    }

    /// Signed byte distance from `self` to `other`, so windows can be expressed relative to a base.
    @inlinable public func distance(to other: HostAddress) -> Int64 {
        Int64(bitPattern: other.rawValue &- rawValue)
    }

    /// Orders addresses numerically.
    public static func < (lhs: HostAddress, rhs: HostAddress) -> Bool { lhs.rawValue < rhs.rawValue }

    /// Lowercase hex with a `0x` prefix, the form strace and `/proc` readers expect.
    public var description: String { "0x" + String(rawValue, radix: 16) }
}
