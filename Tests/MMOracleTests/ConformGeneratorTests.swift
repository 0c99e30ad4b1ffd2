import MMOracle
import Testing

/// The call generator: determinism per seed, the wire form round trip, and the safety rules of its arguments.
@Suite struct ConformGeneratorTests {
    @Test("the same seed gives the same calls; another seed gives others")
    func determinism() {
        let first = ConformGenerator(seed: 42).sequence(index: 3, count: 200)
        let again = ConformGenerator(seed: 42).sequence(index: 3, count: 200)
        let other = ConformGenerator(seed: 43).sequence(index: 3, count: 200)
        #expect(first == again)
        #expect(first.ops != other.ops)
        #expect(first.ops != ConformGenerator(seed: 42).sequence(index: 4, count: 200).ops)
    }

    @Test("every call survives the worker's text protocol unchanged")
    func wireRoundTrip() {
        for index in 0..<20 {
            for op in ConformGenerator(seed: 7).sequence(index: index, count: 100).ops {
                #expect(ConformOp(wire: op.description) == op, "\(op)")
            }
        }
        #expect(ConformOp(wire: "fill 3") == .fill(headroom: 3))
        #expect(ConformOp(wire: "mprotect w+1 0x1000") == nil)
    }

    @Test("destructive calls stay inside the window; only early-failing ones get huge lengths")
    func safety() {
        let generator = ConformGenerator(seed: 9)
        for index in 0..<50 {
            let sequence = generator.sequence(index: index, count: 100)
            let limit = Int64(sequence.pages + 1) * 4096
            for op in sequence.ops {
                switch op {
                case .mmap(.window(let offset), let length, _, _, _, _):
                    #expect(offset >= 0)
                    if length < 1 << 40 { #expect(offset + Int64(length) <= Int64(sequence.pages) * 4096 + 4095) }
                case .mmap(.absolute, _, _, _, _, _):
                    Issue.record("mmap at an absolute address: \(op)")
                case .mremap(.window(let offset), let oldLength, let newLength, let flags, let newAddress):
                    let window = Int64(sequence.pages) * 4096
                    #expect(offset + Int64(oldLength) <= window + 4095, "\(op)")
                    if flags & 0x3 == 0x3, case .window(let target) = newAddress, newLength < 1 << 40 {
                        #expect(target >= 0 && target + Int64(newLength) <= window + 0x10, "\(op)")
                    } else if flags & 0x1 != 0 {
                        #expect(
                            flags & 0x2 != 0 || newLength == 0 || newLength >= 1 << 40, "MAYMOVE without FIXED: \(op)")
                    } else if newLength < 1 << 40 {
                        #expect(offset + Int64(newLength) <= window + 4095, "in-place growth: \(op)")
                    }
                case .munmap(.window(let offset), let length), .madvise(.window(let offset), let length, _):
                    if length < 1 << 40 { #expect(offset + Int64(length) <= limit + 4095, "\(op)") }
                default:
                    break
                }
            }
        }
    }

    @Test("a near-limit sequence starts with its fill and acts only in the compared tail")
    func nearLimit() {
        let sequence = ConformGenerator(seed: 5, maxMapCount: 1000).sequence(
            index: 0, kind: .nearMaxMapCount, count: 20)
        guard case .fill = sequence.ops.first else {
            Issue.record("no fill first")
            return
        }
        #expect(sequence.ops.count == 20)
        #expect(sequence.layoutFromPage + sequence.layoutPages == sequence.pages)
        #expect(sequence.pages >= 1000)
    }
}
