/// SplitMix64: a small, fast, seedable generator, so that a seed gives the same calls on every machine and
/// Swift version (the standard library's generator is neither seedable nor stable).
public struct ConformRandom: RandomNumberGenerator, Sendable {
    /// The generator state.
    var state: UInt64

    /// A generator for `seed`.
    public init(seed: UInt64) { state = seed }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var value = state
        value = (value ^ (value >> 30)) &* 0xBF58_476D_1CE4_E5B9
        value = (value ^ (value >> 27)) &* 0x94D0_49BB_1331_11EB
        return value ^ (value >> 31)
    }

    /// A value in `0..<bound` (bound > 0), by multiply-shift so it does not depend on the standard library.
    public mutating func below(_ bound: Int) -> Int {
        Int(truncatingIfNeeded: (UInt128(next()) * UInt128(bound)) >> 64)
    }

    /// Whether an event of probability `percent`/100 happens.
    public mutating func chance(_ percent: Int) -> Bool { below(100) < percent }

    /// One of `choices`, uniformly.
    public mutating func pick<T>(_ choices: [T]) -> T { choices[below(choices.count)] }
}
