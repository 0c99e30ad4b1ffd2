import Testing

@testable import MMScenario

/// A scenario whose accesses would exceed the page limits is refused before anything runs, at the step's position.
@Suite struct PageLimitTests {
    /// `count` write steps of `perStep` pages each over one region, after an mmap of all of them.
    static func writes(count: Int, perStep: UInt64) -> String {
        var yaml = "machine: {ram: 128G}\nsteps:\n  - mmap: {region: buf, length: \(UInt64(count) * perStep) pages}\n"
        for index in 0..<UInt64(count) {
            yaml += "  - write: {region: buf, pages: \(index * perStep)..\((index + 1) * perStep - 1)}\n"
        }
        return yaml
    }

    /// The limit error of `yaml`, or "no error".
    func limitError(_ yaml: String) throws -> String {
        do {
            try ScenarioRunner.checkLimits(try ScenarioParser.parse(yaml: yaml, file: "x.yaml"))
            return "no error"
        } catch {
            return error.description
        }
    }

    @Test func sixteenMebiPagesAreAllowed() throws {
        #expect(try limitError(Self.writes(count: 16, perStep: 1 << 20)) == "no error")
    }

    @Test func oneMoreStepIsRefusedAtItsPosition() throws {
        let message = try limitError(Self.writes(count: 17, perStep: 1 << 20))
        #expect(
            message
                == "x.yaml:20:5: step 18 (write) would bring the run to 17825792 pages; a run may touch at most "
                + "16777216 pages in all")
    }

    @Test func aWholeRegionOverTheStepLimitIsRefused() throws {
        let yaml = "steps:\n  - mmap: {region: big, length: 8G, prot: none}\n  - read: {region: big}\n"
        #expect(
            try limitError(yaml)
                == "x.yaml:3:5: step 2 (read) would touch 2097152 pages; one step may touch at most 1048576")
    }

    @Test func anAddressIsOnePage() throws {
        var yaml = "steps:\n  - mmap: {region: b, length: 8G, prot: none}\n"
        yaml += "  - read: {addr: b + 1 page}\n  - read: {region: b, page: 5}\n"
        #expect(try limitError(yaml) == "no error")
    }

    @Test func theLastMmapOfARegionCounts() throws {
        let yaml = """
            steps:
              - mmap: {region: b, length: 8G, prot: none}
              - munmap: {region: b}
              - mmap: {region: b, length: 4 pages}
              - read: {region: b}
            """
        #expect(try limitError(yaml) == "no error")
    }
}
