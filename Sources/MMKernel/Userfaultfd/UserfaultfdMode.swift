/// The mode bits of the userfaultfd ioctls, from include/uapi/linux/userfaultfd.h.
public enum UserfaultfdMode {
    /// `UFFDIO_REGISTER_MODE_MISSING`.
    public static let registerMissing: UInt64 = 1 << 0
    /// `UFFDIO_REGISTER_MODE_WP`.
    public static let registerWP: UInt64 = 1 << 1
    /// `UFFDIO_REGISTER_MODE_MINOR`.
    public static let registerMinor: UInt64 = 1 << 2
    /// Every mode `UFFDIO_REGISTER` knows (`UFFD_API_REGISTER_MODES`).
    public static let registerModes: UInt64 = registerMissing | registerWP | registerMinor
    /// `UFFDIO_WRITEPROTECT_MODE_WP`.
    public static let writeProtectWP: UInt64 = 1 << 0
    /// `UFFDIO_WRITEPROTECT_MODE_DONTWAKE`.
    public static let writeProtectDontWake: UInt64 = 1 << 1
}
