import Glibc

/// Per-thread scheduling calls that Swift's Glibc module does not import (they need `_GNU_SOURCE`), looked up
/// with `dlsym`: CPU affinity, the current CPU, the thread id, and `SCHED_FIFO`.
enum HostThread {
    /// `sched_setaffinity`/`sched_getaffinity(pid, size, mask)`.
    typealias AffinityCall = @convention(c) (pid_t, Int, UnsafeMutableRawPointer?) -> Int32
    /// `gettid()` / `sched_getcpu()`.
    typealias IntCall = @convention(c) () -> Int32

    /// Looks up `name` in the already loaded C library (`RTLD_DEFAULT` is the null handle on glibc).
    static func symbol<T>(_ name: String, as type: T.Type) -> T? {
        guard let pointer = dlsym(UnsafeMutableRawPointer(bitPattern: 0), name) else { return nil }
        return unsafeBitCast(pointer, to: type)
    }

    /// The calling thread's kernel thread id (the `pid` tracefs prints).
    static func tid() -> Int32 {
        symbol("gettid", as: IntCall.self)?() ?? getpid()
    }

    /// The CPU the calling thread runs on, or -1.
    static func currentCPU() -> Int32 {
        symbol("sched_getcpu", as: IntCall.self)?() ?? -1
    }

    /// The calling thread's affinity mask (up to 1024 CPUs), nil if it cannot be read.
    static func affinity() -> [UInt64]? {
        guard let call = symbol("sched_getaffinity", as: AffinityCall.self) else { return nil }
        var mask = [UInt64](repeating: 0, count: 16)
        let result = mask.withUnsafeMutableBytes { call(0, $0.count, $0.baseAddress) }
        return result == 0 ? mask : nil
    }

    /// Sets the calling thread's affinity mask; false if it failed.
    @discardableResult
    static func setAffinity(_ mask: [UInt64]) -> Bool {
        guard let call = symbol("sched_setaffinity", as: AffinityCall.self) else { return false }
        var copy = mask
        return copy.withUnsafeMutableBytes { call(0, $0.count, $0.baseAddress) } == 0
    }

    /// Pins the calling thread to `cpu`; false if that failed (CPU offline or out of range).
    static func pin(to cpu: Int) -> Bool {
        guard cpu >= 0, cpu < 1024 else { return false }
        var mask = [UInt64](repeating: 0, count: 16)
        mask[cpu / 64] = 1 << UInt64(cpu % 64)
        return setAffinity(mask) && currentCPU() == Int32(cpu)
    }

    /// Tries to run the calling thread as `SCHED_FIFO` priority 1; false if not permitted.
    static func trySchedFIFO() -> Bool {
        var parameter = sched_param()
        parameter.sched_priority = 1
        return pthread_setschedparam(pthread_self(), Int32(SCHED_FIFO), &parameter) == 0
    }

    /// The number of online CPUs.
    static var onlineCPUs: Int { Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))) }
}
