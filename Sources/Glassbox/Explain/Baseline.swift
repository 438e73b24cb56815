import Foundation

/// What a masked-out segment shows instead of the input.
public enum Baseline: Sendable, Equatable {
    /// Black.
    case zero
    /// A fixed image, e.g. the training-set mean (``Dataset`` images averaged).
    case image([Float])
    /// The input blurred with a Gaussian of this standard deviation in pixels, as shap's Image
    /// masker's `blur(...)` hides regions.
    case blur(sigma: Double)

    /// The baseline for `input` (a `width` x `height` image of one or more channels, NHWC).
    public func values(for input: [Float], width: Int, height: Int) throws -> [Float] {
        switch self {
        case .zero:
            return [Float](repeating: 0, count: input.count)
        case .image(let values):
            guard values.count == input.count else {
                throw GlassboxError.invalidArgument(operation: "baseline", reason: "baseline image has \(values.count) values, the input \(input.count)")
            }
            return values
        case .blur(let sigma):
            guard sigma > 0 else { throw GlassboxError.invalidArgument(operation: "baseline blur", reason: "sigma \(sigma) must be positive") }
            let channels = input.count / max(width * height, 1)
            guard channels > 1 else { return Self.gaussianBlur(input, width: width, height: height, sigma: sigma) }
            // Each channel on its own, then interleaved again.
            let blurred = (0..<channels).map { c in
                Self.gaussianBlur(stride(from: c, to: input.count, by: channels).map { input[$0] }, width: width, height: height, sigma: sigma)
            }
            return (0..<input.count).map { blurred[$0 % channels][$0 / channels] }
        }
    }

    /// The mean image of `count` images stored back to back.
    public static func mean(of images: [Float], count: Int) -> [Float] {
        let size = images.count / max(count, 1)
        var sums = [Double](repeating: 0, count: size)
        for i in 0..<count { for p in 0..<size { sums[p] += Double(images[i * size + p]) } }
        return sums.map { Float($0 / Double(count)) }
    }

    /// Separable Gaussian blur with edge pixels repeated, kernel radius 3 sigma.
    static func gaussianBlur(_ image: [Float], width: Int, height: Int, sigma: Double) -> [Float] {
        let radius = max(1, Int((3 * sigma).rounded(.up)))
        let weights = (-radius...radius).map { exp(-Double($0 * $0) / (2 * sigma * sigma)) }
        let total = weights.reduce(0, +)
        func pass(_ source: [Float], horizontal: Bool) -> [Float] {
            var result = source
            for y in 0..<height {
                for x in 0..<width {
                    var sum = 0.0
                    for (k, weight) in weights.enumerated() {
                        let offset = k - radius
                        let sx = horizontal ? min(max(x + offset, 0), width - 1) : x
                        let sy = horizontal ? y : min(max(y + offset, 0), height - 1)
                        sum += weight * Double(source[sy * width + sx])
                    }
                    result[y * width + x] = Float(sum / total)
                }
            }
            return result
        }
        return pass(pass(image, horizontal: true), horizontal: false)
    }
}
