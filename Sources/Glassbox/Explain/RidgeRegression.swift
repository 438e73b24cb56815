/// Weighted ridge regression with an unpenalised intercept: the local model of LIME, fitted as
/// scikit-learn's `Ridge(alpha:, fit_intercept: true).fit(X, y, sample_weight: w)` fits it.
///
/// With weights `w`, weighted means `xbar = sum w x / sum w` and `ybar = sum w y / sum w`, the
/// coefficients solve
///
///     (Xc^T W Xc + alpha I) beta = Xc^T W yc,    Xc = X - xbar,  yc = y - ybar
///
/// and the intercept is `ybar - xbar . beta` (the intercept is not penalised: Hoerl & Kennard 1970;
/// scikit-learn centres by the weighted means, then rescales rows by `sqrt(w)`). The normal
/// equations are solved by Cholesky in Double: the systems are small (at most 64 features).
struct RidgeRegression {
    let coefficients: [Double]
    let intercept: Double
    /// The weighted coefficient of determination on the fitted data, as scikit-learn's
    /// `score(X, y, sample_weight: w)`: `1 - sum w (y - yhat)^2 / sum w (y - ybar)^2`, and, when
    /// the targets do not vary, 1 for a perfect fit and 0 otherwise (`r2_score`'s `force_finite`).
    let r2: Double

    /// - Parameters:
    ///   - features: `n` rows of `featureCount` values, row-major.
    ///   - targets: `n` values.
    ///   - weights: `n` non-negative sample weights with a positive sum.
    ///   - alpha: the L2 penalty, at least 0.
    /// - Throws: ``GlassboxError/invalidArgument(operation:reason:)`` for sizes that disagree, a
    ///   negative alpha, weights that sum to zero, or (alpha 0) samples that do not determine
    ///   every coefficient.
    /// - Complexity: O(n m^2 + m^3) for `n` samples and `m` features.
    static func fit(features: [Double], featureCount m: Int, targets y: [Double], weights w: [Double],
                    alpha: Double) throws -> RidgeRegression {
        let n = y.count
        guard m >= 0, features.count == n * m, w.count == n, n >= 1 else {
            throw GlassboxError.invalidArgument(operation: "ridge regression",
                reason: "\(features.count) feature values, \(n) targets and \(w.count) weights do not make \(m)-feature samples")
        }
        guard alpha >= 0, alpha.isFinite else {
            throw GlassboxError.invalidArgument(operation: "ridge regression", reason: "alpha \(alpha) must be a finite number >= 0")
        }
        let totalWeight = w.reduce(0, +)
        guard totalWeight > 0, !w.contains(where: { $0 < 0 || !$0.isFinite }) else {
            throw GlassboxError.invalidArgument(operation: "ridge regression", reason: "sample weights must be finite, >= 0, and not all zero")
        }
        var meanX = [Double](repeating: 0, count: m)
        var meanY = 0.0
        for i in 0..<n {
            meanY += w[i] * y[i]
            for j in 0..<m { meanX[j] += w[i] * features[i * m + j] }
        }
        meanY /= totalWeight
        for j in 0..<m { meanX[j] /= totalWeight }

        var gram = [Double](repeating: 0, count: m * m)
        var rhs = [Double](repeating: 0, count: m)
        var centred = [Double](repeating: 0, count: m)
        for i in 0..<n where w[i] > 0 {
            for j in 0..<m { centred[j] = features[i * m + j] - meanX[j] }
            let yc = y[i] - meanY
            for j in 0..<m {
                let wx = w[i] * centred[j]
                rhs[j] += wx * yc
                for k in j..<m { gram[j * m + k] += wx * centred[k] }
            }
        }
        for j in 0..<m {
            gram[j * m + j] += alpha
            for k in 0..<j { gram[j * m + k] = gram[k * m + j] }
        }
        let beta = try solveSymmetricPositiveDefinite(gram, rhs, size: m)
        var intercept = meanY
        for j in 0..<m { intercept -= meanX[j] * beta[j] }

        var residual = 0.0, total = 0.0
        for i in 0..<n {
            var prediction = intercept
            for j in 0..<m { prediction += beta[j] * features[i * m + j] }
            residual += w[i] * (y[i] - prediction) * (y[i] - prediction)
            total += w[i] * (y[i] - meanY) * (y[i] - meanY)
        }
        let r2 = total > 0 ? 1 - residual / total : (residual == 0 ? 1 : 0)
        return RidgeRegression(coefficients: beta, intercept: intercept, r2: r2)
    }

    /// Solves `A x = b` for a symmetric positive definite `A` (row-major, `size x size`) by
    /// Cholesky factorisation `A = L L^T`.
    /// - Throws: when a pivot is not clearly positive (the matrix is singular or indefinite).
    static func solveSymmetricPositiveDefinite(_ a: [Double], _ b: [Double], size m: Int) throws -> [Double] {
        var lower = [Double](repeating: 0, count: m * m)
        let scale = (0..<m).map { a[$0 * m + $0] }.max() ?? 0
        for j in 0..<m {
            var diagonal = a[j * m + j]
            for k in 0..<j { diagonal -= lower[j * m + k] * lower[j * m + k] }
            guard diagonal > 1e-12 * max(scale, 1e-300) else {
                throw GlassboxError.invalidArgument(operation: "ridge regression",
                    reason: "the samples do not determine coefficient \(j) (too few or identical samples); use more samples or a positive ridge alpha")
            }
            let root = diagonal.squareRoot()
            lower[j * m + j] = root
            for i in (j + 1)..<m {
                var value = a[i * m + j]
                for k in 0..<j { value -= lower[i * m + k] * lower[j * m + k] }
                lower[i * m + j] = value / root
            }
        }
        var x = b
        for i in 0..<m {
            for k in 0..<i { x[i] -= lower[i * m + k] * x[k] }
            x[i] /= lower[i * m + i]
        }
        for i in stride(from: m - 1, through: 0, by: -1) {
            for k in (i + 1)..<m { x[i] -= lower[k * m + i] * x[k] }
            x[i] /= lower[i * m + i]
        }
        return x
    }
}
