import Foundation

/// LIME: a weighted linear model of the target's output over which segments are present,
/// fitted on random masks near the input (Ribeiro, Singh & Guestrin 2016, "Why Should I Trust
/// You?", section 3.3 and Algorithm 1), with the choices of the `lime` package's
/// `LimeImageExplainer`:
///
/// - samples: binary vectors z in {0,1}^M, each bit 1 with probability 1/2; the first sample is
///   all ones (the input itself). Bit s set = segment s shows the input, clear = the baseline.
/// - distance: the cosine distance to the all-ones vector, `d(z) = 1 - |z| / sqrt(|z| M)`
///   `= 1 - sqrt(|z| / M)`, and 1 for the all-zeros vector (scikit-learn's `cosine_distances`).
/// - kernel: `pi(z) = sqrt(exp(-d^2 / width^2))` with `width = 0.25`.
/// - local model: ridge regression (alpha 1, with an intercept) of `f(z)` on z weighted by
///   `pi(z)`, every segment used (no feature selection).
///
/// The values are the coefficients; metrics `r2` (the weighted R^2 of the local model on the
/// samples, lime's `score`), `intercept`, and `local_prediction` (the local model at all ones,
/// lime's `local_pred`). `baseValue` is the model's output for the baseline (all segments
/// absent), evaluated with the samples, not the intercept. With ridge alpha 0 and an exactly
/// linear model the coefficients are the per-segment contributions; alpha shrinks each by about
/// `alpha / (sum of weights x variance of its bit)`.
///
/// - Complexity: `samples + 1` model evaluations (default 1,000 + 1) in one batched sweep, and
///   O(samples M^2 + M^3) host operations for the regression.
public struct Lime: Explainer {
    public let name = "lime"
    public static let defaultSamples = 1000
    /// The kernel width of the distance weighting (lime's image default).
    public var kernelWidth: Double
    /// The L2 penalty of the local model (scikit-learn's `Ridge(alpha=1)` in lime); 0 gives
    /// weighted least squares.
    public var ridgeAlpha: Double

    public init(kernelWidth: Double = 0.25, ridgeAlpha: Double = 1) {
        self.kernelWidth = kernelWidth
        self.ridgeAlpha = ridgeAlpha
    }

    /// - Throws: ``GlassboxError`` for a kernel width that is not positive, a negative ridge
    ///   alpha, fewer samples than segments + 1, or samples that do not determine the local model
    ///   (alpha 0 with too few distinct samples).
    public func explain(_ request: ExplanationRequest) throws -> Explanation {
        guard kernelWidth > 0, kernelWidth.isFinite else {
            throw GlassboxError.invalidArgument(operation: "lime", reason: "kernel width \(kernelWidth) must be positive")
        }
        guard ridgeAlpha >= 0, ridgeAlpha.isFinite else {
            throw GlassboxError.invalidArgument(operation: "lime", reason: "ridge alpha \(ridgeAlpha) must be >= 0")
        }
        let m = request.segmentation.count
        let count = request.samples ?? Self.defaultSamples
        // Fewer samples than weights fit any values perfectly (R^2 1 from one sample): refuse
        // rather than report a meaningless local model.
        guard count >= m + 1 else {
            throw GlassboxError.invalidArgument(operation: "lime",
                reason: "\(count) samples cannot determine \(m) segment weights and an intercept; use at least \(m + 1) (default \(Self.defaultSamples))")
        }
        let ((model, outputs), seconds) = try timed { () -> (RidgeRegression, [Double]) in
            let engine = try request.makeEngine()
            var random = SeededGenerator(seed: request.seed)
            var masks = [engine.fullMask]
            masks.reserveCapacity(count + 1)
            for _ in 1..<max(count, 1) { masks.append(random.next() & engine.fullMask) }
            // The baseline rides along in the same sweep, as the last mask.
            let outputs = try engine.evaluate(masks + [0], target: request.target)
            var features = [Double](repeating: 0, count: count * m)
            var weights = [Double](repeating: 0, count: count)
            for (i, mask) in masks.enumerated() {
                for s in 0..<m where (mask >> UInt64(s)) & 1 == 1 { features[i * m + s] = 1 }
                weights[i] = Self.kernel(distance: Self.cosineDistanceToAllOnes(present: mask.nonzeroBitCount, of: m), width: kernelWidth)
            }
            let model = try RidgeRegression.fit(features: features, featureCount: m, targets: Array(outputs.prefix(count)),
                                                weights: weights, alpha: ridgeAlpha)
            return (model, outputs)
        }
        let values = model.coefficients
        return Explanation(method: name, target: request.target, baseValue: outputs[count], prediction: outputs[0],
                           values: values, pixelMap: request.segmentation.pixelMap(values),
                           metrics: ["r2": model.r2, "intercept": model.intercept,
                                     "local_prediction": model.intercept + values.reduce(0, +)],
                           samples: outputs.count, seconds: seconds)
    }

    /// The cosine distance between a binary vector with `present` ones out of `m` and the
    /// all-ones vector: `1 - sqrt(present / m)`, and 1 for the zero vector (which has no
    /// direction; scikit-learn's `cosine_distances` gives it similarity 0).
    public static func cosineDistanceToAllOnes(present: Int, of m: Int) -> Double {
        present == 0 || m == 0 ? 1 : 1 - (Double(present) / Double(m)).squareRoot()
    }

    /// lime's exponential kernel, `sqrt(exp(-d^2 / width^2))`.
    public static func kernel(distance d: Double, width: Double) -> Double {
        exp(-d * d / (width * width)).squareRoot()
    }
}
