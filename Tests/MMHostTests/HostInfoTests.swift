import MMHost
import Testing

extension HostSuite {
    @Suite struct HostInfoTests {
        @Test func kernelInfoMatchesProcAndSys() throws {
            let info = HostKernelInfo.current()
            let osrelease = try HostFile.read(path: "/proc/sys/kernel/osrelease")
            #expect(info.release + "\n" == osrelease)
            #expect(info.maxMapCount.map { $0 > 0 } == true)
            #expect(info.overcommitMemory.map { (0...2).contains($0) } == true)
            if let mode = info.transparentHugePageMode {
                #expect(["always", "madvise", "never"].contains(mode))
            }
            if info.tracefsMounted {
                #expect(info.tracingDirectoryExists)
            }
        }

        @Test func selectedChoiceIsTheBracketedWord() {
            #expect(HostKernelInfo.selectedChoice(in: "always [madvise] never\n") == "madvise")
            #expect(HostKernelInfo.selectedChoice(in: "[always] madvise never") == "always")
            #expect(HostKernelInfo.selectedChoice(in: "no brackets") == nil)
        }

        @Test func statmParsesAndResidentSizeIsPlausible() throws {
            let statm = HostProcessStats.parseStatm("2771 225 194 5 0 107 0\n")
            #expect(statm == HostProcessStats.Statm(size: 2771, resident: 225, shared: 194, text: 5, data: 107))
            #expect(HostProcessStats.parseStatm("1 2 3") == nil)
            let resident = try HostProcessStats.residentBytes()
            #expect(resident > 1 << 20)
            #expect(resident % HostMemory.pageSize == 0)
        }

        @Test func readingAMissingFileNamesENOENT() {
            let error = #expect(throws: HostError.self) {
                try HostFile.read(path: "/proc/self/no-such-file")
            }
            #expect(error?.name == "ENOENT")
        }
    }
}
