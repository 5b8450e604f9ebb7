/// A small, fast, seedable pseudo-random generator: the same seed gives the same sequence on every platform.
///
/// SplitMix64 (Steele, Lea & Flood 2014, https://doi.org/10.1145/2714064.2660195). Not for secrets.
struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var mixed = state
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        return mixed ^ (mixed >> 31)
    }

    /// An independent generator for one part of the sample, so that adding draws to one part leaves the others as
    /// they were.
    func fork(_ stream: UInt64) -> SplitMix64 {
        var copy = SplitMix64(seed: state ^ (stream &* 0xD1B5_4A32_D192_ED03))
        _ = copy.next()
        return copy
    }

    /// A uniform number in `0..<1`.
    mutating func unit() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// Whether an event of the given probability happens.
    mutating func chance(_ probability: Double) -> Bool {
        unit() < probability
    }

    /// A uniform integer in the range.
    mutating func int(_ range: ClosedRange<Int>) -> Int {
        Int.random(in: range, using: &self)
    }

    /// A uniform number in the range.
    mutating func double(_ range: ClosedRange<Double>) -> Double {
        range.lowerBound + unit() * (range.upperBound - range.lowerBound)
    }

    /// One element, uniformly.
    mutating func pick<Element>(_ elements: [Element]) -> Element {
        elements[Int.random(in: 0..<elements.count, using: &self)]
    }

    /// One element, with probability proportional to its weight.
    mutating func pick<Element>(_ weighted: [(Element, Double)]) -> Element {
        let total = weighted.reduce(0) { $0 + $1.1 }
        var draw = unit() * total
        for (element, weight) in weighted {
            draw -= weight
            if draw < 0 { return element }
        }
        return weighted[weighted.count - 1].0
    }
}
