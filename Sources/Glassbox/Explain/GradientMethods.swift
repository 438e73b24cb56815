import Foundation

// Gradient attributions: every gradient is d f_t / d x from ``InferenceSession/gradients(_:targets:batchSize:)``
// (f_t the target's probability when the model ends in softmax), all points of a method in one
// batched call. Per-pixel maps sum over channels; `values` are per-segment sums of the map.
// `baseValue` is f(baseline) and `prediction` f(x), both from one two-sample forward pass.

/// Saliency: the gradient's magnitude, `|d f_t / d x|` (Simonyan, Vedaldi & Zisserman 2014, "Deep
/// Inside Convolutional Networks", section 3.1; Captum's `Saliency` with `abs=True`).
///
/// - Complexity: one forward+backward pass and two forward passes.
public struct Saliency: Explainer {
    public let name = "saliency"
    public init() {}

    public func explain(_ request: ExplanationRequest) throws -> Explanation {
        try GradientAttribution.atInput(name, request) { gradient, _ in abs(gradient) }
    }
}

/// Gradient times input, `x * d f_t / d x` (Shrikumar et al. 2016, "Not Just a Black Box";
/// Captum's `InputXGradient`): the input itself, not `x - baseline`, multiplies the gradient.
/// For a linear model it is each pixel's exact contribution `w_p x_p`.
///
/// - Complexity: one forward+backward pass and two forward passes.
public struct GradientTimesInput: Explainer {
    public let name = "gradient-input"
    public init() {}

    public func explain(_ request: ExplanationRequest) throws -> Explanation {
        try GradientAttribution.atInput(name, request) { gradient, input in gradient * input }
    }
}

/// Integrated gradients (Sundararajan, Taly & Yan 2017, "Axiomatic Attribution for Deep
/// Networks", equation 1 and section 5 for the sum):
///
///     IG_i = (x_i - b_i) * integral over a in [0, 1] of d f_t(b + a (x - b)) / d x_i  da
///          ~ (x_i - b_i) * sum_k w_k * d f_t(b + a_k (x - b)) / d x_i
///
/// with `b` the request's baseline. The integral is a quadrature rule as in Captum's
/// `IntegratedGradients`: Gauss-Legendre by default (Captum's `gausslegendre`), or the
/// trapezoid rule on equally spaced points (`riemann_trapezoid`). Completeness (the paper's
/// proposition 1) says `sum IG = f(x) - f(b)`; metric `completeness_gap` is
/// `sum(attributions) - (f(x) - f(b))`, which shrinks as the steps grow, and is zero up to rounding
/// for a linear model at any step count. Gauss-Legendre never evaluates the endpoints; the
/// trapezoid rule does, and at a zero baseline max-pool ties and ReLU kinks make the gradient
/// there unrepresentative, so its gap falls only as 1/steps (on the test CNN: 1.0% of
/// f(x) - f(b) at 50 steps against 1e-7 for Gauss-Legendre).
///
/// The path is not sampled, so there is no sampling error: `standardErrors` hold each segment's
/// estimated quadrature error instead, the difference between the rule and a lower-order rule on
/// the same gradients (`lowerOrderWeights`; the error estimate of adaptive quadrature,
/// e.g. QUADPACK's, Piessens et al. 1983), and at least the segment's share by |value| of the
/// completeness gap (the sum's exact error: kinks of ReLU and max pooling on the path slow the
/// Gauss rule down). They are error estimates, not sampling errors: no seed changes them, so
/// they are not part of the calibration.
///
/// - Complexity: `steps` forward+backward passes (default 50; `request.samples` overrides) in
///   one batched call, and two forward passes.
public struct IntegratedGradients: Explainer {
    /// How the path integral is approximated.
    public enum Quadrature: String, Sendable, CaseIterable {
        /// Gauss-Legendre nodes and weights on [0, 1] (Captum's default).
        case gaussLegendre
        /// Equally spaced points 0, 1/(n-1), ..., 1 with trapezoid weights; needs 2 steps or more.
        case riemannTrapezoid
    }

    public let name = "integrated-gradients"
    public static let defaultSteps = 50
    public var steps: Int
    public var quadrature: Quadrature

    public init(steps: Int = IntegratedGradients.defaultSteps, quadrature: Quadrature = .gaussLegendre) {
        self.steps = steps
        self.quadrature = quadrature
    }

