/// Seeded pseudo-random generator (SplitMix64, Steele, Lea & Flood 2014, "Fast splittable pseudorandom number
/// generators", OOPSLA), so that a search is reproducible from its seed; the solver never uses global randomness.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    /// Creates a generator.
    /// - Parameter seed: any value; equal seeds give equal sequences.
    public init(seed: UInt64) {
        state = seed
    }

    /// Next 64 random bits.
    /// - Returns: a uniformly distributed value.
    /// - Complexity: O(1).
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var mixed = state
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        return mixed ^ (mixed >> 31)
    }

    /// Uniform value in [0, 1).
    /// - Returns: a double with 53 random bits.
    public mutating func nextUnit() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// Uniform integer in `0..<upperBound`.
    /// - Parameter upperBound: exclusive bound, > 0.
    /// - Returns: the value.
    public mutating func nextIndex(_ upperBound: Int) -> Int {
        Int(next() % UInt64(upperBound))
    }
}
