import MMKernel
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
        #expect(first.calls != other.calls)
        #expect(first.calls != ConformGenerator(seed: 42).sequence(index: 4, count: 200).calls)
    }

    @Test("every call survives the worker's text protocol unchanged")
    func wireRoundTrip() {
        for index in 0..<20 {
            for call in ConformGenerator(seed: 7).sequence(index: index, count: 100).calls {
                #expect(ConformCall(wire: call.description) == call, "\(call)")
            }
        }
        #expect(ConformCall(wire: "fill 3") == .fill(headroom: 3))
        #expect(ConformCall(wire: "mprotect w+1 0x1000") == nil)
    }

    @Test("destructive calls stay inside the window; only early-failing ones get huge lengths")
    func safety() {
        let generator = ConformGenerator(seed: 9)
        for index in 0..<50 {
            let sequence = generator.sequence(index: index, count: 100)
            let limit = Int64(sequence.pages + 1) * 4096
            for call in sequence.calls {
                guard case .syscall(let syscall, _) = call else { continue }
                let offset = call.address(.address)
                switch (syscall, offset) {
                case (.mmap(_, let length, _, _, _, _), .window(let offset)?):
                    #expect(offset >= 0)
                    if length < 1 << 40 { #expect(offset + Int64(length) <= Int64(sequence.pages) * 4096 + 4095) }
                case (.mmap, _):
                    Issue.record("mmap at an absolute address: \(call)")
                case (.mremap(_, let oldLength, let newLength, let flags, _), .window(let offset)?):
                    let window = Int64(sequence.pages) * 4096
                    #expect(offset + Int64(oldLength) <= window + 4095, "\(call)")
                    if flags & 0x3 == 0x3, case .window(let target)? = call.address(.newAddress), newLength < 1 << 40 {
                        #expect(target >= 0 && target + Int64(newLength) <= window + 0x10, "\(call)")
                    } else if flags & 0x6 != 0 && flags & 0x1 == 0 {
                        // MREMAP_FIXED or MREMAP_DONTUNMAP without MREMAP_MAYMOVE: EINVAL before anything moves.
                    } else if flags & 0x1 != 0 {
                        #expect(
                            flags & 0x2 != 0 || newLength == 0 || newLength >= 1 << 40, "MAYMOVE without FIXED: \(call)"
                        )
                    } else if newLength < 1 << 40 {
                        #expect(offset + Int64(newLength) <= window + 4095, "in-place growth: \(call)")
                    }
                case (.munmap(_, let length), .window(let offset)?), (.madvise(_, let length, _), .window(let offset)?):
                    if length < 1 << 40 { #expect(offset + Int64(length) <= limit + 4095, "\(call)") }
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
        guard case .fill = sequence.calls.first else {
            Issue.record("no fill first")
            return
        }
        #expect(sequence.calls.count == 20)
        #expect(sequence.layoutFromPage + sequence.layoutPages == sequence.pages)
        #expect(sequence.pages >= 1000)
    }
}
