import Glibc

/// Thin typed wrappers over the real kernel's memory-management system calls.
///
/// The simulator's results are checked against what this machine's kernel does; these wrappers keep that side
/// honest and small: one syscall each, no retries, failures thrown as ``HostError`` carrying the errno name.
/// Lengths are `Int` like C's `size_t` in Swift; pass `Int(bitPattern: UInt.max)` to probe `SIZE_MAX`.
public enum HostMemory {
    /// The kernel's base page size (`sysconf(_SC_PAGESIZE)`), 4096 on x86-64.
    public static var pageSize: Int { Int(sysconf(Int32(_SC_PAGESIZE))) }

    /// Calls `mmap(address, length, prot, flags, fd, offset)` and returns the mapped address.
    ///
    /// Pass `address: nil` to let the kernel choose. Throws `HostError` with the errno on `MAP_FAILED`.
    @discardableResult
    public static func mmap(
        address: HostAddress? = nil,
        length: Int,
        prot: HostProtection,
        flags: HostMapFlags,
        fd: Int32 = -1,
        offset: Int = 0
    ) throws(HostError) -> HostAddress {
        let result = Glibc.mmap(address?.pointer, length, prot.rawValue, flags.rawValue, fd, offset)
        // MAP_FAILED is ((void *)-1); Glibc's Swift overlay does not import the macro.
        guard let result, result != UnsafeMutableRawPointer(bitPattern: -1) else {
            throw HostError.lastErrno("mmap")
        }
        return HostAddress(result)
    }

    /// Calls `munmap(address, length)`, removing every mapping in the range.
    public static func munmap(_ address: HostAddress, length: Int) throws(HostError) {
        if Glibc.munmap(address.pointer, length) != 0 {
            throw HostError.lastErrno("munmap")
        }
    }

    /// Calls `mprotect(address, length, prot)`.
    ///
    /// Note that the real kernel may change part of the range before failing with `ENOMEM` on a hole
    /// (`do_mprotect_pkey()` rolls nothing back); callers comparing states should re-read `/proc/self/maps` after an
    /// error.
    public static func mprotect(_ address: HostAddress, length: Int, prot: HostProtection) throws(HostError) {
        if Glibc.mprotect(address.pointer, length, prot.rawValue) != 0 {
            throw HostError.lastErrno("mprotect")
        }
    }

    /// Calls `madvise(address, length, advice)`.
    public static func madvise(_ address: HostAddress, length: Int, advice: HostAdvice) throws(HostError) {
        if Glibc.madvise(address.pointer, length, advice.rawValue) != 0 {
            throw HostError.lastErrno("madvise")
        }
    }

    /// `mprotect` as a `Result`, for table-driven probes that record outcomes instead of stopping at the first.
    public static func mprotectResult(
        _ address: HostAddress,
        length: Int,
        prot: HostProtection
    ) -> Result<Void, HostError> {
        Result { () throws(HostError) in try mprotect(address, length: length, prot: prot) }
    }

    /// `mmap` as a `Result`, for table-driven probes that record outcomes instead of stopping at the first.
    public static func mmapResult(
        address: HostAddress? = nil,
        length: Int,
        prot: HostProtection,
        flags: HostMapFlags,
        fd: Int32 = -1,
        offset: Int = 0
    ) -> Result<HostAddress, HostError> {
        Result { () throws(HostError) in
            try mmap(address: address, length: length, prot: prot, flags: flags, fd: fd, offset: offset)
        }
    }
}
