import MMHardware

/// Flags of mlock2(2) and mlockall(2) (include/uapi/asm-generic/mman-common.h, arch/x86 uses the generic values).
public enum MlockFlags {
    /// `MLOCK_ONFAULT`: lock pages as they are faulted in instead of populating the range now.
    public static let onFault: Int32 = 0x1
    /// `MCL_CURRENT`: lock every current mapping.
    public static let current: Int32 = 0x1
    /// `MCL_FUTURE`: lock every future mapping (`mm->def_flags` gets `VM_LOCKED`).
    public static let future: Int32 = 0x2
    /// `MCL_ONFAULT`: with MCL_CURRENT or MCL_FUTURE, lock on fault rather than populate.
    public static let mclOnFault: Int32 = 0x4
}

extension Machine {
    /// Models `can_do_mlock()` in mm/mlock.c: a process may lock memory if its `RLIMIT_MEMLOCK` is not zero or it
    /// has `CAP_IPC_LOCK` (`KernelConfig.memlockLimit`, `KernelConfig.capIPCLock`).
    var canDoMlock: Bool { config.memlockLimit != 0 || config.capIPCLock }

    /// `rlimit(RLIMIT_MEMLOCK) >> PAGE_SHIFT`: the lock limit in pages.
    var memlockLimitPages: UInt64 { config.memlockLimit >> PageGeometry.pageShift }

    /// Models `mlock_future_ok()` in mm/mmap.c: whether `bytes` more of a mapping with `flags` may be locked — always
    /// if the mapping is not `VM_LOCKED` or the process has `CAP_IPC_LOCK`, else if `locked_vm` plus the new pages
    /// stays within `RLIMIT_MEMLOCK`. mmap and mremap refuse with EAGAIN, stack growth with ENOMEM.
    func mlockFutureOK(_ mmID: MMID, _ flags: VMFlags, _ bytes: UInt64) -> Bool {
        if !flags.contains(.locked) || config.capIPCLock { return true }
        let locked = UInt64(max(0, mm(mmID).accounting.lockedVM)) &+ (bytes >> PageGeometry.pageShift)
        return locked <= memlockLimitPages
    }
}
