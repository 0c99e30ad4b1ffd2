import Glibc

extension HostMemory {
    /// The C signature of glibc's `pkey_mprotect(addr, len, prot, pkey)`.
    private typealias PKeyMprotectFunction = @convention(c) (UnsafeMutableRawPointer?, Int, Int32, Int32) -> Int32

    /// glibc's `pkey_mprotect`, looked up at run time: Swift's Glibc module does not import the GNU-only
    /// declaration, and `syscall(2)` is variadic and so not callable from Swift.
    private static let pkeyMprotectFunction: PKeyMprotectFunction? = {
        guard let symbol = dlsym(nil, "pkey_mprotect") else { return nil }
        return unsafeBitCast(symbol, to: PKeyMprotectFunction.self)
    }()

    /// Calls `pkey_mprotect(address, length, prot, pkey)`; pkey -1 behaves as `mprotect`.
    ///
    /// Throws `ENOSYS` if this C library lacks the wrapper.
    public static func pkeyMprotect(
        _ address: HostAddress,
        length: Int,
        prot: HostProtection,
        pkey: Int32
    ) throws(HostError) {
        guard let function = pkeyMprotectFunction else {
            throw HostError(operation: "pkey_mprotect", code: ENOSYS)
        }
        if function(address.pointer, length, prot.rawValue, pkey) != 0 {
            throw HostError.lastErrno("pkey_mprotect")
        }
    }
}
