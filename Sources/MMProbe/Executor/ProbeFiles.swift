import Glibc
import MMHost
import MMScenario

/// A scenario's `files:` made real for one run, fresh each run so that no page-cache state carries over: a `shmem`
/// (or write-sealed) file is a memfd, any other file a sparse regular file in a private directory under the host's
/// temporary directory (`$TMPDIR`, else `/tmp`), which must not be tmpfs, because a regular file there has writeback
/// (and so write-notify on shared writable mappings) and a tmpfs file has not. Each is opened with its declared
/// mode; the directory entry is removed at once, so only the descriptors keep the files.
struct ProbeFiles {
    /// The descriptor of each declared file, in declaration order.
    var fds: [Int32] = []

    /// `statfs` `f_type` of tmpfs (`TMPFS_MAGIC`).
    static let tmpfsMagic = 0x0102_1994

    /// Creates and opens every file of `specs`; throws the failing step as text.
    static func open(_ specs: [FileSpec]) throws(TracefsError) -> ProbeFiles {
        var files = ProbeFiles()
        guard !specs.isEmpty else { return files }
        var directory: String?
        defer { if let directory { rmdir(directory) } }
        do throws(HostError) {
            for spec in specs {
                let bytes = Int(spec.sizePages) * 4096
                if spec.shmem || spec.sealWrite {
                    let fd = try HostFile.memfd(name: spec.name, bytes: bytes, sealWrite: spec.sealWrite)
                    files.fds.append(try reopen(fd, spec))
                    continue
                }
                if directory == nil { directory = try HostFile.makeTemporaryDirectory(template: try diskTemplate()) }
                let path = (directory ?? "/tmp") + "/" + String(files.fds.count)
                try HostFile.create(path: path, bytes: bytes)
                let fd = try HostFile.openDescriptor(path: path, flags: openFlags(spec))
                unlink(path)
                files.fds.append(fd)
            }
        } catch {
            files.close()
            throw TracefsError("cannot create the scenario's files: \(error)")
        }
        return files
    }

    /// `O_RDONLY`, `O_WRONLY` or `O_RDWR` for the declared mode.
    static func openFlags(_ spec: FileSpec) -> Int32 {
        spec.readable && spec.writable ? O_RDWR : spec.writable ? O_WRONLY : O_RDONLY
    }

    /// A memfd (always created read-write) reopened through `/proc/self/fd` with the declared mode, unless that is
    /// read-write; the original is closed.
    static func reopen(_ fd: Int32, _ spec: FileSpec) throws(HostError) -> Int32 {
        let flags = openFlags(spec)
        guard flags != O_RDWR else { return fd }
        defer { Glibc.close(fd) }
        return try HostFile.openDescriptor(path: "/proc/self/fd/\(fd)", flags: flags)
    }

    /// A `mkdtemp` template in `$TMPDIR` or `/tmp`, or `/var/tmp` when those are tmpfs.
    static func diskTemplate() throws(HostError) -> String {
        var candidates = ["/tmp", "/var/tmp"]
        if let value = getenv("TMPDIR"), let text = String(validatingCString: value), !text.isEmpty {
            candidates.insert(text, at: 0)
        }
        for candidate in candidates where fileSystemType(candidate).map({ $0 != tmpfsMagic }) ?? false {
            return candidate + "/mmsim-probe-XXXXXX"
        }
        throw HostError(operation: "find a temporary directory that is not tmpfs", code: ENOENT)
    }

    /// The `f_type` of the file system holding `path` (`statfs(2)`, looked up with `dlsym`: the Glibc module does
    /// not import `sys/vfs.h`; `f_type` is the first field of the x86-64 `struct statfs`), nil if it fails.
    static func fileSystemType(_ path: String) -> Int? {
        typealias StatfsFunction = @convention(c) (UnsafePointer<CChar>, UnsafeMutableRawPointer) -> Int32
        guard let call = HostThread.symbol("statfs", as: StatfsFunction.self) else { return nil }
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: 256, alignment: 8)
        defer { buffer.deallocate() }
        guard path.withCString({ call($0, buffer) }) == 0 else { return nil }
        return buffer.load(as: Int.self)
    }

    /// Closes every descriptor.
    func close() {
        for fd in fds { Glibc.close(fd) }
    }
}
