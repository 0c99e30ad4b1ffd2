import Glibc

/// The monotonic clock used to time real syscalls.
///
/// `CLOCK_MONOTONIC` never jumps with wall-clock adjustments, so differences between two readings are
/// durations; that is what the benchmark and the oracles time with.
public enum HostClock {
    /// Nanoseconds on `CLOCK_MONOTONIC` since an arbitrary fixed point (boot, on Linux).
    @inlinable public static func monotonicNanoseconds() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) &* 1_000_000_000 &+ UInt64(time.tv_nsec)
    }
}
