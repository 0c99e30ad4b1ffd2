/// Delta debugging (Zeller's ddmin): shrinks a failing list of calls to a smaller one that still fails, by
/// dropping chunks of halving size and finally single items, re-testing each candidate.
public enum ConformShrinker {
    /// The smallest sublist (order kept) found within `budget` tests for which `stillFails` holds; `items` itself
    /// must fail. The result is 1-minimal (no single item can be dropped) unless the budget ran out.
    public static func shrink<T>(
        _ items: [T], budget: Int = 400, stillFails: ([T]) throws -> Bool
    ) rethrows -> [T] {
        var current = items
        var tests = 0
        var chunks = 2
        while current.count >= 2 && tests < budget {
            let size = (current.count + chunks - 1) / chunks
            var reduced = false
            var start = 0
            while start < current.count && tests < budget {
                var candidate = current
                candidate.removeSubrange(start..<min(start + size, current.count))
                tests += 1
                if !candidate.isEmpty, try stillFails(candidate) {
                    current = candidate
                    chunks = max(chunks - 1, 2)
                    reduced = true
                    break
                }
                start += size
            }
            if !reduced {
                if chunks >= current.count { break }
                chunks = min(chunks * 2, current.count)
            }
        }
        return current
    }
}