    /// - Throws: ``GlassboxError/invalidArgument(operation:reason:)`` for fewer than 1 step (2 for
    ///   the trapezoid rule).
    public func explain(_ request: ExplanationRequest) throws -> Explanation {
        let n = request.samples ?? steps
        let (alphas, weights) = try Self.nodes(n, quadrature)
        let size = request.input.count
        let baseline = try request.singleBaseline(for: name)
        let difference = zip(request.input, baseline).map { Double($0) - Double($1) }
        var quadratureErrors: [Double]?
        let ((map, ends), seconds) = try timed { () -> ([Double], (Double, Double)) in
            var points = [Float]()
            points.reserveCapacity(n * size)
            for alpha in alphas {
                for i in 0..<size { points.append(Float(Double(baseline[i]) + alpha * difference[i])) }
            }
            let gradients = try request.session.gradients(points, targets: [Int](repeating: request.target, count: n))
            var attributions = [Double](repeating: 0, count: size)
            for (k, weight) in weights.enumerated() {
                for i in 0..<size { attributions[i] += weight * Double(gradients[k * size + i]) }
            }
            for i in 0..<size { attributions[i] *= difference[i] }
            // The quadrature's error per segment: the rule against a lower-order one on the same
            // gradients, sum over k of (w_k - w'_k) (x - b) . g_k over the segment's values.
            if request.needsStandardErrors, let lower = Self.lowerOrderWeights(alphas, quadrature) {
                let channels = size / (request.width * request.height)
                var differences = [Double](repeating: 0, count: request.segmentation.count)
                for k in 0..<n where weights[k] != lower[k] {
                    for i in 0..<size {
                        differences[request.segmentation.segmentOfPixel[i / channels]]
                            += (weights[k] - lower[k]) * difference[i] * Double(gradients[k * size + i])
                    }
                }
                quadratureErrors = differences.map(abs)
            }
            return (GradientAttribution.pixelSums(attributions, request), try GradientAttribution.ends(request))
        }
        var explanation = GradientAttribution.explanation(name, request, pixelMap: map, ends: ends, samples: n + 2, seconds: seconds)
        // The completeness gap is the sum's exact error; shared out by |value| it is a floor for
        // each segment's error where the lower-order rule's difference is smaller.
        let gap = abs(explanation.efficiencyGap), total = explanation.values.reduce(0) { $0 + abs($1) }
        explanation.standardErrors = quadratureErrors.map { errors in
            zip(errors, explanation.values).map { max($0, total > 0 ? gap * abs($1) / total : 0) }
        }
        explanation.metrics["completeness_gap"] = explanation.efficiencyGap
        explanation.metrics["steps"] = Double(n)
        return explanation
    }

    /// The quadrature's points `a_k` in [0, 1] and weights `w_k` (summing to 1).
    static func nodes(_ n: Int, _ quadrature: Quadrature) throws -> ([Double], [Double]) {
        switch quadrature {
        case .gaussLegendre:
            guard n >= 1 else { throw GlassboxError.invalidArgument(operation: "integrated-gradients", reason: "needs at least 1 step") }
            let (roots, weights) = gaussLegendre(n)
            return (roots.map { ($0 + 1) / 2 }, weights.map { $0 / 2 })
        case .riemannTrapezoid:
            guard n >= 2 else {
                throw GlassboxError.invalidArgument(operation: "integrated-gradients", reason: "the trapezoid rule needs at least 2 steps, got \(n)")
            }
            let h = 1 / Double(n - 1)
            return ((0..<n).map { Double($0) * h }, (0..<n).map { $0 == 0 || $0 == n - 1 ? h / 2 : h })
        }
    }

    /// The weights of a lower-order rule on the same points, for the error estimate (nil when
    /// there is none: one Gauss-Legendre point, fewer than three trapezoid points). For
    /// Gauss-Legendre: the trapezoid rule through the nodes, with the end values held flat to 0
    /// and 1 (second order, against the Gauss rule's order 2n). For the trapezoid rule: the
    /// trapezoid rule on every other point (twice the step; the last point kept), whose difference
    /// is about three times the finer rule's error (Richardson).
    static func lowerOrderWeights(_ alphas: [Double], _ quadrature: Quadrature) -> [Double]? {
        let n = alphas.count
        var weights = [Double](repeating: 0, count: n)
        switch quadrature {
        case .gaussLegendre:
            guard n >= 2 else { return nil }
            weights[0] += alphas[0]
            weights[n - 1] += 1 - alphas[n - 1]
            for k in 0..<(n - 1) {
                let half = (alphas[k + 1] - alphas[k]) / 2
                weights[k] += half
                weights[k + 1] += half
            }
        case .riemannTrapezoid:
            guard n >= 3 else { return nil }
            var points = Array(stride(from: 0, to: n, by: 2))
            if points.last != n - 1 { points.append(n - 1) }
            for (a, b) in zip(points, points.dropFirst()) {
                let half = (alphas[b] - alphas[a]) / 2
                weights[a] += half
                weights[b] += half
            }
        }
        return weights
    }

