import Glibc

/// The C library's `syscall()` and `clone()` entry points, looked up once with `dlsym`, and the x86-64 system call
/// numbers the probe makes.
///
/// A measured call goes through one function pointer, so that warming the path up once (resolving the entry point,
/// touching its stack and `errno`) warms it for every call. `syscall()` is variadic in C; on x86-64 a variadic
/// callee reads its integer arguments from the same registers as a fixed-argument one, so the fixed prototype below
/// calls it correctly. It returns the raw result, or -1 with `errno` set.
struct RawSyscall: Sendable {
    /// `long syscall(long number, ...)`, called with six arguments.
    typealias Function = @convention(c) (Int, Int, Int, Int, Int, Int, Int) -> Int
    /// `int clone(int (*fn)(void *), void *stack, int flags, void *arg, ...)`.
    typealias CloneFunction =
        @convention(c) (
            @convention(c) (UnsafeMutableRawPointer?) -> Int32, UnsafeMutableRawPointer?, Int32,
            UnsafeMutableRawPointer?
        ) -> Int32

    /// `syscall()`.
    let call: Function
    /// `clone()`.
    let clone: CloneFunction

    /// Looks both up; nil if the C library lacks them.
    static func load() -> RawSyscall? {
        guard let call = HostThread.symbol("syscall", as: Function.self),
            let clone = HostThread.symbol("clone", as: CloneFunction.self)
        else { return nil }
        return RawSyscall(call: call, clone: clone)
    }

    /// x86-64 system call numbers (arch/x86/entry/syscalls/syscall_64.tbl).
    enum Number {
        /// write(2).
        static let write = 1
        /// mmap(2).
        static let mmap = 9
        /// mprotect(2).
        static let mprotect = 10
        /// munmap(2).
        static let munmap = 11
        /// madvise(2).
        static let madvise = 28
        /// clone(2), which the C library's `clone()` and `fork()` make.
        static let clone = 56
        /// exit(2) of the calling thread.
        static let exit = 60
        /// read(2).
        static let read = 0
        /// sched_setaffinity(2).
        static let schedSetAffinity = 203
        /// prctl(2).
        static let prctl = 157
        /// futex(2).
        static let futex = 202
    }
}
