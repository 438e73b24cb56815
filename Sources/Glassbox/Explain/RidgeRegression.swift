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
    /// Each coefficient's posterior standard deviation under BayesLIME's model (Slack, Hilgard,
    /// Singh & Lakkaraju 2021, "Reliable Post hoc Explanations: Modeling Uncertainty in
    /// Explainability", NeurIPS, section 3.1): `y_i ~ N(x_i . beta, sigma^2 / w_i)` with the
    /// conjugate prior `beta | sigma^2 ~ N(0, sigma^2 / alpha I)` (ridge's penalty) and an
    /// uninformative prior on `sigma^2`, whose posterior is `beta ~ t(nu, betâ, s^2 V)` with
    ///
    ///     V = (Xc^T W Xc + alpha I)^-1,   s^2 = (sum w e^2 + alpha |betâ|^2) / nu,   nu = n - m - 1
    ///
    /// (the paper's `s^2` divides by n; n - m - 1, the residual degrees of freedom once the
    /// intercept and the m coefficients are fitted, is the unbiased classical form). Nil when
    /// nu < 1.
    let posteriorStandardErrors: [Double]?
    /// Each coefficient's sandwich standard error (Huber 1967; White 1980), `sqrt(diag(V S V))`
    /// with `S` the covariance of the estimating equation's sum `sum_i w_i e_i xc_i`: the sampling
    /// error over random rows when the linear model is only an approximation (as LIME's local model
    /// is), not an assumption. `S` by batch means over B = min(n, 64) groups of consecutive rows
    /// (`d_g` a group's sum less its share of the total: `S = B / (B - 1) sum_g d_g d_g^T`), so B
    /// solves give it; B - 1 degrees of freedom. Rows must be independent draws.
    let sandwichStandardErrors: [Double]?
    /// B - 1 for ``sandwichStandardErrors``.
    let sandwichDegreesOfFreedom: Int
    /// `n - m - 1`.
    let residualDegreesOfFreedom: Int

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
                    alpha: Double, withErrors: Bool = true, sandwich withSandwich: Bool = true,
                    posterior withPosterior: Bool = true) throws -> RidgeRegression {
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
        let factor = try Cholesky(gram, size: m)
        let beta = factor.solve(rhs)
        var intercept = meanY
        for j in 0..<m { intercept -= meanX[j] * beta[j] }

        var residual = 0.0, total = 0.0
        let groups = min(n, 64)
        var groupSums = [Double](repeating: 0, count: groups * m), groupSizes = [Double](repeating: 0, count: groups)
        for i in 0..<n {
            var prediction = intercept
            for j in 0..<m { prediction += beta[j] * features[i * m + j] }
            let e = y[i] - prediction
            residual += w[i] * e * e
            total += w[i] * (y[i] - meanY) * (y[i] - meanY)
            guard withErrors, withSandwich else { continue }
            let we = w[i] * e, group = i * groups / n
            groupSizes[group] += 1
            for j in 0..<m { groupSums[group * m + j] += we * (features[i * m + j] - meanX[j]) }
        }
        let r2 = total > 0 ? 1 - residual / total : (residual == 0 ? 1 : 0)
        let nu = n - m - 1
        var posterior: [Double]?, sandwich: [Double]?
        if withErrors, nu >= 1 {
            let s2 = (residual + alpha * beta.reduce(0) { $0 + $1 * $1 }) / Double(nu)
            if withPosterior { posterior = factor.inverseDiagonal.map { max($0 * s2, 0).squareRoot() } }
            if withSandwich, groups >= 2 {
                // diag(V S V) = B / (B - 1) sum_g (V d_g)^2.
                var mean = [Double](repeating: 0, count: m)
                for g in 0..<groups { for j in 0..<m { mean[j] += groupSums[g * m + j] / Double(n) } }
                var variances = [Double](repeating: 0, count: m)
                for g in 0..<groups {
                    let v = factor.solve((0..<m).map { groupSums[g * m + $0] - groupSizes[g] * mean[$0] })
                    for j in 0..<m { variances[j] += v[j] * v[j] }
                }
                sandwich = variances.map { ($0 * Double(groups) / Double(groups - 1)).squareRoot() }
            }
        }
        return RidgeRegression(coefficients: beta, intercept: intercept, r2: r2, posteriorStandardErrors: posterior,
                               sandwichStandardErrors: sandwich, sandwichDegreesOfFreedom: groups - 1, residualDegreesOfFreedom: nu)
    }

    /// Solves `A x = b` for a symmetric positive definite `A` (row-major, `size x size`) by
    /// Cholesky factorisation `A = L L^T`.
    /// - Throws: when a pivot is not clearly positive (the matrix is singular or indefinite).
    static func solveSymmetricPositiveDefinite(_ a: [Double], _ b: [Double], size m: Int) throws -> [Double] {
        try Cholesky(a, size: m).solve(b)
    }
}

/// The Cholesky factor `L` of a symmetric positive definite matrix `A = L L^T`, kept to solve
/// several right-hand sides (the regressions' coefficients, then their standard errors).
struct Cholesky {
    let size: Int
    private var lower: [Double]

    /// Factors `a` (row-major, `size x size`; only its lower triangle is read).
    /// - Throws: when a pivot is not clearly positive (the matrix is singular or indefinite).
    init(_ a: [Double], size m: Int) throws {
        size = m
        lower = [Double](repeating: 0, count: m * m)
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
    }

    /// `A^-1 b`, by forward and back substitution (unchecked pointers: the standard errors solve
    /// once per group of draws, and bounds checks would double their cost).
    func solve(_ b: [Double]) -> [Double] {
        let m = size
        precondition(b.count == m, "a right-hand side of \(b.count) values for a \(m) x \(m) system")
        var x = b
        lower.withUnsafeBufferPointer { l in
            x.withUnsafeMutableBufferPointer { x in
                for i in 0..<m {
                    var sum = x[i]
                    for k in 0..<i { sum -= l[i * m + k] * x[k] }
                    x[i] = sum / l[i * m + i]
                }
                for i in stride(from: m - 1, through: 0, by: -1) {
                    var sum = x[i]
                    for k in (i + 1)..<m { sum -= l[k * m + i] * x[k] }
                    x[i] = sum / l[i * m + i]
                }
            }
        }
        return x
    }

    /// The diagonal of `A^-1`: `sum over k of (L^-1)_ki^2`, from the columns of `L^-1`.
    var inverseDiagonal: [Double] {
        let m = size
        var diagonal = [Double](repeating: 0, count: m)
        var column = [Double](repeating: 0, count: m)
        for j in 0..<m {
            // Column j of L^-1: forward substitution of the unit vector e_j.
            for i in 0..<m { column[i] = i == j ? 1 : 0 }
            for i in j..<m {
                for k in j..<i { column[i] -= lower[i * m + k] * column[k] }
                column[i] /= lower[i * m + i]
                diagonal[j] += column[i] * column[i]
            }
        }
        return diagonal
    }
}
