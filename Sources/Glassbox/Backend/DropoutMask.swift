/// The dropout mask shared by every backend: element `i` is kept when the top 24 bits of
/// `hash(i * 0x9E3779B9 + seed)` reach `rate * 2^24`, where `hash` is the 32-bit integer mixer
/// `x ^= x >> 16; x *= 0x7feb352d; x ^= x >> 15; x *= 0x846ca68b; x ^= x >> 16` (Chris Wellons's
/// "lowbias32"). Kept elements are scaled by `1 / (1 - rate)` (inverted dropout, as Keras).
/// Integer arithmetic makes the mask bit-identical on the CPU reference and in `dropout_forward`.
public struct DropoutMask: Equatable, Sendable {
    public let seed: UInt32
    public let threshold: UInt32
    public let scale: Float

    /// - Throws: ``GlassboxError/invalidArgument(operation:reason:)`` unless `0 <= rate < 1`.
    public init(rate: Float, seed: UInt32) throws {
        guard rate >= 0, rate < 1 else {
            throw GlassboxError.invalidArgument(operation: "dropout", reason: "rate \(rate) must be in [0, 1)")
        }
        self.seed = seed
        threshold = UInt32((Double(rate) * 16_777_216).rounded())
        scale = 1 / (1 - rate)
    }

    /// Whether element `index` survives.
    public func keeps(_ index: Int) -> Bool {
        (Self.hash(UInt32(truncatingIfNeeded: index) &* 0x9E37_79B9 &+ seed) >> 8) >= threshold
    }

    static func hash(_ value: UInt32) -> UInt32 {
        var x = value
        x ^= x >> 16; x = x &* 0x7FEB_352D
        x ^= x >> 15; x = x &* 0x846C_A68B
        x ^= x >> 16
        return x
    }
}
