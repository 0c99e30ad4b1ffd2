import MMHardware

/// The x86 `protection_map[]` of arch/x86/mm/pgprot.c and `vm_get_page_prot()`, which ORs in the VMA's
/// protection key.
public enum ProtectionMap {
    /// Mirrors `PAGE_NONE`: PROTNONE and A, P clear.
    public static var pageNone: PTEFlags { [.protNone, .accessed] }
    /// Mirrors `PAGE_READONLY` (also `PAGE_COPY`/`PAGE_COPY_NOEXEC`): present, user, accessed, NX, no RW.
    public static var pageReadOnly: PTEFlags { [.present, .user, .accessed, .noExecute] }
    /// Mirrors `PAGE_READONLY_EXEC` (also `PAGE_COPY_EXEC`).
    public static var pageReadOnlyExec: PTEFlags { [.present, .user, .accessed] }
    /// Mirrors `PAGE_SHARED`.
    public static var pageShared: PTEFlags { [.present, .writable, .user, .accessed, .noExecute] }
    /// Mirrors `PAGE_SHARED_EXEC`.
    public static var pageSharedExec: PTEFlags { [.present, .writable, .user, .accessed] }

    /// Models `vm_get_page_prot()` on x86: the template indexed by READ|WRITE|EXEC|SHARED, plus the pkey bits.
    /// A private writable mapping gets no RW bit (`PAGE_COPY`): its first write faults so COW can happen.
    public static func pageProtection(for flags: VMFlags) -> PTEFlags {
        let write = flags.contains(.write)
        let exec = flags.contains(.exec)
        let any = !flags.intersection([.read, .write, .exec]).isEmpty
        var prot: PTEFlags
        if !any {
            prot = pageNone
        } else if flags.contains(.shared) && write {
            prot = exec ? pageSharedExec : pageShared
        } else {
            prot = exec ? pageReadOnlyExec : pageReadOnly
        }
        if flags.pkey != 0 {
            prot.formUnion(PTEFlags(rawValue: UInt64(flags.pkey) << PTEFlags.pkeyShift))
        }
        return prot
    }
}
