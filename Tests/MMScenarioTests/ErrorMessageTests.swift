import Testing

@testable import MMScenario

/// Malformed scenarios fail with the exact `file:line:col` of the offending node.
@Suite struct ErrorMessageTests {
    /// Parses `yaml` expecting an error; returns its text.
    func error(_ yaml: String) -> String {
        do {
            _ = try ScenarioParser.parse(yaml: yaml, file: "x.yaml")
            return "no error"
        } catch {
            return error.description
        }
    }

    @Test func unknownStep() {
        let message = error("steps:\n  - mmapp: {length: 4K}\n")
        #expect(message.hasPrefix("x.yaml:2:5: unknown step 'mmapp'"))
    }

    @Test func unknownKey() {
        let message = error("steps:\n  - mmap: {length: 4K, lenght: 8K}\n")
        #expect(message.hasPrefix("x.yaml:2:24: unknown key 'lenght' in mmap"))
    }

    @Test func badSize() {
        let message = error("steps:\n  - mmap:\n      length: 12Q\n")
        #expect(message.hasPrefix("x.yaml:3:15: bad size '12Q' for length: unknown unit 'Q'"))
    }

    @Test func missingRegion() {
        let message = error("steps:\n  - read: {page: 0}\n")
        #expect(message == "x.yaml:2:11: missing 'region' or 'addr' in read")
    }

    @Test func undefinedRegion() {
        let message = error("steps:\n  - write: {region: buf, page: 0}\n")
        #expect(message.hasPrefix("x.yaml:2:21: unknown region 'buf'"))
    }

    @Test func wrongType() {
        let message = error("machine:\n  cpus: [1, 2]\nsteps: []\n")
        #expect(message == "x.yaml:2:9: cpus must be a scalar, found a list")
    }

    @Test func outOfRange() {
        let message = error("machine: {cpus: 65}\nsteps: []\n")
        #expect(message == "x.yaml:1:17: cpus 65 is out of range 1...64")
    }

    @Test func tooManyPages() {
        let message = error("steps:\n  - mmap: {region: b, length: 4K}\n  - read: {region: b, pages: 0..2000000}\n")
        #expect(message.hasPrefix("x.yaml:3:30: one step may touch at most 1048576 pages"))
    }

    @Test func yamlSyntax() {
        let message = error("steps:\n  - mmap: {length: 4K\n")
        #expect(message.hasPrefix("x.yaml:"))
        #expect(message.contains("YAML"))
    }

    @Test func missingSteps() {
        #expect(error("name: x\n") == "x.yaml:1:1: missing 'steps' in the scenario")
    }

    @Test func emptyDocument() {
        #expect(error("") == "x.yaml:1:1: empty scenario")
    }

    @Test func exponentialAliasesRefused() {
        var yaml = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
        for level in 1..<12 {
            let refs = Array(repeating: "*a\(level - 1)", count: 10).joined(separator: ", ")
            yaml += "a\(level): &a\(level) [\(refs)]\n"
        }
        yaml += "steps: []\n"
        #expect(error(yaml).contains("more than 100000 nodes"))
    }

    @Test func unknownErrno() {
        let message = error("steps:\n  - mmap: {length: 0}\n    expect: {result: EWHAT}\n")
        #expect(message.hasPrefix("x.yaml:3:22: unknown errno 'EWHAT'"))
    }
}
