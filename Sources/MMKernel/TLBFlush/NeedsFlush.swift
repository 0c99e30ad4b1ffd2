import MMHardware

/// The x86 flush-need predicates of arch/x86/include/asm/tlbflush.h, added by c9fe66560bf2
/// "mm/mprotect: do not flush when not required architecturally".
public enum NeedsFlush {
    /// Bits whose clearing makes cached translations too permissive or stale (`flush_on_clear`).
    static var flushOnClear: PTEFlags { [.dirty, .present, .accessed] }
    /// Bits any change of which must be flushed, in both directions (`flush_on_change`).
    static var flushOnChange: PTEFlags {
        PTEFlags(
            rawValue: PTEFlags([.writable, .user, .writeThrough, .cacheDisabled, .pse, .global, .patLarge, .noExecute])
                .rawValue | PTEFlags.pkeyMask.rawValue)
    }
    /// Software bits the hardware never caches.
    static var softwareBits: PTEFlags { [.special, .uffdWP, .softDirty, .software4, .savedDirty] }

    /// Models `pte_flags_need_flush()`.
    public static func flagsNeedFlush(_ old: PTEFlags, _ new: PTEFlags, ignoreAccess: Bool) -> Bool {
        var diff = PTEFlags(rawValue: (old.rawValue ^ new.rawValue) & ~PTEFlags.pfnMask).subtracting(softwareBits)
        if ignoreAccess { diff.remove(.accessed) }
        if !diff.intersection(old).intersection(flushOnClear).isEmpty { return true }
        if !diff.intersection(flushOnChange).isEmpty { return true }
        // Any other hardware bit changing is unexpected (the kernel warns under DEBUG_VM) and flushed to be safe.
        return !diff.subtracting(flushOnClear).isEmpty
    }

    /// Models `pte_needs_flush()`: an entry the hardware could not have cached (P clear: none, swap, PROT_NONE)
    /// never needs a flush; a new frame always does; otherwise the flag rules, ignoring A.
    public static func pte(_ old: PTE, _ new: PTE) -> Bool {
        guard old.hardwarePresent else { return false }
        if old.pfn != new.pfn { return true }
        return flagsNeedFlush(old.flags, new.flags, ignoreAccess: true)
    }

    /// Models `huge_pmd_needs_flush()`: as `pte(_:_:)` but clearing A on a PMD is flushed too.
    public static func hugePMD(_ old: PTE, _ new: PTE) -> Bool {
        guard old.hardwarePresent else { return false }
        if old.hugePFN != new.hugePFN { return true }
        return flagsNeedFlush(old.flags, new.flags, ignoreAccess: false)
    }
}