    /// Gauss-Legendre nodes and weights on [-1, 1], ascending: the roots of the Legendre
    /// polynomial P_n by Newton's method from Tricomi's estimate `cos(pi (k - 1/4) / (n + 1/2))`,
    /// with P_n from the three-term recurrence `(j+1) P_{j+1} = (2j+1) x P_j - j P_{j-1}` and
    /// weights `2 / ((1 - x^2) P_n'(x)^2)` (Abramowitz & Stegun 1964, 25.4.29).
    static func gaussLegendre(_ n: Int) -> ([Double], [Double]) {
        var roots = [Double](repeating: 0, count: n), weights = [Double](repeating: 0, count: n)
        for k in 1...n {
            var x = cos(Double.pi * (Double(k) - 0.25) / (Double(n) + 0.5))
            var derivative = 0.0
            for _ in 0..<100 {
                var p0 = 1.0, p1 = x   // P_{j-1}, P_j; after the loop P_{n-1}, P_n
                for j in 1..<n { (p0, p1) = (p1, (Double(2 * j + 1) * x * p1 - Double(j) * p0) / Double(j + 1)) }
                derivative = Double(n) * (x * p1 - p0) / (x * x - 1)
                let step = p1 / derivative
                x -= step
                if abs(step) < 1e-15 { break }
            }
            roots[n - k] = x
            weights[n - k] = 2 / ((1 - x * x) * derivative * derivative)
        }
        return (roots, weights)
    }
}

/// Gradient SHAP, or expected gradients (Lundberg & Lee 2017, "A Unified Approach to
/// Interpreting Model Predictions", section 4's gradient approximation; Erion et al. 2021,
/// "Improving performance of deep learning models with axiomatic attribution priors and
/// expected gradients", equation 3), as Captum's `GradientShap` samples it: for each of n
/// samples draw a background image `b`, Gaussian noise `e` (standard deviation
/// ``noiseStandardDeviation``) and `a ~ U(0, 1)`, and average
///
///     phi_i ~ mean over samples of (x~_i - b_i) * d f_t(b + a (x~ - b)) / d x_i,   x~ = x + e
///
/// The background replaces the request's baseline: `baseValue` is the mean output over the
/// whole background (the expectation the attributions add up to, as shap's `GradientExplainer`),
/// and metric `completeness_gap` is `sum(attributions) - (E[f(x~)] - baseValue)`, which goes to
/// 0 as n grows for models that are linear along the paths. With noise the attributions add up
/// to the mean output over the n noisy copies `x~`, not to `f(x)`: that mean is reported as
/// ``Explanation/summedPrediction`` (metric `mean_noisy_prediction`; without noise it is `f(x)`)
/// and the efficiency gap is taken against it; metric `noise` records the standard deviation. The explanation holds
/// attributions only, never the background images.
///
/// This type's noise defaults to 0, Captum's default (expected gradients at `x` itself); noise
/// makes the attributions describe `x + e` rather than `x`, and Captum's tutorials use small
/// values (0.09 or less) to smooth them, which is what `glassbox explain` uses unless `--noise`.
///
/// The values are a mean over the n draws, so their standard errors are `sd / sqrt(n)` over the
/// draws' per-segment attributions (n - 1 degrees of freedom); with
/// ``ExplanationRequest/tolerance`` the draws come 50 at a time until the largest error is small
/// enough (up to ten times the default 50 without `samples`).
///
/// - Complexity: n forward+backward passes (default 50; `request.samples` overrides) in one
///   batched call, plus one forward pass for the input and one per background image, and with
///   noise n forward passes of the noisy copies.
public struct GradientShap: Explainer {
    public let name = "gradient-shap"
    public static let defaultSamples = 50
    /// Reference images (e.g. a few hundred random training images), each of the model's input size.
    public let background: [[Float]]
    public var noiseStandardDeviation: Double

