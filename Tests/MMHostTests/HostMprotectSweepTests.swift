import MMHost
import Testing

extension HostSuite {
    @Suite struct HostMprotectSweepTests {
        @Test func smallSweepMeasuresPositiveTimes() throws {
            let result = try HostMprotectSweep(regionBytes: 8 << 20, repetitions: 2).run()
            #expect(result.regionBytes == 8 << 20)
            #expect(result.ptes == (8 << 20) / HostMemory.pageSize)
            #expect(result.readOnlyNanoseconds.count == 2)
            #expect(result.readWriteNanoseconds.count == 2)
            #expect(result.readOnlyNanoseconds.allSatisfy { $0 > 0 })
            #expect(result.readWriteNanoseconds.allSatisfy { $0 > 0 })
            #expect(result.readOnlyNanosecondsPerPTE.allSatisfy { $0 > 0 })
            #expect(result.readWriteNanosecondsPerPTE.allSatisfy { $0 > 0 })
            #expect(result.populateNanoseconds > 0)
            #expect(result.populateNanosecondsPerPage > 0)
            // Every page was faulted in; other tests running meanwhile may shift RSS a little, hence the margin.
            #expect(result.residentBytesGrowth >= result.regionBytes / 2)
        }

        @Test func kernelSidePopulateAlsoWorks() throws {
            let result = try HostMprotectSweep(regionBytes: 4 << 20, repetitions: 1, populate: .madvisePopulateWrite)
                .run()
            #expect(result.readOnlyNanoseconds.count == 1)
            #expect(result.residentBytesGrowth >= result.regionBytes / 2)
        }

        @Test func anImpossibleRegionIsThrownAsENOMEM() {
            // 128 TiB is the whole 47-bit user address space: no gap can hold it, whatever the overcommit mode.
            let error = #expect(throws: HostError.self) {
                try HostMprotectSweep(regionBytes: 1 << 47, repetitions: 1).run()
            }
            #expect(error?.name == "ENOMEM")
            #expect(error?.operation == "mmap")
        }

        @Test func invalidParametersAreThrownAsEINVAL() {
            let error = #expect(throws: HostError.self) {
                try HostMprotectSweep(regionBytes: 4096, repetitions: 0).run()
            }
            #expect(error?.name == "EINVAL")
            #expect(throws: HostError.self) {
                try HostMprotectSweep(regionBytes: 0).run()
            }
        }
    }
}
