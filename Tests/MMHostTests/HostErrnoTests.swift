import MMHost
import Testing

extension HostSuite {
    @Suite struct HostErrnoTests {
        @Test(arguments: [
            ("EPERM", 1), ("ESRCH", 3), ("EINTR", 4), ("EBADF", 9), ("EAGAIN", 11), ("ENOMEM", 12),
            ("EACCES", 13), ("EFAULT", 14), ("EEXIST", 17), ("ENODEV", 19), ("EINVAL", 22), ("ETXTBSY", 26),
            ("EOVERFLOW", 75),
        ])
        func namesTheMemoryManagementErrnos(name: String, code: Int32) {
            #expect(HostErrno.name(of: code) == name)
            #expect(HostErrno.code(named: name) == code)
        }

        @Test func aliasesResolveButTheCanonicalNameWins() {
            #expect(HostErrno.code(named: "EWOULDBLOCK") == 11)
            #expect(HostErrno.name(of: 11) == "EAGAIN")
            #expect(HostErrno.name(of: 9999) == "E9999")
            #expect(HostErrno.code(named: "ENOTANERRNO") == nil)
        }

        @Test func messagesComeFromTheCLibrary() {
            #expect(HostErrno.message(of: 12) == "Cannot allocate memory")
            #expect(HostError(operation: "mmap", code: 12).description == "mmap: ENOMEM (Cannot allocate memory)")
        }
    }
}