    public init(background: [[Float]], noiseStandardDeviation: Double = 0) {
        self.background = background
        self.noiseStandardDeviation = noiseStandardDeviation
    }

    /// - Throws: ``GlassboxError/invalidArgument(operation:reason:)`` for an empty background, a
    ///   background image of another size than the input, or a negative noise level.
    public func explain(_ request: ExplanationRequest) throws -> Explanation {
        let size = request.input.count
        guard !background.isEmpty else {
            throw GlassboxError.invalidArgument(operation: "gradient-shap", reason: "needs at least one background image")
        }
        if let bad = background.firstIndex(where: { $0.count != size }) {
            throw GlassboxError.invalidArgument(operation: "gradient-shap",
                reason: "background image \(bad) has \(background[bad].count) values, the input \(size)")
        }
        guard noiseStandardDeviation >= 0, noiseStandardDeviation.isFinite else {
            throw GlassboxError.invalidArgument(operation: "gradient-shap", reason: "noise standard deviation \(noiseStandardDeviation) must be >= 0")
        }
        let ceiling = request.samplingCeiling(default: Self.defaultSamples)
        let target = request.target, classes = request.session.model.outputCount
        let segments = request.segmentation.count, pixels = request.width * request.height
        let channels = size / max(pixels, 1)
        var noisyOutputs = 0.0, draws = 0
        var convergence: Convergence?
        var moments = RunningMoments(size: segments)
        let ((map, ends), seconds) = try timed { () -> ([Double], (Double, Double)) in
            // Baselines and path points from one stream, noise from another, so the noise level
            // does not change which baselines are drawn.
            var random = SeededGenerator(seed: request.seed)
            var noise = SeededGenerator(seed: request.seed ^ 0x6E6F_6973_65)   // "noise" in ASCII
            var attributions = [Double](repeating: 0, count: size)
            var segmentSums = [Double](repeating: 0, count: segments)
            // One round holds every draw, or with a tolerance the default number at a time.
            let round = request.tolerance == nil ? ceiling : min(ceiling, Self.defaultSamples)
            while draws < ceiling {
                let n = min(round, ceiling - draws)
                var points = [Float](), differences = [Double](), noisyInputs = [Float]()
                points.reserveCapacity(n * size)
                differences.reserveCapacity(n * size)
                if noiseStandardDeviation > 0 { noisyInputs.reserveCapacity(n * size) }
                for _ in 0..<n {
                    let baseline = background[Int.random(in: 0..<background.count, using: &random)]
                    let alpha = Double.random(in: 0..<1, using: &random)
                    for i in 0..<size {
                        let noisy = Double(request.input[i]) + (noiseStandardDeviation > 0 ? noiseStandardDeviation * Self.gaussian(&noise) : 0)
                        if noiseStandardDeviation > 0 { noisyInputs.append(Float(noisy)) }
                        let difference = noisy - Double(baseline[i])
                        points.append(Float(Double(baseline[i]) + alpha * difference))
                        differences.append(difference)
                    }
                }
                // With noise the values add up to the mean output over the noisy copies, not f(x).
                if noiseStandardDeviation > 0 {
                    let outputs = try request.session.predict(noisyInputs)
                    noisyOutputs += (0..<n).reduce(0.0) { $0 + Double(outputs[$1 * classes + target]) }
                }
                let gradients = try request.session.gradients(points, targets: [Int](repeating: target, count: n))
                // Each draw's attribution per segment is one draw of the mean's distribution.
                for k in 0..<n {
                    guard request.needsStandardErrors else {
                        for i in 0..<size { attributions[i] += differences[k * size + i] * Double(gradients[k * size + i]) }
                        continue
                    }
                    for s in 0..<segments { segmentSums[s] = 0 }
                    for i in 0..<size {
                        let value = differences[k * size + i] * Double(gradients[k * size + i])
                        attributions[i] += value
                        segmentSums[request.segmentation.segmentOfPixel[i / channels]] += value
                    }
                    moments.add(segmentSums)
                }
                draws += n
                if let tolerance = request.tolerance, let errors = moments.standardErrors,
                   Convergence.ratio(values: moments.mean, errors: errors) <= tolerance { break }
            }
            for i in 0..<size { attributions[i] /= Double(draws) }
            if let tolerance = request.tolerance {
                let ratio = moments.standardErrors.map { Convergence.ratio(values: moments.mean, errors: $0) } ?? .infinity
                convergence = Convergence(tolerance: tolerance, converged: ratio <= tolerance, ratio: ratio, evaluations: 0)
            }
            let outputs = try request.session.predict(request.input + background.flatMap { $0 })
            let backgroundMean = (1...background.count).reduce(0.0) { $0 + Double(outputs[$1 * classes + target]) } / Double(background.count)
            return (GradientAttribution.pixelSums(attributions, request), (Double(outputs[target]), backgroundMean))
        }
        let noisyMean: Double? = noiseStandardDeviation > 0 ? noisyOutputs / Double(draws) : nil
        var explanation = GradientAttribution.explanation(name, request, pixelMap: map, ends: ends,
                                                          samples: draws + 1 + background.count + (noisyMean == nil ? 0 : draws), seconds: seconds)
        explanation.summedPrediction = noisyMean ?? explanation.prediction   // without noise: f(x) itself
        explanation.standardErrors = moments.standardErrors
        explanation.degreesOfFreedom = draws >= 2 ? Double(draws - 1) : nil
        convergence?.evaluations = explanation.samples
        explanation.convergence = convergence
        explanation.metrics["completeness_gap"] = explanation.efficiencyGap
        explanation.metrics["background_size"] = Double(background.count)
        explanation.metrics["noise"] = noiseStandardDeviation
        if let noisyMean { explanation.metrics["mean_noisy_prediction"] = noisyMean }
        explanation.floorStandardErrorsAtOutputPrecision()
        return explanation
    }

