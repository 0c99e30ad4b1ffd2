/// A seeded, deterministic random number generator (Steele, Lea and Flood's SplitMix64), so that a property test
/// replays exactly from its seed and a failure can be reproduced by rerunning that seed.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    /// The generator's whole state: the seed advanced by the golden-ratio increment once per value.
    public private(set) var state: UInt64

    public init(seed: UInt64) {
        state = seed
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var mixed = state
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        return mixed ^ (mixed >> 31)
    }
}
