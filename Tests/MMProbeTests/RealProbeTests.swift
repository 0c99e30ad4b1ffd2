import Glibc
import MMProbe
import MMScenario
import Testing

/// Whether the real probe can run here: root, and a tracefs mount point (the probe mounts tracefs if needed).
let canProbe = geteuid() == 0 && access("/sys/kernel/tracing", F_OK) == 0

/// Real probes of host shapes on this machine's kernel (skipped without root or tracefs).
@Suite(.serialized, .enabled(if: canProbe, "needs root and /sys/kernel/tracing")) struct RealProbeTests {
    /// The original mprotect shapes probed.
    static let shapes = ["host-16-rw-ro", "host-34", "host-thp", "host-none-to-rw"]
    /// The shapes of a hole, file mappings, a lazy CPU and a forked child.
    static let laterShapes = [
        "host-enomem-hole", "host-file-shared", "host-file-shared-ro-rw", "host-file-private", "host-file-munmap",
        "host-file-read-faultaround", "host-memfd-shared", "host-memfd-read", "host-lazy-idle",
        "host-lazy-freed-tables", "host-fork-cow",
    ]

    /// Probes `names` with `options`.
    static func probe(_ names: [String], _ options: ProbeOptions) throws -> [ShapeProbe] {
        let probe = try FlushProbe(options: options)
        defer {
            probe.close()
            #expect(!probe.instance.exists, "the trace instance must be removed")
        }
        return try names.map { name in
            let builtIn = try #require(BuiltInScenarios.named(name))
            return probe.probe(try builtIn.parse(), name: name)
        }
    }

    /// Every call of `shape` agrees, and its page population too.
    static func expectAgreement(_ shape: ShapeProbe) {
        #expect(shape.agree, "\(shape.name): \(shape.calls.flatMap(\.differences)) \(shape.error ?? "")")
        #expect(shape.populationAgrees, "\(shape.name): \(shape.calls.compactMap(\.population))")
    }

    /// Under this host's settings every shape agrees, and page population too.
    @Test func hostShapesAgree() throws {
        for shape in try Self.probe(Self.shapes, ProbeOptions(repeats: 2)) { Self.expectAgreement(shape) }
    }

    /// The hole, file, lazy-CPU and fork shapes agree over three runs.
    @Test(arguments: RealProbeTests.laterShapes)
    func laterShapeAgrees(name: String) throws {
        let shape = try #require(try Self.probe([name], ProbeOptions(repeats: 3)).first)
        Self.expectAgreement(shape)
        #expect(shape.repeats == 3)
    }

    /// The fork window counts only the clone call: the parent's copy-on-write flushes on its own stack after the
    /// call returned are reported as a note, not charged to the fork.
    @Test func forkCountsOnlyTheCall() throws {
        let shape = try #require(try Self.probe(["host-fork-cow"], ProbeOptions(repeats: 1)).first)
        let fork = try #require(shape.calls.first { $0.call.hasPrefix("fork") })
        #expect(fork.kernel.map(\.pages) == [-1])
        #expect(fork.notes.contains { $0.contains("copy-on-write") })
    }

    /// The lazy shape reports what the other CPU did while the second thread was parked.
    @Test func lazyShapeReportsTheOtherCPU() throws {
        let shape = try #require(try Self.probe(["host-lazy-idle"], ProbeOptions(repeats: 1)).first)
        #expect(shape.calls.contains { $0.notes.contains { $0.contains("while the second thread was parked") } })
    }

    /// A deliberately wrong ceiling (8) makes the 16-page shape disagree: the oracle can fail.
    @Test func wrongCeilingDisagrees() throws {
        let options = ProbeOptions(repeats: 1, overrides: MachineOverrides(ceiling: 8))
        let shape = try #require(try Self.probe(["host-16-rw-ro"], options).first)
        #expect(!shape.agree)
        #expect(shape.calls.contains { $0.kernel.map(\.pages) == [16] && $0.model.map(\.pages) == [-1] })
    }

    /// One thread: the same pages, no comparison of the remote decision.
    @Test func singleThread() throws {
        for shape in try Self.probe(Self.shapes, ProbeOptions(threads: 1, repeats: 1)) {
            #expect(shape.agree, "\(shape.name): \(shape.calls.flatMap(\.differences))")
        }
    }
}