    /// A standard normal draw by the Box-Muller transform (Box & Muller 1958).
    static func gaussian(_ random: inout SeededGenerator) -> Double {
        let u1 = 1 - Double.random(in: 0..<1, using: &random)   // (0, 1]: log stays finite
        let u2 = Double.random(in: 0..<1, using: &random)
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }
}

/// What the gradient methods share: channel sums, the two end outputs, and the explanation.
enum GradientAttribution {
    /// Per-pixel sums over channels of per-value attributions laid out like the input (NHWC).
    static func pixelSums(_ perValue: [Double], _ request: ExplanationRequest) -> [Double] {
        let pixels = request.width * request.height
        let channels = perValue.count / pixels
        guard channels > 1 else { return perValue }
        return (0..<pixels).map { p in (0..<channels).reduce(0) { $0 + perValue[p * channels + $1] } }
    }

    /// A method whose attribution of each input value is `attribution(gradient, input value)` at
    /// the input itself: one gradient pass, plus the two end outputs.
    static func atInput(_ method: String, _ request: ExplanationRequest,
                        _ attribution: (Double, Double) -> Double) throws -> Explanation {
        let ((map, ends), seconds) = try timed { () -> ([Double], (Double, Double)) in
            let gradient = try request.session.gradients(request.input, targets: [request.target])
            let perValue = zip(gradient, request.input).map { attribution(Double($0), Double($1)) }
            return (pixelSums(perValue, request), try GradientAttribution.ends(request))
        }
        var result = explanation(method, request, pixelMap: map, ends: ends, samples: 3, seconds: seconds)
        result.standardErrors = [Double](repeating: 0, count: result.values.count)   // one exact gradient
        return result
    }

    /// `(f(x), f(baseline))` for the target, in one forward pass of two samples.
    static func ends(_ request: ExplanationRequest) throws -> (Double, Double) {
        let outputs = try request.session.predict(request.input + request.singleBaseline(for: "gradients"), batchSize: 2)
        let classes = request.session.model.outputCount
        return (Double(outputs[request.target]), Double(outputs[classes + request.target]))
    }

    static func explanation(_ method: String, _ request: ExplanationRequest, pixelMap: [Double], ends: (Double, Double),
                            samples: Int, seconds: Double) -> Explanation {
        Explanation(method: method, target: request.target, baseValue: ends.1, prediction: ends.0,
                    values: request.segmentation.sums(ofPixelValues: pixelMap), pixelMap: pixelMap,
                    samples: samples, seconds: seconds)
    }
}

extension Segmentation {
    /// The sum of a per-pixel map over each segment, in segment-id order: the inverse direction
    /// of ``pixelMap(_:)``, for methods that attribute to pixels first.
    func sums(ofPixelValues map: [Double]) -> [Double] {
        var sums = [Double](repeating: 0, count: count)
        for (pixel, segment) in segmentOfPixel.enumerated() { sums[segment] += map[pixel] }
        return sums
    }
}
