import Glibc
import MMProbe
import MMScenario
import Testing

/// Real probes of host shapes on this machine's kernel (skipped, with the reason printed, without root or tracefs).
@Suite(.serialized) struct RealProbeTests {
    /// The shapes probed.
    static let shapes = ["host-16-rw-ro", "host-34", "host-thp", "host-none-to-rw"]

    /// Probes `shapes` with `options`; nil (after printing why) if the probe cannot run here.
    static func probe(_ options: ProbeOptions) throws -> [ShapeProbe]? {
        guard geteuid() == 0 else {
            print("skipping the real probe: not root")
            return nil
        }
        let probe: FlushProbe
        do {
            probe = try FlushProbe(options: options)
        } catch {
            print("skipping the real probe: \(error)")
            return nil
        }
        defer {
            probe.close()
            #expect(!probe.instance.exists, "the trace instance must be removed")
        }
        return try shapes.map { name in
            let builtIn = try #require(BuiltInScenarios.named(name))
            return probe.probe(try builtIn.parse(), name: name)
        }
    }

    /// Under this host's settings every shape agrees, and page population too.
    @Test func hostShapesAgree() throws {
        guard let results = try Self.probe(ProbeOptions(repeats: 2)) else { return }
        for shape in results {
            #expect(shape.agree, "\(shape.name): \(shape.calls.flatMap(\.differences)) \(shape.error ?? "")")
            #expect(shape.populationAgrees, "\(shape.name): \(shape.calls.compactMap(\.population))")
        }
    }

    /// A deliberately wrong ceiling (8) makes the 16-page shape disagree: the oracle can fail.
    @Test func wrongCeilingDisagrees() throws {
        let options = ProbeOptions(repeats: 1, overrides: MachineOverrides(ceiling: 8))
        guard let results = try Self.probe(options) else { return }
        let shape = try #require(results.first { $0.name == "host-16-rw-ro" })
        #expect(!shape.agree)
        #expect(shape.calls.contains { $0.kernel.map(\.pages) == [16] && $0.model.map(\.pages) == [-1] })
    }

    /// One thread: the same pages, no comparison of the remote decision.
    @Test func singleThread() throws {
        guard let results = try Self.probe(ProbeOptions(threads: 1, repeats: 1)) else { return }
        for shape in results { #expect(shape.agree, "\(shape.name): \(shape.calls.flatMap(\.differences))") }
    }
}
