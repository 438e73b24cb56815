import Foundation

/// Measures whether a sampled method's standard errors and intervals are right: the method runs
/// with many seeds at a fixed budget on one input whose true values are known (exact Shapley
/// values for the Shapley estimators; the infinite-sample regression for LIME; a run of many times
/// the budget for expectations over draws), and three figures come out:
///
/// - **coverage**: the fraction of (seed, value) pairs whose interval at the nominal level holds
///   the true value (target: the level, e.g. 93-97% at 95%);
/// - **error ratio**: per value, the mean reported standard error over the seeds divided by the
///   standard deviation of the values across seeds (the error it should report), averaged over
///   the values whose spread exceeds the outputs' single precision (target 1);
/// - **slope**: of log(mean standard error) against log(budget), between a smaller budget and the
///   budget (target -0.5, the Monte Carlo rate).
///
/// `glassbox calibrate` runs it on a model and test images (`make calibrate` writes
/// CALIBRATION.md); the tests run a small version.
public enum Calibration {
    /// One method's figures at one budget.
    public struct Result: Sendable {
        public var method: String
        /// The budget given (`samples`, or background images for `deep`).
        public var budget: Int
        public var seeds: Int
        public var level: Double
        public var coverage: Double
        public var errorRatio: Double
        /// Mean of the reported standard errors over seeds and values.
        public var meanStandardError: Double
        /// Mean model evaluations per run.
        public var meanEvaluations: Double
        /// Seconds per run, mean.
        public var meanSeconds: Double
    }

    /// Runs `explain(seed)` for every seed and scores the explanations against `reference`.
    /// - Throws: ``GlassboxError/invalidArgument(operation:reason:)`` when an explanation has no
    ///   standard errors or a different number of values than the reference.
    public static func measure(method: String, budget: Int, reference: [Double], seeds: Range<UInt64>, level: Double,
                               explain: (UInt64) throws -> Explanation) throws -> Result {
        let m = reference.count
        var inside = 0, pairs = 0
        var errorSums = [Double](repeating: 0, count: m)
        var moments = RunningMoments(size: m)
        var evaluations = 0.0, seconds = 0.0
        for seed in seeds {
            let explanation = try explain(seed)
            guard let interval = explanation.interval(level: level), let errors = explanation.standardErrors,
                  explanation.values.count == m else {
                throw GlassboxError.invalidArgument(operation: "calibrate",
                    reason: "\(method) gave \(explanation.values.count) values \(explanation.standardErrors == nil ? "without" : "with") standard errors; the reference has \(m)")
            }
            for s in 0..<m {
                if interval.low[s] <= reference[s] && reference[s] <= interval.high[s] { inside += 1 }
                errorSums[s] += errors[s]
            }
            pairs += m
            moments.add(explanation.values)
            evaluations += Double(explanation.samples)
            seconds += explanation.seconds
        }
        let n = Double(seeds.count)
        // The empirical standard deviation across seeds per value: standard error of the mean x sqrt(n).
        let spread = (moments.standardErrors ?? []).map { $0 * n.squareRoot() }
        // Values that do not vary beyond the outputs' single precision (a segment equal to the
        // baseline) have no spread to compare with: their errors sit at the rounding floor.
        let scale = max(reference.map(abs).max() ?? 0, 1e-30)
        let ratios = spread.indices.filter { spread[$0] > 1e-6 * scale }.map { errorSums[$0] / n / spread[$0] }
        return Result(method: method, budget: budget, seeds: seeds.count, level: level,
                      coverage: pairs > 0 ? Double(inside) / Double(pairs) : .nan,
                      errorRatio: ratios.isEmpty ? .nan : ratios.reduce(0, +) / Double(ratios.count),
                      meanStandardError: errorSums.reduce(0, +) / (n * Double(max(m, 1))),
                      meanEvaluations: evaluations / n, meanSeconds: seconds / n)
    }

    /// The slope of log(mean standard error) against log(budget) between two results (the
    /// budget, not the evaluations: gradient-shap's include a fixed pass over its background).
    public static func slope(_ small: Result, _ large: Result) -> Double {
        log(large.meanStandardError / small.meanStandardError) / log(Double(large.budget) / Double(small.budget))
    }

    /// LIME's estimand: the weighted least-squares fit over all 2^M coalitions, each with its
    /// kernel weight (what the local model converges to as the uniformly drawn samples grow,
    /// where the ridge penalty's share vanishes).
    /// - Throws: ``GlassboxError/invalidArgument(operation:reason:)`` for more than 16 segments.
    public static func limeReference(_ request: ExplanationRequest, lime: Lime = Lime()) throws -> [Double] {
        let m = request.segmentation.count
        guard m <= 16 else {
            throw GlassboxError.invalidArgument(operation: "calibrate", reason: "LIME's reference enumerates 2^M coalitions: at most 16 segments, not \(m)")
        }
        let masks = (0..<(UInt64(1) << UInt64(m))).map { $0 }
        let outputs = try request.makeEngine().evaluate(masks, target: request.target)
        var reference = lime
        reference.ridgeAlpha = 0
        return try reference.fit(masks, outputs, players: m).coefficients
    }
}
