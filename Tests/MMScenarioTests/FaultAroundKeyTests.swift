import MMKernel
import Testing

@testable import MMScenario

/// The `machine:` keys of the file-fault windows: `read_ahead` (the device's `read_ahead_kb`) and
/// `fault_around_bytes` reach `KernelConfig`, and out-of-range values are positioned errors.
@Suite struct FaultAroundKeyTests {
    /// Parses a scenario with `machine` and one mmap step.
    static func parse(machine: String) throws(ScenarioError) -> Scenario {
        try ScenarioParser.parse(
            yaml: "machine: \(machine)\nsteps:\n  - mmap: {region: buf, length: 16 pages}\n", file: "m.yaml")
    }

    @Test("the defaults: 32 pages of readahead, a 64 KiB (16-page) fault-around window")
    func defaults() throws {
        let config = try Self.parse(machine: "{cpus: 2}").config
        #expect(config.readaheadPages == 32)
        #expect(config.faultAroundBytes == 64 << 10)
        #expect(config.faultAroundPages == 16)
    }

    @Test(
        "read_ahead takes a size and keeps it in pages",
        arguments: [("8M", UInt64(2048)), ("128K", 32), ("0", 0), ("16 pages", 16)])
    func readAhead(text: String, pages: UInt64) throws {
        #expect(try Self.parse(machine: "{read_ahead: \(text)}").config.readaheadPages == pages)
    }

    @Test(
        "fault_around_bytes rounds down to a power of two of pages, one page or less meaning none",
        arguments: [("64K", UInt64(16)), ("48K", 8), ("4K", 1), ("0", 1), ("2M", 512)])
    func faultAround(text: String, pages: UInt64) throws {
        #expect(try Self.parse(machine: "{fault_around_bytes: \(text)}").config.faultAroundPages == pages)
    }

    @Test(
        "out-of-range windows are errors at the value",
        arguments: ["{read_ahead: 1000}", "{read_ahead: 2G}", "{fault_around_bytes: 4M}", "{read_ahead: on}"])
    func rejected(machine: String) {
        do throws(ScenarioError) {
            _ = try Self.parse(machine: machine)
            Issue.record("accepted \(machine)")
        } catch {
            #expect(error.location.line == 1)
        }
    }
}
