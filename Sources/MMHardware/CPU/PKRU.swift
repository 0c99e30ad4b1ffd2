/// The layout of the PKRU register (protection-key rights for user pages): two bits per key for the 16 keys a
/// PTE can name in bits 59..62. Mirrors the `PKRU_AD_BIT`/`PKRU_WD_BIT` helpers of arch/x86/include/asm/pkru.h.
///
/// The register only restricts data accesses to user pages; instruction fetches and supervisor pages never
/// consult it, and it only counts while CR4.PKE is set.
public enum PKRU {
    /// Number of protection keys (`arch_max_pkey()` with PKU).
    public static let keyCount = 16

    /// Mirrors `PKRU_AD_BIT` shifted to `key`: bit 2·key, access disable (no reads or writes).
    @inlinable public static func accessDisable(_ key: Int) -> UInt32 { 1 << UInt32(2 * key) }

    /// Mirrors `PKRU_WD_BIT` shifted to `key`: bit 2·key+1, write disable.
    @inlinable public static func writeDisable(_ key: Int) -> UInt32 { 2 << UInt32(2 * key) }

    /// Whether `value` lets a user-mode data access reach a page with protection key `key`: models the
    /// processor's check, which `__pkru_allows_read()`/`__pkru_allows_write()` mirror in software. A read needs AD
    /// clear; a write needs AD and WD clear.
    @inlinable public static func permits(_ value: UInt32, key: Int, write: Bool) -> Bool {
        let bits = (value >> UInt32(2 * (key & 0xF))) & 0x3
        return write ? bits == 0 : bits & 0x1 == 0
    }
}
