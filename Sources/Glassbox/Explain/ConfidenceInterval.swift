import Foundation

/// A two-sided confidence interval per attribution value: `value +- q * standard error`, with `q`
/// the Student t quantile at `(1 + level) / 2` for the estimate's degrees of freedom (the normal
/// quantile when they are unknown or large).
///
/// Every sampled method estimates its values as a mean (permutation pairs, background images,
/// noise draws) or a smooth function of means (the regressions of Kernel SHAP and LIME), so by the
/// central limit theorem its error is close to normal with the reported standard error; a small
/// sample's t quantile widens the interval for the error of the standard error itself (Student
/// 1908). Exact methods report standard errors of 0, so their intervals have width 0.
public struct ConfidenceInterval: Sendable, Equatable {
    /// The nominal coverage, e.g. 0.95.
    public let level: Double
    public let low: [Double]
    public let high: [Double]

    /// The levels `--confidence` accepts: strictly between 0 and 1.
    public static func check(level: Double) throws {
        guard level > 0, level < 1, level.isFinite else {
            throw GlassboxError.invalidArgument(operation: "--confidence", reason: "the level \(level) must lie strictly between 0 and 1 (e.g. 0.95)")
        }
    }

    /// The interval `values +- quantile * errors`.
    /// - Parameters:
    ///   - values: the estimates.
    ///   - standardErrors: one per value.
    ///   - level: the nominal coverage, strictly between 0 and 1.
    ///   - degreesOfFreedom: of the standard errors; nil for the normal quantile.
    public init(values: [Double], standardErrors: [Double], level: Double, degreesOfFreedom: Double?) {
        let q = Self.quantile(level: level, degreesOfFreedom: degreesOfFreedom)
        self.level = level
        low = zip(values, standardErrors).map { $0 - q * $1 }
        high = zip(values, standardErrors).map { $0 + q * $1 }
    }

    /// The multiple of the standard error that gives a two-sided interval of `level`.
    public static func quantile(level: Double, degreesOfFreedom: Double?) -> Double {
        let p = (1 + level) / 2
        guard let dof = degreesOfFreedom, dof.isFinite else { return normalQuantile(p) }
        return studentQuantile(p, degreesOfFreedom: max(dof, 1))
    }

    /// The standard normal quantile: Newton's method on `Phi(x) = erfc(-x / sqrt 2) / 2` from a
    /// logistic first guess, to about 1e-14.
    public static func normalQuantile(_ p: Double) -> Double {
        guard p > 0, p < 1 else { return p <= 0 ? -.infinity : .infinity }
        var x = log(p / (1 - p)) * 0.6266   // the logistic approximation of the probit
        for _ in 0..<60 {
            let cdf = erfc(-x / 2.0.squareRoot()) / 2
            let density = exp(-x * x / 2) / (2 * Double.pi).squareRoot()
            guard density > 0 else { break }
            let step = (cdf - p) / density
            x -= max(-2, min(2, step))
            if abs(step) < 1e-14 * max(1, abs(x)) { break }
        }
        return x
    }

    /// The Student t quantile with `nu` degrees of freedom: exact for 1 and 2 (`tan(pi (p - 1/2))`
    /// and `(2p - 1) / sqrt(2 p (1 - p))`), otherwise the Cornish-Fisher expansion in the normal
    /// quantile z (Abramowitz & Stegun 1964, 26.7.5), `t = z + g1/nu + g2/nu^2 + g3/nu^3 + g4/nu^4`:
    /// at p = 0.975 within 0.004 of the table at nu = 3 (0.1%) and 0.001 from nu = 5.
    public static func studentQuantile(_ p: Double, degreesOfFreedom nu: Double) -> Double {
        if nu < 1.5 { return tan(Double.pi * (p - 0.5)) }
        if nu < 2.5 { return (2 * p - 1) / (2 * p * (1 - p)).squareRoot() }
        let z = normalQuantile(p)
        let z2 = z * z
        let g1 = (z2 + 1) * z / 4
        let g2 = ((5 * z2 + 16) * z2 + 3) * z / 96
        let g3 = (((3 * z2 + 19) * z2 + 17) * z2 - 15) * z / 384
        let g4 = ((((79 * z2 + 776) * z2 + 1482) * z2 - 1920) * z2 - 945) * z / 92160
        return z + g1 / nu + g2 / (nu * nu) + g3 / (nu * nu * nu) + g4 / (nu * nu * nu * nu)
    }
}

/// How a sampling method's `--tolerance` run ended (Covert & Lee 2021, "Improving KernelSHAP",
/// section 5's convergence criterion): it stops once the largest standard error is at most
/// `tolerance x (max(values) - min(values))`, or when the sample budget is spent.
public struct Convergence: Sendable, Equatable {
    /// The requested tolerance.
    public var tolerance: Double
    /// Whether the criterion was met before the budget ran out.
    public var converged: Bool
    /// `max(standard errors) / (max(values) - min(values))` at the end (infinity for a spread of 0
    /// with a positive error; 0 when every error is 0).
    public var ratio: Double
    /// Model evaluations used (the explanation's `samples`).
    public var evaluations: Int

    /// The criterion's ratio for `values` and their `errors`.
    public static func ratio(values: [Double], errors: [Double]) -> Double {
        let largest = errors.max() ?? 0
        guard largest > 0 else { return 0 }
        let spread = (values.max() ?? 0) - (values.min() ?? 0)
        return spread > 0 ? largest / spread : .infinity
    }

    /// The tolerances `--tolerance` accepts: positive and finite.
    public static func check(tolerance: Double) throws {
        guard tolerance > 0, tolerance.isFinite else {
            throw GlassboxError.invalidArgument(operation: "--tolerance", reason: "the tolerance \(tolerance) must be a positive number (e.g. 0.05)")
        }
    }
}

/// Running means and variances of vectors (Welford 1962; Chan, Golub & LeVeque 1979 for merging):
/// what the mean-of-draws methods use for their standard errors, `sd / sqrt(n)`.
struct RunningMoments {
    private(set) var count = 0
    private(set) var mean: [Double]
    private var squares: [Double]

    init(size: Int) {
        mean = [Double](repeating: 0, count: size)
        squares = mean
    }

    /// Adds one draw.
    mutating func add(_ draw: [Double]) {
        count += 1
        let n = Double(count)
        for i in mean.indices {
            let shift = draw[i] - mean[i]
            mean[i] += shift / n
            squares[i] += shift * (draw[i] - mean[i])
        }
    }

    /// Adds one draw given element by element.
    mutating func add(_ draw: (Int) -> Double) {
        count += 1
        let n = Double(count)
        for i in mean.indices {
            let value = draw(i)
            let shift = value - mean[i]
            mean[i] += shift / n
            squares[i] += shift * (value - mean[i])
        }
    }

    /// The standard errors of the means, `sqrt(s^2 / n)` with the unbiased sample variance; nil
    /// below two draws.
    var standardErrors: [Double]? {
        guard count >= 2 else { return nil }
        let n = Double(count)
        return squares.map { max($0, 0) / (n - 1) / n }.map { $0.squareRoot() }
    }
}
