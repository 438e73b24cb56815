import Foundation

/// Draws from a normal distribution truncated to an interval, by inverting the cumulative
/// distribution function: `x = mean + sd * Phi^-1(Phi(a) + u (Phi(b) - Phi(a)))` with `u` uniform,
/// `a` and `b` the standardised bounds. Draws on the far side of the mean are reflected so the
/// subtraction stays accurate in the tails; the result is clamped to the interval.
enum TruncatedNormal {
    /// One truncated normal with its CDF bounds worked out once, for many draws.
    struct Interval {
        let mean: Double, deviation: Double, lower: Double, upper: Double
        let reflect: Bool, a: Double, b: Double, low: Double, high: Double

        init(mean: Double, deviation: Double, lower: Double, upper: Double) {
            self.mean = mean; self.deviation = deviation; self.lower = lower; self.upper = upper
            var a = (lower - mean) / deviation, b = (upper - mean) / deviation
            // Work on the side where Phi is small (the left tail) to keep precision.
            reflect = a > 0
            if reflect { (a, b) = (-b, -a) }
            self.a = a; self.b = b
            low = TruncatedNormal.cdf(a); high = TruncatedNormal.cdf(b)
        }

        func draw(using random: inout SeededGenerator) -> Double {
            guard deviation > 0, upper > lower else { return lower }
            let u = low + Double.random(in: 0..<1, using: &random) * (high - low)
            var z = TruncatedNormal.quantile(min(max(u, Double.leastNormalMagnitude), 1 - 1e-16))
            z = min(max(z, a), b)
            if reflect { z = -z }
            return min(max(mean + deviation * z, lower), upper)
        }
    }

    static func draw(mean: Double, deviation: Double, lower: Double, upper: Double,
                     using random: inout SeededGenerator) -> Double {
        Interval(mean: mean, deviation: deviation, lower: lower, upper: upper).draw(using: &random)
    }

    /// The standard normal CDF.
    static func cdf(_ z: Double) -> Double { 0.5 * erfc(-z / 2.0.squareRoot()) }

    /// The standard normal quantile: Acklam's rational approximation refined by one Halley step
    /// (relative error near 1e-15).
    static func quantile(_ p: Double) -> Double {
        let a = [-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02, 1.383577518672690e+02,
                 -3.066479806614716e+01, 2.506628277459239e+00]
        let b = [-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02, 6.680131188771972e+01,
                 -1.328068155288572e+01]
        let c = [-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00, -2.549732539343734e+00,
                 4.374664141464968e+00, 2.938163982698783e+00]
        let d = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00]
        let x: Double
        if p < 0.02425 {
            let q = (-2 * log(p)).squareRoot()
            x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
        } else if p <= 1 - 0.02425 {
            let q = p - 0.5, r = q * q
            x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q
                / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
        } else {
            let q = (-2 * log(1 - p)).squareRoot()
            x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
        }
        let e = cdf(x) - p
        let u = e * (2 * Double.pi).squareRoot() * exp(x * x / 2)
        return x - u / (1 + x * u / 2)
    }
}
