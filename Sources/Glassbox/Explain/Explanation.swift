/// The result of one explainer on one input: what every method returns, so that reports, metrics
/// and the CLI treat them alike (as shap's `Explanation`).
public struct Explanation: Sendable {
    /// The method's name, e.g. `kernel`.
    public var method: String
    /// The class explained.
    public var target: Int
    /// The model's output for the baseline (all segments absent): the reference the values add to.
    public var baseValue: Double
    /// The model's output for the input itself.
    public var prediction: Double
    /// One attribution per segment, in segment-id order (row-major for grids); empty for methods
    /// that attribute to pixels only.
    public var values: [Double]
    /// One attribution per pixel (row-major): each segment's value spread over its pixels, or the
    /// method's own per-pixel map (occlusion, gradients).
    public var pixelMap: [Double]
    /// Named figures of the method and of the explanation's quality (efficiency gap, R^2, ...).
    public var metrics: [String: Double]
    /// Model evaluations (forward passes, or forward+backward for gradients) used.
    public var samples: Int
    /// Wall-clock seconds.
    public var seconds: Double
    /// One standard error per value (same order as ``values``), estimated from the method's own
    /// evaluations: 0 for exact methods, nil only where no estimate exists (a sampling method
    /// given too few samples to tell, e.g. a single permutation pair).
    public var standardErrors: [Double]?
    /// The degrees of freedom of ``standardErrors`` (draws minus one, or the regression's
    /// residual degrees of freedom), for the t quantile of ``interval(level:)``; nil for the
    /// normal quantile.
    public var degreesOfFreedom: Double?
    /// How a `--tolerance` run ended; nil when no tolerance was asked for.
    public var convergence: Convergence?
    /// The output the values add up to (with ``baseValue``) when that is not ``prediction``:
    /// gradient-shap with input noise explains the mean output over its noisy copies of the input.
    public var summedPrediction: Double?
    /// For LIME on a table: each feature's rule (the row's quartile bin, `mean radius <= 13.37`),
    /// in the order of ``values``.
    public var featureRules: [String]?

    public init(method: String, target: Int, baseValue: Double, prediction: Double, values: [Double], pixelMap: [Double],
                metrics: [String: Double] = [:], samples: Int, seconds: Double, standardErrors: [Double]? = nil) {
        self.method = method; self.target = target; self.baseValue = baseValue; self.prediction = prediction
        self.values = values; self.pixelMap = pixelMap; self.metrics = metrics; self.samples = samples
        self.seconds = seconds; self.standardErrors = standardErrors
    }

    /// Raises every standard error to at least the outputs' single-precision rounding,
    /// `2^-23 x max(|prediction|, |baseValue|)`: a value that is exactly 0 (a segment equal to the
    /// baseline) comes out of Float outputs as +-1e-11 with a spread as small, and no number of
    /// samples makes an estimate more precise than the outputs it is made of. Sampled methods
    /// call it last.
    mutating func floorStandardErrorsAtOutputPrecision() {
        let floor = Double(Float.ulpOfOne) * max(abs(prediction), abs(baseValue), abs(summedPrediction ?? 0))
        standardErrors = standardErrors?.map { max($0, floor) }
    }

    /// The interval `values +- q * standardErrors` at `level` (e.g. 0.95); nil without standard
    /// errors.
    public func interval(level: Double) -> ConfidenceInterval? {
        guard let standardErrors, standardErrors.count == values.count else { return nil }
        return ConfidenceInterval(values: values, standardErrors: standardErrors, level: level, degreesOfFreedom: degreesOfFreedom)
    }

    /// `sum(values) - (prediction - baseValue)`: zero for methods that satisfy efficiency
    /// (Shapley values; Lundberg & Lee 2017, property 1 "local accuracy"). With
    /// ``summedPrediction`` set, the gap is taken against it instead of ``prediction``.
    public var efficiencyGap: Double { values.reduce(0, +) - ((summedPrediction ?? prediction) - baseValue) }
}
