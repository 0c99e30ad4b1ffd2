import MMHardware
import Testing

@Suite struct PhysicalMemoryTests {
    @Test func framesReadZeroUntilWritten() {
        var memory = PhysicalMemory()
        #expect(memory.frameCount == 0)
        memory.ensureFrames(4)
        #expect(memory.frameCount == 4)
        #expect(memory.bytes == 32)
        #expect((0..<4).allSatisfy { memory.read(PFN($0)) == 0 })
        memory.ensureFrames(2)
        #expect(memory.frameCount == 4, "ensureFrames never shrinks")
    }

    @Test func writeCopyAndRead() {
        var memory = PhysicalMemory()
        memory.ensureFrames(3)
        memory.write(PFN(1), 0xFEED)
        #expect(memory.read(PFN(1)) == 0xFEED)
        #expect(memory.read(PFN(0)) == 0)
        memory.copy(from: PFN(1), to: PFN(2))
        #expect(memory.read(PFN(2)) == 0xFEED)
        memory.ensureFrames(8)
        #expect(memory.read(PFN(1)) == 0xFEED, "growing keeps contents")
    }

    @Test func memoryIsAValue() {
        var original = PhysicalMemory()
        original.ensureFrames(1)
        original.write(PFN(0), 1)
        var copy = original
        copy.write(PFN(0), 2)
        #expect(original.read(PFN(0)) == 1)
        #expect(copy.read(PFN(0)) == 2)
    }
}
