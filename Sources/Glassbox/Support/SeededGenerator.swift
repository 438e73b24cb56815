/// A repeatable random number generator (SplitMix64, Steele, Lea & Flood 2014): the same seed gives
/// the same numbers on every run and machine. Weight initialisation, shuffling and the tests use it.
public struct SeededGenerator: RandomNumberGenerator, Equatable, Sendable {
    /// The whole state: saving it and restoring it resumes the sequence exactly.
    public var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// `count` floats uniform in `range`.
    public mutating func floats(_ count: Int, in range: ClosedRange<Float> = -1...1) -> [Float] {
        (0..<count).map { _ in Float.random(in: range, using: &self) }
    }

    /// `count` class labels in `0..<classes`, as floats.
    public mutating func labels(_ count: Int, classes: Int) -> [Float] {
        (0..<count).map { _ in Float(Int.random(in: 0..<classes, using: &self)) }
    }
}
