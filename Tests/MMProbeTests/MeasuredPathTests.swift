import Testing

@testable import MMProbe

/// The measured path's preparation: the marker texts are formatted before the window, fixed width.
@Suite struct MeasuredPathTests {
    /// The text at `offset` of the buffer.
    static func text(_ path: MeasuredPath, at offset: Int) -> String {
        String(decoding: UnsafeBufferPointer(start: path.text + offset, count: MeasuredPath.textLength), as: UTF8.self)
    }

    /// `B n`/`E n` with ten digits; warm-up markers read `W`, which the window cutter ignores.
    @Test func markers() throws {
        let path = try #require(MeasuredPath.make(markerFD: -1))
        defer { path.release() }
        path.prepare(number: 42)
        #expect(Self.text(path, at: 0) == "B 0000000042")
        #expect(Self.text(path, at: MeasuredPath.endOffset) == "E 0000000042")
        #expect(KernelWindows.marker("B 0000000042")! == (true, 42))
        path.prepare(number: 0, warm: true)
        #expect(Self.text(path, at: 0) == "W 0000000000")
        #expect(KernelWindows.marker("W 0000000000") == nil)
    }

    /// The warm-up fails before touching any mapping (EINVAL for the unaligned address) and performs the access.
    @Test func warmUp() throws {
        let path = try #require(MeasuredPath.make(markerFD: -1))
        defer { path.release() }
        let scratch = UnsafeMutableRawPointer.allocate(byteCount: 4096, alignment: 4096)
        defer { scratch.deallocate() }
        let results = MeasuredPath.warmUpOperations(scratch: scratch).map { path.measure($0) }
        #expect(results.map(\.1) == [22, 0, 0])
        #expect(results[2].0 == 1)
    }
}
