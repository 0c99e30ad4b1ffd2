import MMHost
import Testing

extension HostSuite {
    @Suite struct HostMemoryTests {
        @Test func mprotectOfTheMiddlePageSplitsIntoThreeVMAs() throws {
            let region = try GuardedRegion(pages: 4)
            defer { region.release() }
            region.touchAll()
            #expect(try region.layout() == "[0,4)rw-p")

            try HostMemory.mprotect(region.page(1), length: region.pageSize, prot: .read)
            #expect(try region.layout() == "[0,1)rw-p [1,2)r--p [2,4)rw-p")

            // The guards are separate PROT_NONE VMAs that end and start exactly at the region: nothing merged.
            let maps = try ProcMaps.readSelf()
            let around = maps.entries(overlapping: region.window, length: region.windowLength)
            #expect(around.count == 5)
            #expect(around.first?.perms == "---p")
            #expect(around.first?.end == region.base)
            #expect(around.last?.perms == "---p")
            #expect(around.last?.start == region.page(4))
            #expect(
                maps.render(
                    base: region.window,
                    length: region.windowLength,
                    origin: region.base,
                    clipped: true,
                    pageSize: region.pageSize
                ) == "[-1,0)---p [0,1)rw-p [1,2)r--p [2,4)rw-p [4,5)---p"
            )

            // Restoring RW merges the three VMAs back into one (`vma_modify()` merges the split pieces again).
            try HostMemory.mprotect(region.page(1), length: region.pageSize, prot: .readWrite)
            #expect(try region.layout() == "[0,4)rw-p")
        }

        @Test func unalignedMprotectIsEINVALAndChangesNothing() throws {
            let region = try GuardedRegion(pages: 4)
            defer { region.release() }
            let error = #expect(throws: HostError.self) {
                try HostMemory.mprotect(region.base.advanced(by: 1), length: region.pageSize, prot: .read)
            }
            #expect(error?.name == "EINVAL")
            #expect(error?.operation == "mprotect")
            #expect(error?.description == "mprotect: EINVAL (Invalid argument)")
            #expect(try region.layout() == "[0,4)rw-p")
        }

        @Test func mprotectOfAnUnmappedAddressIsENOMEM() throws {
            // Page 0 is below vm.mmap_min_addr, so it is never mapped.
            let result = HostMemory.mprotectResult(HostAddress(0), length: HostMemory.pageSize, prot: .read)
            #expect(throws: HostError(operation: "mprotect", code: HostErrno.code(named: "ENOMEM")!)) {
                try result.get()
            }
            #expect(result.failureName == "ENOMEM")
        }

        @Test func mprotectLengthZeroIsANoOpButLengthOneRoundsUp() throws {
            let region = try GuardedRegion(pages: 4)
            defer { region.release() }
            try HostMemory.mprotect(region.base, length: 0, prot: .read)
            #expect(try region.layout() == "[0,4)rw-p")
            try HostMemory.mprotect(region.base, length: 1, prot: .read)
            #expect(try region.layout() == "[0,1)r--p [1,4)rw-p")
        }

        @Test func mmapAndMunmapReportTheirErrnos() throws {
            let zeroLength = HostMemory.mmapResult(length: 0, prot: .readWrite, flags: [.private, .anonymous])
            #expect(zeroLength.failureName == "EINVAL")
            let region = try GuardedRegion(pages: 1)
            defer { region.release() }
            let taken = HostMemory.mmapResult(
                address: region.base,
                length: region.pageSize,
                prot: .read,
                flags: [.private, .anonymous, .fixedNoReplace]
            )
            #expect(taken.failureName == "EEXIST")
            #expect(throws: HostError(operation: "munmap", code: HostErrno.code(named: "EINVAL")!)) {
                try HostMemory.munmap(region.base.advanced(by: 1), length: region.pageSize)
            }
        }
    }
}

extension Result where Failure == HostError {
    /// The errno name of a failure, or `nil` on success.
    var failureName: String? {
        if case .failure(let error) = self { return error.name }
        return nil
    }
}
