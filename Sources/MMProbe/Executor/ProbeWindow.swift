import Glibc
import MMHost

/// The part of this process's address space a probe run uses: a 4 GiB `PROT_NONE` reservation with a 2 GiB hole
/// around a 1 GiB-aligned `top`. Model addresses near the model's `mmap_base` are translated to the same offsets
/// from `top`, so regions sit at the same page-table positions as in the model (same PMD and PTE-table sharing,
/// the same page tables freed by munmap), with nothing else mapped within 1 GiB.
struct ProbeWindow {
    /// One GiB.
    static let gib: UInt64 = 1 << 30
    /// The reservation's start.
    let base: UInt64
    /// The reservation's length.
    let length: UInt64
    /// The real address that corresponds to the model's `mmap_base`.
    let top: UInt64
    /// The model's `mmap_base`.
    let modelBase: UInt64

    /// Reserves the window and opens the hole; throws the failing call.
    init(modelBase: UInt64) throws(HostError) {
        let length = 4 * Self.gib
        let reserved = try HostMemory.mmap(
            length: Int(length), prot: .none, flags: [.private, .anonymous, .noReserve])
        base = reserved.rawValue
        self.length = length
        top = (base + Self.gib + Self.gib - 1) & ~(Self.gib - 1)
        self.modelBase = modelBase
        try HostMemory.munmap(HostAddress(top - Self.gib), length: Int(2 * Self.gib))
    }

    /// The real address for a model address within 1 GiB of `mmap_base`; other addresses (0, kernel addresses,
    /// wrapping arguments) are passed through unchanged so invalid arguments stay invalid.
    func real(_ model: UInt64) -> UInt64 {
        let offset = Int64(bitPattern: model &- modelBase)
        guard offset.magnitude < Self.gib else { return model }
        return top &+ UInt64(bitPattern: offset)
    }

    /// The model address for a real address inside the hole.
    func model(_ real: UInt64) -> UInt64 { real &- top &+ modelBase }

    /// Unmaps the whole window, regions included.
    func release() {
        try? HostMemory.munmap(HostAddress(base), length: Int(length))
    }
}
