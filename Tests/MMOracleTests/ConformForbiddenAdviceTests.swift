import MMKernel
import MMOracle
import Testing

/// MADV_HWPOISON (100) and MADV_SOFT_OFFLINE (101) would really poison or offline memory for the root worker:
/// they are never generated and never made on the real kernel.
@Suite struct ConformForbiddenAdviceTests {
    @Test("the guard catches both advice values, also when only the register's low 32 bits name them")
    func guardCatchesForbiddenAdvice() {
        for advice: Int64 in [100, 101, 0x1_0000_0064, 0x7fff_ffff_0000_0065] {
            #expect(ConformHostCall.isForbidden(.madvise(address: 0x1000, length: 4096, advice: advice)), "\(advice)")
        }
        for advice: Int64 in [4, 102, 103, 99, -1] {
            #expect(!ConformHostCall.isForbidden(.madvise(address: 0x1000, length: 4096, advice: advice)), "\(advice)")
        }
        #expect(!ConformHostCall.isForbidden(.mprotect(address: 0x1000, length: 4096, prot: 100)))
    }

    @Test("no generated sequence holds a forbidden advice", arguments: [1, 7, 101, 202, 303] as [UInt64])
    func generatorNeverProducesThem(seed: UInt64) {
        let generator = ConformGenerator(seed: seed, commitLimitPages: 6_000_000)
        for index in 0..<200 {
            for call in generator.sequence(index: index, count: 50).calls {
                guard let resolved = call.resolved(base: 0x6f00_0000_0000) else { continue }
                #expect(!ConformHostCall.isForbidden(resolved), "\(call)")
            }
        }
    }
}
