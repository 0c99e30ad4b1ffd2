import MMKernel
import MMOracle
import Testing

/// A conformance sequence (seed 1, sequence 669) whose MREMAP_FIXED|MREMAP_DONTUNMAP move crashed the model's
/// multi-VMA move with an arithmetic overflow; it must run to the end.
@Suite struct MremapCrashRegressionTests {
    static let ops = [
        "mprotect w+53248 0xa000 0x4", "mprotect w+16384 0x4000 0x3", "mmap w+155648 0x8000 0x4 0x4032 -1 0x0",
        "mmap w+110592 0x2000 0x2 0x100022 -1 0x0", "mprotect w+155648 0x6000 0x0",
        "mmap w+45056 0x2000 0x7 0x31 -1 0x0", "mremap w+167936 0x1000 0x1000 0x7 w+180224",
    ]

    @Test func dontUnmapMoveRunsToTheEnd() throws {
        var session = try ConformModelSession(
            config: KernelConfig(), window: ConformWindow(base: 0x6f00_0000_0000, pages: 48))
        var last: ConformObservation?
        for line in Self.ops {
            last = session.run(try #require(ConformCall(wire: line)))
        }
        // The source page stays (DONTUNMAP) and its copy at page 44 merges with it.
        #expect(last?.layout.contains("[38,45)---p") == true, "\(String(describing: last))")
    }
}
