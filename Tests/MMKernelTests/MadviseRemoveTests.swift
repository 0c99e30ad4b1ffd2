import MMHardware
import MMKernel
import MMTestSupport
import Testing

/// MADV_REMOVE (`madvise_remove()` → `vfs_fallocate(FALLOC_FL_PUNCH_HOLE)` → `unmap_mapping_range()`) and
/// MADV_WILLNEED (`madvise_willneed()`), Linux 6.18.
@Suite struct MadviseRemoveTests {
    @Test("REMOVE on shared anonymous memory (shmem) punches a hole: the pages read as zeroes again")
    func removeSharedAnonymous() throws {
        var (machine, main) = makeProcess()
        let base = try machine.mapAnon(main, pages: 4, shared: true)
        _ = machine.access(main, base + pageBytes, .write, value: 11)
        _ = machine.access(main, base + 2 * pageBytes, .write, value: 12)
        try machine.madvise(main, base + pageBytes, pageBytes, advice: Advice.remove.rawValue)
        #expect(machine.leaf(main, base + pageBytes).entry.isNone)
        #expect(machine.access(main, base + pageBytes, .read) == .value(0))
        #expect(machine.access(main, base + 2 * pageBytes, .read) == .value(12))
    }

    @Test("REMOVE reaches every process mapping the file, but private COW copies stay")
    func removeReachesOtherMappings() throws {
        var (machine, main) = makeProcess()
        let other = machine.createProcess(name: "other", cpu: CPUID(1))
        let file = machine.createFile(name: "data", sizePages: 2)
        let shared = try machine.mapFile(main, file, pages: 2, prot: [.read, .write], shared: true)
        let peer = try machine.mapFile(other, file, pages: 2, prot: .read, shared: true)
        let cow = try machine.mapFile(other, file, pages: 2, prot: [.read, .write], shared: false)
        _ = machine.access(main, shared, .write, value: 21)
        #expect(machine.access(other, peer, .read) == .value(21))
        _ = machine.access(other, cow, .write, value: 22)
        try machine.madvise(main, shared, pageBytes, advice: Advice.remove.rawValue)
        #expect(machine.leaf(other, peer).entry.isNone)
        #expect(machine.access(other, peer, .read) == .value(0))
        #expect(machine.access(other, cow, .read) == .value(22))
        #expect(machine.files[file.rawValue].holes.contains(0))
    }

    struct RefusalRow: Sendable, CustomTestStringConvertible {
        var name: String
        var expected: KernelErrno
        var testDescription: String { name }
    }

    @Test("REMOVE on private anonymous memory is EINVAL (no file)")
    func privateAnonymous() throws {
        var (machine, main) = makeProcess()
        let base = try machine.mapAnon(main, pages: 2)
        #expect(throws: KernelErrno.EINVAL) {
            try machine.madvise(main, base, pageBytes, advice: Advice.remove.rawValue)
        }
    }

    @Test("REMOVE on a private file mapping is EACCES (not VM_SHARED)")
    func privateFile() throws {
        var (machine, main) = makeProcess()
        let file = machine.createFile(name: "data", sizePages: 2)
        let base = try machine.mapFile(main, file, pages: 2, prot: [.read, .write], shared: false)
        #expect(throws: KernelErrno.EACCES) {
            try machine.madvise(main, base, pageBytes, advice: Advice.remove.rawValue)
        }
    }

    @Test("REMOVE on a shared mapping of a read-only file is EACCES (no VM_SHARED, no VM_MAYWRITE)")
    func readOnlyFile() throws {
        var (machine, main) = makeProcess()
        let file = machine.createFile(name: "ro", sizePages: 2, writable: false)
        let base = try machine.mapFile(main, file, pages: 2, prot: .read, shared: true)
        #expect(throws: KernelErrno.EACCES) {
            try machine.madvise(main, base, pageBytes, advice: Advice.remove.rawValue)
        }
    }

    @Test("REMOVE on a read-only shared mapping of a writable file is allowed (VM_MAYWRITE is enough)")
    func readOnlyMappingOfWritableFile() throws {
        var (machine, main) = makeProcess()
        let file = machine.createFile(name: "data", sizePages: 2)
        let base = try machine.mapFile(main, file, pages: 2, prot: .read, shared: true)
        try machine.madvise(main, base, pageBytes, advice: Advice.remove.rawValue)
    }

    @Test("REMOVE on a locked VMA is EINVAL, before the file checks")
    func locked() throws {
        var (machine, main) = makeProcess()
        let base = try machine.mapAnon(main, pages: 2, extraFlags: .locked)
        #expect(throws: KernelErrno.EINVAL) {
            try machine.madvise(main, base, pageBytes, advice: Advice.remove.rawValue)
        }
    }

    @Test("WILLNEED on anonymous memory changes nothing the model shows")
    func willNeedAnonymous() throws {
        var (machine, main) = makeProcess()
        let base = try machine.mapAnon(main, pages: 2)
        try machine.madvise(main, base, 2 * pageBytes, advice: Advice.willNeed.rawValue)
        #expect(machine.leaf(main, base).entry.isNone)
    }

    @Test("WILLNEED on a file reads ahead into the page cache (to EOF) without mapping anything")
    func willNeedFile() throws {
        var (machine, main) = makeProcess()
        let file = machine.createFile(name: "data", sizePages: 3)
        let base = try machine.mapFile(main, file, pages: 4, prot: .read, shared: false)
        try machine.madvise(main, base, 4 * pageBytes, advice: Advice.willNeed.rawValue)
        #expect(machine.files[file.rawValue].pageCache.count == 3)
        #expect(machine.leaf(main, base).entry.isNone)
    }
}
