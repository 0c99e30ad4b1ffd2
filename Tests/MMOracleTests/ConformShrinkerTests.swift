import MMOracle
import Testing

/// Delta debugging on synthetic difference predicates.
@Suite struct ConformShrinkerTests {
    @Test("a difference caused by two particular calls shrinks to exactly those two, in order")
    func pair() {
        let items = Array(0..<60)
        let shrunk = ConformShrinker.shrink(items) { $0.contains(17) && $0.contains(42) }
        #expect(shrunk == [17, 42])
    }

    @Test("an order-dependent cause keeps its order; a single cause shrinks to one")
    func orderAndSingle() {
        let items = Array(0..<50)
        let ordered = ConformShrinker.shrink(items) { list in
            guard let a = list.firstIndex(of: 30), let b = list.firstIndex(of: 5) else { return false }
            return a > b
        }
        #expect(ordered == [5, 30])
        #expect(ConformShrinker.shrink(items) { $0.contains(49) } == [49])
    }

    @Test("a count-based cause (at least three even numbers) shrinks to three items")
    func countBased() {
        let shrunk = ConformShrinker.shrink(Array(0..<40)) { $0.filter { $0 % 2 == 0 }.count >= 3 }
        #expect(shrunk.count == 3)
        #expect(shrunk.allSatisfy { $0 % 2 == 0 })
    }

    @Test("the budget bounds the number of tests")
    func budget() {
        var tests = 0
        _ = ConformShrinker.shrink(Array(0..<200), budget: 10) { list in
            tests += 1
            return list.contains(3) && list.contains(150)
        }
        #expect(tests <= 10)
    }
}
