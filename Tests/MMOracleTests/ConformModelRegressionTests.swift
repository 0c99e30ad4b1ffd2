import MMHardware
import MMKernel
import MMOracle
import Testing

/// Model bugs the conformance run found against Linux 6.18, one test each, named after the kernel function.
@Suite struct ConformModelRegressionTests {
    /// A machine with one process and a window of `pages` pages at `base`, as the conformance model session builds.
    static func session(_ configure: (inout KernelConfig) -> Void = { _ in }) throws -> ConformModelSession {
        var config = KernelConfig()
        configure(&config)
        return try ConformModelSession(config: config, window: ConformWindow(base: 0x6f00_0000_0000, pages: 48))
    }

    /// Runs `call` with its address at window offset `offset`.
    static func run(_ session: inout ConformModelSession, _ call: Syscall, at offset: Int64) -> ConformObservation {
        session.run(.call(call, address: .window(offset), newAddress: .absolute(0)))
    }

    @Test("check_mremap_params(): only a request with a target address needs map-count headroom")
    func mremapHeadroom() throws {
        var session = try Self.session { $0.maxMapCount = 8 }
        // Guards plus 4 split pieces: map_count 6, so 6 + 2 >= 8 - 3 refuses a move but not an in-place resize.
        _ = Self.run(&session, .mmap(address: 0, length: 0x8000, prot: 3, flags: 0x32, fd: -1, offset: 0), at: 4096)
        for page: Int64 in [2, 4] {
            _ = Self.run(&session, .mprotect(address: 0, length: 4096, prot: 1), at: page * 4096)
        }
        #expect(
            Self.run(&session, .mremap(address: 0, oldLength: 4096, newLength: 4096, flags: 0, newAddress: 0), at: 4096)
                .result == "w+4096")
        #expect(
            Self.run(
                &session, .mremap(address: 0, oldLength: 4096, newLength: 4096, flags: 0, newAddress: 0), at: 40 * 4096
            ).result == "EFAULT")
        let move = session.run(
            .call(
                .mremap(address: 0, oldLength: 4096, newLength: 4096, flags: 3, newAddress: 0),
                address: .window(4096), newAddress: .window(30 * 4096)))
        #expect(move.result == "ENOMEM")
    }

    @Test("do_mmap(): MAP_DROPPABLE maps private anonymous memory and refuses MAP_LOCKED and files")
    func droppable() throws {
        var session = try Self.session()
        #expect(
            Self.run(&session, .mmap(address: 0, length: 8192, prot: 3, flags: 0x38, fd: -1, offset: 0), at: 4096)
                .result == "w+4096")
        #expect(
            Self.run(&session, .mmap(address: 0, length: 8192, prot: 3, flags: 0x2038, fd: -1, offset: 0), at: 8 * 4096)
                .result == "EINVAL")
        #expect(
            Self.run(&session, .mmap(address: 0, length: 8192, prot: 1, flags: 0x18, fd: 3, offset: 0), at: 8 * 4096)
                .result == "EINVAL")
    }

    @Test("ksys_mmap_pgoff(): MAP_HUGETLB needs a known size, a hugetlbfs file and a huge-aligned fixed address")
    func hugetlb() throws {
        var session = try Self.session()
        for (flags, fd) in [(0x40032 as UInt64, -1 as Int64), (0x7804_0032, -1), (0x40012, 3)] {
            let result = Self.run(
                &session, .mmap(address: 0, length: 4096, prot: 3, flags: flags, fd: fd, offset: 0), at: 4096
            ).result
            #expect(result == "EINVAL", "flags 0x\(String(flags, radix: 16))")
        }
    }

    @Test("shmem_zero_setup(): shared anonymous memory reads zero, and read faults map cached neighbours")
    func sharedAnonymousZeroAndFaultAround() throws {
        var session = try Self.session()
        _ = Self.run(&session, .mmap(address: 0, length: 4 * 4096, prot: 3, flags: 0x31, fd: -1, offset: 0), at: 4096)
        #expect(Self.run(&session, .access(address: 0, kind: .read, value: 0), at: 4096).result == "0x0")
        // do_fault_around(): a private read-only mapping of a cached 4-page file maps all four on one read fault.
        let mapped = Self.run(
            &session, .mmap(address: 0, length: 4 * 4096, prot: 1, flags: 0x12, fd: 3, offset: 0), at: 16 * 4096)
        #expect(mapped.result == "w+65536")
        let read = Self.run(&session, .access(address: 0, kind: .read, value: 0), at: 17 * 4096)
        #expect(
            read.pages.split(separator: " ").filter { $0.hasPrefix("1") && $0.count > 10 }.count == 4, "\(read.pages)")
    }

    @Test("pkey_alloc() without OSPKE: EINVAL, and key 0 stays taken so the next is ENOSPC")
    func pkeyAllocWithoutPKU() throws {
        var session = try Self.session { $0.pku = false }
        #expect(session.run(.syscall(.pkeyAlloc(flags: 0, accessRights: 0), relative: [])).result == "EINVAL")
        #expect(session.run(.syscall(.pkeyAlloc(flags: 0, accessRights: 0), relative: [])).result == "ENOSPC")
        #expect(session.run(.syscall(.pkeyFree(pkey: 0), relative: [])).result == "EINVAL")
    }

    @Test("pkey_alloc() with OSPKE hands out keys 1, 2, ...")
    func pkeyAllocWithPKU() throws {
        var session = try Self.session { $0.pku = true }
        #expect(session.run(.syscall(.pkeyAlloc(flags: 0, accessRights: 0), relative: [])).result == "1")
        #expect(session.run(.syscall(.pkeyAlloc(flags: 0, accessRights: 0), relative: [])).result == "2")
    }

    @Test("ext4_file_mmap_prepare(): MAP_SYNC without DAX is EOPNOTSUPP and leaves the replaced range a gap")
    func syncRefused() throws {
        var config = KernelConfig()
        config.pku = false
        var session = try ConformModelSession(
            config: config, window: ConformWindow(base: 0x6f00_0000_0000, pages: 48), fileSystem: 0xEF53)
        let result = Self.run(
            &session, .mmap(address: 0, length: 8192, prot: 3, flags: 0x82011, fd: 4, offset: 0), at: 0)
        #expect(result.result == "EOPNOTSUPP")
        #expect(result.layout == "[47,48)---p")
    }

    @Test("vms_gather_munmap_vmas(): a MAP_FIXED mmap over a sealed VMA fails after splitting the first VMA")
    func mmapOverSealedKeepsTheSplit() throws {
        var session = try Self.session()
        _ = Self.run(
            &session, .mmap(address: 0, length: 6 * 4096, prot: 3, flags: 0x31, fd: -1, offset: 0), at: 24 * 4096)
        _ = Self.run(&session, .mseal(address: 0, length: 2 * 4096, flags: 0), at: 28 * 4096)
        let failed = Self.run(
            &session, .mmap(address: 0, length: 6 * 4096, prot: 1, flags: 0x32, fd: -1, offset: 0), at: 27 * 4096)
        #expect(failed.result == "EPERM")
        #expect(failed.layout == "[0,1)---p [24,27)rw-s [27,28)rw-s [28,30)rw-s [47,48)---p")
    }

    @Test("__vm_enough_memory(): an oversized private mapping fails before the unmap; a shared one after it")
    func commitLimit() throws {
        var session = try Self.session { $0.ramFrames = 1000 }
        _ = Self.run(
            &session, .mmap(address: 0, length: 8 * 4096, prot: 1, flags: 0x32, fd: -1, offset: 0), at: 4 * 4096)
        let huge: UInt64 = 2000 * 4096
        let privateMap = Self.run(
            &session, .mmap(address: 0, length: huge, prot: 3, flags: 0x32, fd: -1, offset: 0), at: 6 * 4096)
        #expect(privateMap.result == "ENOMEM")
        #expect(privateMap.layout == "[0,1)---p [4,6)r--p [6,12)r--p [47,48)---p")
        let sharedMap = Self.run(
            &session, .mmap(address: 0, length: huge, prot: 3, flags: 0x31, fd: -1, offset: 0), at: 6 * 4096)
        #expect(sharedMap.result == "ENOMEM")
        #expect(sharedMap.layout == "[0,1)---p [4,6)r--p")
    }

    @Test("__mmap_complete(): a droppable mapping under mlockall is populated but not locked")
    func droppableUnderMlockall() throws {
        var session = try Self.session()
        _ = session.run(.syscall(.mlockall(flags: 3), relative: []))
        let mapped = Self.run(
            &session, .mmap(address: 0, length: 2 * 4096, prot: 3, flags: 0x38, fd: -1, offset: 0), at: 40 * 4096)
        #expect(mapped.pages == "40=0 41=0")
        // MADV_DONTNEED refuses locked VMAs: this one is not, so only the hole before it counts (ENOMEM).
        #expect(Self.run(&session, .madvise(address: 0, length: 7 * 4096, advice: 4), at: 39 * 4096).result == "ENOMEM")
    }

    @Test("do_mmap(): the map-count check comes before hugetlb's alignment check")
    func hugetlbAfterMapCount() throws {
        var session = try Self.session { $0.maxMapCount = 3 }
        _ = Self.run(&session, .mmap(address: 0, length: 4096, prot: 3, flags: 0x32, fd: -1, offset: 0), at: 4 * 4096)
        _ = Self.run(&session, .mmap(address: 0, length: 4096, prot: 1, flags: 0x32, fd: -1, offset: 0), at: 8 * 4096)
        #expect(
            Self.run(
                &session, .mmap(address: 0, length: 4096, prot: 3, flags: 0x40032, fd: -1, offset: 0), at: 20 * 4096
            ).result == "ENOMEM")
    }

    @Test("do_mmap(): MAP_SHARED_VALIDATE lets MAP_SYNC through on ext4, whose mmap hook then refuses it")
    func sharedValidateSync() throws {
        var session = try ConformModelSession(
            config: KernelConfig(), window: ConformWindow(base: 0x6f00_0000_0000, pages: 48), fileSystem: 0xEF53)
        let ext4 = Self.run(
            &session, .mmap(address: 0, length: 8 * 4096, prot: 0, flags: 0x80013, fd: 3, offset: 0), at: 40 * 4096)
        #expect(ext4.result == "EOPNOTSUPP")
        #expect(ext4.layout == "[0,1)---p")
        let memfd = Self.run(
            &session, .mmap(address: 0, length: 4096, prot: 0, flags: 0x80013, fd: 6, offset: 0), at: 4 * 4096)
        #expect(memfd.result == "EOPNOTSUPP")
    }

    @Test("expand_downwards(): a grown stack has an anon_vma, so a moved piece keeps its pgoff and does not merge")
    func stackAnonVMA() throws {
        var session = try Self.session()
        _ = Self.run(
            &session, .mmap(address: 0, length: 6 * 4096, prot: 5, flags: 0x100122, fd: -1, offset: 0), at: 10 * 4096)
        #expect(
            Self.run(&session, .access(address: 0, kind: .write, value: 1), at: 2 * 4096).result
                == "SIGSEGV/SEGV_ACCERR")
        let moved = session.run(
            .call(
                .mremap(address: 0, oldLength: 2 * 4096, newLength: 2 * 4096, flags: 3, newAddress: 0),
                address: .window(9 * 4096), newAddress: .window(31 * 4096)))
        #expect(moved.result == "w+126976")
        _ = Self.run(&session, .access(address: 0, kind: .read, value: 0), at: 18 * 4096)
        let grown = session.run(
            .call(
                .mremap(address: 0, oldLength: 4096, newLength: 5 * 4096, flags: 3, newAddress: 0),
                address: .window(18 * 4096), newAddress: .window(21 * 4096)))
        #expect(grown.layout == "[0,1)---p [2,9)r-xp [11,16)r-xp [19,21)r-xp [21,26)r-xp [26,33)r-xp [47,48)---p")
    }

    @Test("vma_ksm_compatible(): MADV_MERGEABLE leaves a droppable VMA alone")
    func droppableNotMergeable() throws {
        var session = try Self.session()
        _ = Self.run(
            &session, .mmap(address: 0, length: 3 * 4096, prot: 3, flags: 0x38, fd: -1, offset: 0), at: 33 * 4096)
        let advised = Self.run(&session, .madvise(address: 0, length: 5 * 4096, advice: 12), at: 30 * 4096)
        #expect(advised.result == "ENOMEM")
        #expect(advised.layout == "[0,1)---p [33,36)rw-p [47,48)---p")
    }

    @Test("madvise_cold_or_pageout_pte_range(): a dirty large file folio cannot be split and stays mapped")
    func pageoutSkipsLargeFolio() throws {
        var session = try Self.session()
        let mapped = Self.run(
            &session, .mmap(address: 0, length: 5 * 4096, prot: 1, flags: 0x8012, fd: 4, offset: 0x2000), at: 26 * 4096)
        #expect(mapped.pages == "26=0xf11e000100000002 27=0xf11e000100000003")
        let advised = Self.run(&session, .madvise(address: 0, length: 7 * 4096, advice: 21), at: 24 * 4096)
        #expect(advised.result == "ENOMEM")
        #expect(advised.pages == mapped.pages)
    }

    @Test("shrink_folio_list(): MADV_PAGEOUT discards a droppable mapping's pages even without swap")
    func pageoutDiscardsDroppable() throws {
        var session = try Self.session()
        _ = Self.run(
            &session, .mmap(address: 0, length: 2 * 4096, prot: 3, flags: 0x8038, fd: -1, offset: 0), at: 8 * 4096)
        _ = Self.run(&session, .access(address: 0, kind: .write, value: 0x55), at: 8 * 4096)
        #expect(Self.run(&session, .madvise(address: 0, length: 2 * 4096, advice: 21), at: 8 * 4096).pages == "")
    }

    @Test("truncate_inode_partial_folio(): MADV_REMOVE inside a large folio unmaps all of it and keeps zeroes cached")
    func removeInsideLargeFolio() throws {
        var session = try Self.session()
        _ = Self.run(
            &session, .mmap(address: 0, length: 4 * 4096, prot: 3, flags: 0x8011, fd: 4, offset: 0), at: 10 * 4096)
        let removed = Self.run(&session, .madvise(address: 0, length: 4096, advice: 9), at: 11 * 4096)
        #expect(removed.result == "0")
        #expect(removed.pages == "")
        #expect(Self.run(&session, .access(address: 0, kind: .read, value: 0), at: 11 * 4096).result == "0x0")
    }

    @Test("do_cow_fault(): a private write past the end still gives the VMA an anon_vma, which blocks a later merge")
    func cowFaultAnonVMA() throws {
        var session = try Self.session()
        _ = Self.run(
            &session, .mmap(address: 0, length: 22 * 4096, prot: 3, flags: 0x12, fd: 5, offset: 0), at: 9 * 4096)
        _ = Self.run(&session, .mlock(address: 0, length: 5 * 4096), at: 15 * 4096)
        _ = Self.run(&session, .madvise(address: 0, length: 8 * 4096, advice: 23), at: 21 * 4096)
        let unlocked = session.run(.syscall(.munlockall, relative: []))
        #expect(unlocked.layout == "[0,1)---p [9,20)rw-p [20,31)rw-p [47,48)---p")
    }
}
