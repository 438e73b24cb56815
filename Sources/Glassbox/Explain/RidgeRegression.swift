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
        guard m >= 0, features.count == y.count * m else {
            throw GlassboxError.invalidArgument(operation: "ridge regression",
                reason: "\(features.count) feature values, \(y.count) targets and \(w.count) weights do not make \(m)-feature samples")
        }
        return try fit(DenseDesign(values: features, featureCount: m), targets: y, weights: w, alpha: alpha, withErrors: withErrors,
                       sandwich: withSandwich, posterior: withPosterior)
    }

    /// The same fit for 0/1 features given as bit masks (bit `j` of `masks[i]` is feature `j` of
    /// sample `i`, as LIME's coalitions): the products run over each sample's set bits only, so
    /// the Gram matrix costs about `n (m/2)^2 / 2` additions instead of `n m^2` multiply-adds.
    /// - Throws: as ``fit(features:featureCount:targets:weights:alpha:withErrors:sandwich:posterior:)``,
    ///   and for a mask with a bit at or above `featureCount`.
    static func fit(masks: [UInt64], featureCount m: Int, targets y: [Double], weights w: [Double],
                    alpha: Double, withErrors: Bool = true, sandwich withSandwich: Bool = true,
                    posterior withPosterior: Bool = true) throws -> RidgeRegression {
        guard (0...64).contains(m), masks.count == y.count else {
            throw GlassboxError.invalidArgument(operation: "ridge regression",
                reason: "\(masks.count) masks, \(y.count) targets and \(w.count) weights do not make \(m)-feature samples")
        }
        let valid: UInt64 = m == 64 ? .max : (1 << UInt64(m)) - 1
        if let bad = masks.firstIndex(where: { $0 & ~valid != 0 }) {
            throw GlassboxError.invalidArgument(operation: "ridge regression", reason: "mask \(bad) has a bit at or above feature \(m)")
        }
        return try fit(BitDesign(masks: masks, featureCount: m), targets: y, weights: w, alpha: alpha, withErrors: withErrors,
                       sandwich: withSandwich, posterior: withPosterior)
    }

    private static func fit<Design: RidgeDesign>(_ x: Design, targets y: [Double], weights w: [Double], alpha: Double,
                                                 withErrors: Bool, sandwich withSandwich: Bool,
                                                 posterior withPosterior: Bool) throws -> RidgeRegression {
        let n = y.count, m = x.featureCount
        guard w.count == n, n >= 1 else {
            throw GlassboxError.invalidArgument(operation: "ridge regression",
                reason: "\(n) samples and \(w.count) weights do not make \(m)-feature samples")
        }
        guard alpha >= 0, alpha.isFinite else {
            throw GlassboxError.invalidArgument(operation: "ridge regression", reason: "alpha \(alpha) must be a finite number >= 0")
        }
        let totalWeight = w.reduce(0, +)
        guard totalWeight > 0, !w.contains(where: { $0 < 0 || !$0.isFinite }) else {
            throw GlassboxError.invalidArgument(operation: "ridge regression", reason: "sample weights must be finite, >= 0, and not all zero")
        }
        var meanY = 0.0
        for i in 0..<n { meanY += w[i] * y[i] }
        meanY /= totalWeight
        let meanX = x.weightedColumnSums(w).map { $0 / totalWeight }
        var (gram, rhs) = x.centredNormalEquations(weights: w, centredTargets: y.map { $0 - meanY }, means: meanX)
        for j in 0..<m { gram[j * m + j] += alpha }
        let factor = try Cholesky(gram, size: m)
        let beta = factor.solve(rhs)
        var intercept = meanY
        for j in 0..<m { intercept -= meanX[j] * beta[j] }

        var residual = 0.0, total = 0.0
        let groups = min(n, 64)
        var groupSums = [Double](repeating: 0, count: groups * m), groupSizes = [Double](repeating: 0, count: groups)
        for i in 0..<n {
            let e = y[i] - intercept - x.dot(row: i, beta)
            residual += w[i] * e * e
            total += w[i] * (y[i] - meanY) * (y[i] - meanY)
            guard withErrors, withSandwich else { continue }
            let group = i * groups / n
            groupSizes[group] += 1
            groupSums.withUnsafeMutableBufferPointer { sums in
                x.addCentredRow(i, scale: w[i] * e, means: meanX, into: sums.baseAddress! + group * m)
            }
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

/// A design matrix as the fit reads it: weighted sums, the centred normal equations, and rows.
private protocol RidgeDesign {
    var count: Int { get }
    var featureCount: Int { get }
    /// `sum_i w_i x_ij` for each feature j.
    func weightedColumnSums(_ w: [Double]) -> [Double]
    /// `(Xc^T W Xc, Xc^T W yc)` with `Xc = X - means` (row-major, `m x m`, both triangles).
    func centredNormalEquations(weights w: [Double], centredTargets yc: [Double], means: [Double]) -> ([Double], [Double])
    /// `x_i . beta`.
    func dot(row i: Int, _ beta: [Double]) -> Double
    /// `sums[j] += scale * (x_ij - means[j])` for each feature j.
    func addCentredRow(_ i: Int, scale: Double, means: [Double], into sums: UnsafeMutablePointer<Double>)
}

/// Rows of `featureCount` values, row-major.
private struct DenseDesign: RidgeDesign {
    let values: [Double]
    let featureCount: Int
    var count: Int { featureCount == 0 ? 0 : values.count / featureCount }

    func weightedColumnSums(_ w: [Double]) -> [Double] {
        let m = featureCount
        var sums = [Double](repeating: 0, count: m)
        for i in 0..<w.count { for j in 0..<m { sums[j] += w[i] * values[i * m + j] } }
        return sums
    }

    func centredNormalEquations(weights w: [Double], centredTargets yc: [Double], means: [Double]) -> ([Double], [Double]) {
        let m = featureCount
        var gram = [Double](repeating: 0, count: m * m)
        var rhs = [Double](repeating: 0, count: m)
        var centred = [Double](repeating: 0, count: m)
        // Whole rows of the symmetric Gram matrix (twice the products of its upper triangle, but
        // contiguous, so they run as vector operations), on unchecked pointers.
        gram.withUnsafeMutableBufferPointer { gram in
            rhs.withUnsafeMutableBufferPointer { rhs in
                centred.withUnsafeMutableBufferPointer { centred in
                    values.withUnsafeBufferPointer { x in
                        for i in 0..<w.count where w[i] > 0 {
                            for j in 0..<m { centred[j] = x[i * m + j] - means[j] }
                            for j in 0..<m {
                                let wx = w[i] * centred[j]
                                rhs[j] += wx * yc[i]
                                let row = gram.baseAddress! + j * m
                                for k in 0..<m { row[k] += wx * centred[k] }
                            }
                        }
                    }
                }
            }
        }
        return (gram, rhs)
    }

    func dot(row i: Int, _ beta: [Double]) -> Double {
        var sum = 0.0
        for j in 0..<featureCount { sum += beta[j] * values[i * featureCount + j] }
        return sum
    }

    func addCentredRow(_ i: Int, scale: Double, means: [Double], into sums: UnsafeMutablePointer<Double>) {
        for j in 0..<featureCount { sums[j] += scale * (values[i * featureCount + j] - means[j]) }
    }
}

/// 0/1 features as bit masks: bit j of `masks[i]` is `x_ij`.
private struct BitDesign: RidgeDesign {
    let masks: [UInt64]
    let featureCount: Int
    var count: Int { masks.count }

    func weightedColumnSums(_ w: [Double]) -> [Double] {
        var sums = [Double](repeating: 0, count: featureCount)
        for (i, mask) in masks.enumerated() { forEachBit(mask) { sums[$0] += w[i] } }
        return sums
    }

    /// `Xc^T W Xc = X^T W X - (sum w) means means^T` (as `sum_i w_i x_i = (sum w) means`), where
    /// `X^T W X` adds each sample's weight at every pair of its set bits; `Xc^T W yc = X^T W yc -
    /// means (sum w yc)`.
    func centredNormalEquations(weights w: [Double], centredTargets yc: [Double], means: [Double]) -> ([Double], [Double]) {
        let m = featureCount
        var gram = [Double](repeating: 0, count: m * m)
        var rhs = [Double](repeating: 0, count: m)
        var totalWeight = 0.0, targetSum = 0.0
        gram.withUnsafeMutableBufferPointer { gram in
            withUnsafeTemporaryAllocation(of: Int.self, capacity: 64) { set in
                for (i, mask) in masks.enumerated() {
                    let weight = w[i]
                    totalWeight += weight
                    targetSum += weight * yc[i]
                    var bits = 0
                    forEachBit(mask) { set[bits] = $0; bits += 1 }
                    for a in 0..<bits {
                        rhs[set[a]] += weight * yc[i]
                        let row = gram.baseAddress! + set[a] * m
                        for b in a..<bits { row[set[b]] += weight }
                    }
                }
            }
        }
        for j in 0..<m {
            rhs[j] -= means[j] * targetSum
            for k in j..<m {
                let value = gram[j * m + k] - totalWeight * means[j] * means[k]
                gram[j * m + k] = value
                gram[k * m + j] = value
            }
        }
        return (gram, rhs)
    }

    func dot(row i: Int, _ beta: [Double]) -> Double {
        var sum = 0.0
        forEachBit(masks[i]) { sum += beta[$0] }
        return sum
    }

    func addCentredRow(_ i: Int, scale: Double, means: [Double], into sums: UnsafeMutablePointer<Double>) {
        for j in 0..<featureCount { sums[j] -= scale * means[j] }
        forEachBit(masks[i]) { sums[$0] += scale }
    }

    private func forEachBit(_ mask: UInt64, _ body: (Int) -> Void) {
        var bits = mask
        while bits != 0 {
            body(bits.trailingZeroBitCount)
            bits &= bits - 1
        }
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
