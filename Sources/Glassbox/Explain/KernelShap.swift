/// Kernel SHAP (Lundberg & Lee 2017, "A Unified Approach to Interpreting Model Predictions",
/// NeurIPS, section 4.1 and Theorem 2; arXiv:1705.07874): the Shapley values as the solution of a
/// weighted linear regression over coalitions z (bit i set = segment i shows the input),
///
///     minimise  sum_z pi(z) (f(z) - phi_0 - sum_i phi_i z_i)^2
///     pi(z) = (M - 1) / (C(M, |z|) |z| (M - |z|))        (the Shapley kernel)
///
/// where the empty and the full coalition get infinite weight, which pins `phi_0 = f(baseline)` and
/// `sum_i phi_i = f(input) - f(baseline)`. Here those two are constraints, not rows: the last value
/// is eliminated (`phi_M = delta - sum_{i<M} phi_i`), leaving the ordinary weighted least squares
///
///     f(z) - phi_0 - z_M delta  ~  sum_{i<M} phi_i (z_i - z_M)
///
/// solved in Double. Over all 2^M - 2 coalitions the solution is exactly the Shapley values
/// (Theorem 2).
///
/// The coalitions are chosen as shap's `KernelExplainer` chooses them
/// (https://shap.readthedocs.io/en/latest/generated/shap.KernelExplainer.html, default budget
/// `nsamples = 2 M + 2048`): sizes s and M - s form a group of weight proportional to
/// `(M - 1) / (s (M - s))` (twice that when s != M - s); going from the outside in (s = 1, 2, ...),
/// a whole group is enumerated, each coalition with its exact kernel weight, while the budget's
/// share of the remaining weight covers it. The rest of the budget is sampled: a group drawn by
/// weight, a uniform coalition of size s in it, and always its complement with it (paired
/// sampling); a coalition drawn again adds 1 to its count instead of costing an evaluation, and the
/// counts are scaled to the weight of the sampled groups. With the default budget up to 11
/// segments are fully enumerated (2^11 - 2 = 2046 < 2 * 11 + 2048), so the result is exact there.
///
/// - Complexity: at most `budget + 2` model evaluations in one batched sweep (`budget` =
///   `request.samples`, default `2 M + 2048`, capped at 2^M - 2), and `budget (M - 1)^2 / 2`
///   host operations for the regression. M is at most 64.
public struct KernelShap: Explainer {
    public let name = "kernel"

    public init() {}

    /// shap's `nsamples="auto"`: coalitions evaluated besides the empty and the full one.
    public static func defaultBudget(segments: Int) -> Int { 2 * segments + 2048 }

    public func explain(_ request: ExplanationRequest) throws -> Explanation {
        let m = request.segmentation.count
        let ceiling = request.samplingCeiling(default: Self.defaultBudget(segments: m))
        var convergence: Convergence?
        let ((fit, outputs, design), seconds) = try timed { () -> (Fit, [Double], CoalitionDesign) in
            var generator = SeededGenerator(seed: request.seed)
            let engine = try request.makeEngine()
            // With a tolerance: a first round of a quarter of the default budget, then more
            // sampled pairs, a device chunk at a time, until the errors are small enough.
            let first = request.tolerance == nil ? ceiling : min(ceiling, max(Self.defaultBudget(segments: m) / 4, 4 * m))
            var design = Self.coalitions(players: m, budget: first, using: &generator)
            var outputs = try engine.evaluate([0, engine.fullMask] + design.masks, target: request.target)
            var fit = try Self.regression(design, outputs: Array(outputs[2...]), base: outputs[0], prediction: outputs[1], players: m,
                                             withErrors: request.needsStandardErrors)
            if let tolerance = request.tolerance {
                var ratio = Convergence.ratio(values: fit.values, errors: fit.standardErrors ?? [])
                while ratio > tolerance, design.masks.count < ceiling, design.canSample {
                    let before = design.masks.count
                    design.sample(more: min(ceiling - before, request.toleranceRound(default: Self.defaultBudget(segments: m), engine: engine)),
                                  using: &generator)
                    guard design.masks.count > before else { break }
                    outputs += try engine.evaluate(Array(design.masks[before...]), target: request.target)
                    fit = try Self.regression(design, outputs: Array(outputs[2...]), base: outputs[0], prediction: outputs[1], players: m,
                                             withErrors: request.needsStandardErrors)
                    ratio = Convergence.ratio(values: fit.values, errors: fit.standardErrors ?? [])
                }
                convergence = Convergence(tolerance: tolerance, converged: ratio <= tolerance, ratio: ratio, evaluations: outputs.count)
            }
            return (fit, outputs, design)
        }
        var explanation = Explanation(method: name, target: request.target, baseValue: outputs[0], prediction: outputs[1],
                                      values: fit.values, pixelMap: request.segmentation.pixelMap(fit.values),
                                      samples: outputs.count, seconds: seconds, standardErrors: fit.standardErrors)
        explanation.degreesOfFreedom = fit.degreesOfFreedom
        explanation.convergence = convergence
        explanation.metrics = ["efficiency_gap": explanation.efficiencyGap, "enumerated_sizes": Double(design.enumeratedSizes),
                               "coalitions": Double(design.masks.count)]
        if !design.counts.isEmpty { explanation.floorStandardErrorsAtOutputPrecision() }
        return explanation
    }

    /// The coalitions of the regression (never the empty or the full one) and their weights,
    /// which sum to 1: the enumerated sizes' coalitions with their exact kernel weights, then the
    /// sampled ones, each weighted by how often it was drawn. The design keeps its sampler's state,
    /// so ``sample(more:using:)`` can continue it (`--tolerance`).
    struct CoalitionDesign {
        var masks: [UInt64] = []
        /// Sizes among 1...M-1 whose coalitions are all in `masks` with their exact weights.
        var enumeratedSizes = 0
        /// The players.
        var players = 0
        /// The enumerated coalitions' weights; `masks` from this count on are sampled.
        var exactWeights: [Double] = []
        /// How often each sampled coalition was drawn (indexed from `exactWeights.count`).
        var counts: [Double] = []
        /// Each draw's coalitions: indices into `masks` of a coalition and its complement (-1 when
        /// the budget ended between the two).
        var draws: [(Int, Int)] = []
        /// The normalised kernel weight of the groups not enumerated, which the draws share.
        var weightLeft = 0.0
        /// The first group sampled (groups s hold sizes s and M - s), and every group's weight.
        var firstSampledGroup = 1
        var groupWeights: [Double] = []
        var indexOfMask: [UInt64: Int] = [:]
        var pool: [Int] = []

        /// Every coalition's weight: exact for the enumerated ones; for the sampled ones their
        /// draw counts scaled to the sampled groups' share of the kernel.
        var weights: [Double] { exactWeights + counts.map { $0 * sampledScale } }
        /// The weight of one draw count.
        var sampledScale: Double {
            let drawn = counts.reduce(0, +)
            return drawn > 0 ? weightLeft / drawn : 0
        }
        /// Whether coalitions remain to be sampled.
        var canSample: Bool { players >= 2 && firstSampledGroup <= players / 2 && weightLeft > 0 }

        /// Draws more complementary pairs (a group by weight, a uniform coalition of its size, and
        /// its complement) until `more` new coalitions are added or the draws stop finding new ones.
        mutating func sample(more: Int, using generator: inout SeededGenerator) {
            guard canSample, more > 0 else { return }
            let m = players, groups = m / 2
            let full: UInt64 = m == 64 ? .max : (1 << UInt64(m)) - 1
            var remaining = more
            func add(_ mask: UInt64) -> Int {
                if let i = indexOfMask[mask] {
                    counts[i - exactWeights.count] += 1
                    return i
                }
                guard remaining > 0 else { return -1 }
                indexOfMask[mask] = masks.count
                masks.append(mask); counts.append(1)
                remaining -= 1
                return masks.count - 1
            }
            // The draw limit only bounds the coupon-collector tail when the budget nearly covers
            // the coalitions left.
            var draws = 0
            let maximumDraws = 4 * remaining + 64
            while remaining > 0, draws < maximumDraws {
                draws += 1
                var u = Double.random(in: 0..<weightLeft, using: &generator)
                var size = firstSampledGroup
                while size < groups, u >= groupWeights[size] { u -= groupWeights[size]; size += 1 }
                var subset: UInt64 = 0
                for i in 0..<size {
                    pool.swapAt(i, Int.random(in: i..<m, using: &generator))
                    subset |= 1 << UInt64(pool[i])
                }
                let first = add(subset)
                self.draws.append((first, add(full ^ subset)))
            }
        }
    }

    /// Chooses at most `budget` distinct coalitions of `m` players as described in the type's
    /// documentation; the same generator state gives the same coalitions.
    static func coalitions(players m: Int, budget: Int, using generator: inout SeededGenerator) -> CoalitionDesign {
        var design = CoalitionDesign()
        design.players = m
        guard m >= 2 else { return design }
        let full: UInt64 = m == 64 ? .max : (1 << UInt64(m)) - 1
        let groups = m / 2                        // group s holds sizes s and m - s
        var count = [Double](repeating: 0, count: groups + 1)
        var weight = [Double](repeating: 0, count: groups + 1)
        for s in 1...groups {
            let paired = s != m - s
            count[s] = binomial(m, s) * (paired ? 2 : 1)
            weight[s] = Double(m - 1) / Double(s * (m - s)) * (paired ? 2 : 1)
        }
        let total = weight.reduce(0, +)
        weight = weight.map { $0 / total }

        var remaining = budget
        var weightLeft = 1.0
        var s = 1
        while s <= groups, Double(remaining) >= count[s], Double(remaining) * weight[s] / weightLeft >= count[s] * (1 - 1e-8) {
            let each = weight[s] / count[s], paired = s != m - s
            forEachSubset(players: m, size: s, count: Int(binomial(m, s))) { subset in
                design.masks.append(subset); design.exactWeights.append(each)
                if paired { design.masks.append(full ^ subset); design.exactWeights.append(each) }
            }
            remaining -= Int(count[s])
            weightLeft -= weight[s]
            design.enumeratedSizes += paired ? 2 : 1
            s += 1
        }
        design.firstSampledGroup = s
        design.weightLeft = s <= groups ? weightLeft : 0
        design.groupWeights = weight
        design.pool = Array(0..<m)
        // Sampling from groups s...groups. Enumeration stopped because the budget falls short of
        // the remaining coalitions, so new ones can still be found.
        design.sample(more: remaining, using: &generator)
        return design
    }

    /// Groups of draws for the standard errors' batch means.
    static let errorGroups = 64

    /// The regression's values, and their standard errors when some coalitions were sampled.
    struct Fit {
        var values: [Double]
        /// nil with fewer than two draws; zeros when every coalition was enumerated.
        var standardErrors: [Double]?
        /// Draws minus one; nil without draws.
        var degreesOfFreedom: Double?
    }

    /// The constrained regression: values summing to `prediction - base` exactly. The weighted
    /// normal equations `G b = r` (`G = X^T W X`, `r = X^T W y`) of the reduced problem are
    /// accumulated row by row and solved by Cholesky in Double (shared with LIME): at most 63
    /// unknowns, rows of 0/±1 entries.
    ///
    /// Standard errors (the delta method for an estimator defined by sample means, as in Covert &
    /// Lee 2021, "Improving KernelSHAP: Practical Shapley Value Estimation via Linear Regression",
    /// AISTATS, section 4, where `A_n` and `b_n` are means over sampled coalitions): the
    /// enumerated coalitions are fixed and only the K sampled draws vary. Draw k (a coalition and
    /// its complement) adds `c (G_k, r_k)` to the normal equations, `c` the weight of one draw
    /// count, so at the solution `b` the estimating equation `r - G b = 0` has the per-draw terms
    /// `u_k = r_k - G_k b = sum over the draw's rows of x (y - x.b)`, and to first order
    ///
    ///     Cov(b) = G^-1 (c^2 K Cov(u)) G^-1,   Cov(u) the sample covariance of the K draws,
    ///
    /// the sandwich (Huber 1967) estimator for K independent draws. The last value is
    /// `delta - sum(b)`, so its variance is `1^T Cov(b) 1`. `Cov(c sum_k u_k)` is estimated by
    /// batch means: the K draws in B = min(K, 64) groups of consecutive draws, `U_g` each group's
    /// sum, `v_g = G^-1 (U_g - |g| mean u)`, `Var(b_j) = c^2 B / (B - 1) sum_g v_gj^2` and
    /// `Var(last) = c^2 B / (B - 1) sum_g (sum_j v_gj)^2`, with B - 1 degrees of freedom: B solves
    /// instead of K keep the errors' cost a few percent of the method's.
    static func regression(_ design: CoalitionDesign, outputs: [Double], base: Double, prediction: Double, players m: Int,
                           withErrors: Bool = true) throws -> Fit {
        let delta = prediction - base
        guard m >= 2 else { return Fit(values: [delta], standardErrors: [0]) }
        let columns = m - 1
        let last = UInt64(1) << UInt64(m - 1)
        let weights = design.weights
        let columnMask: UInt64 = (1 << UInt64(columns)) - 1
        var normal = [Double](repeating: 0, count: columns * columns)
        var right = [Double](repeating: 0, count: columns)
        // A row is `bit_c - zLast`: +1 on the set bits when zLast = 0, -1 on the clear ones when
        // zLast = 1, 0 elsewhere. So its outer product adds the weight at every pair of its
        // non-zero entries (the lower triangle here), on unchecked pointers.
        normal.withUnsafeMutableBufferPointer { normal in
            withUnsafeTemporaryAllocation(of: Int.self, capacity: 64) { support in
                for (r, mask) in design.masks.enumerated() {
                    let lastSet = mask & last != 0
                    let target = outputs[r] - base - (lastSet ? delta : 0)
                    let weight = weights[r], signedTarget = lastSet ? -weight * target : weight * target
                    var bits = lastSet ? ~mask & columnMask : mask & columnMask, count = 0
                    while bits != 0 {
                        support[count] = bits.trailingZeroBitCount
                        count += 1
                        bits &= bits - 1
                    }
                    for a in 0..<count {
                        let i = support[a]
                        right[i] += signedTarget
                        let row = normal.baseAddress! + i * columns
                        for b in 0...a { row[support[b]] += weight }
                    }
                }
            }
        }
        for i in 0..<columns { for j in 0..<i { normal[j * columns + i] = normal[i * columns + j] } }
        let factor: Cholesky
        do {
            factor = try Cholesky(normal, size: columns)
        } catch {
            throw GlassboxError.invalidArgument(operation: "kernel",
                reason: "\(design.masks.count) coalitions do not determine \(m) values (the weighted regression is singular); use more samples (at least \(2 * m))")
        }
        let coefficients = factor.solve(right)
        let values = coefficients + [delta - coefficients.reduce(0, +)]
        let k = design.draws.count
        guard withErrors else { return Fit(values: values) }
        guard k >= 2 else {
            return Fit(values: values, standardErrors: design.counts.isEmpty ? [Double](repeating: 0, count: m) : nil)
        }
        // The draws' u_k summed in B groups of consecutive draws (batch means: the draws are
        // independent, so the group sums are too, and B solves replace K).
        let b = min(k, Self.errorGroups)
        var u = [Double](repeating: 0, count: b * columns)
        var groupSizes = [Double](repeating: 0, count: b)
        // A row is `bit_c - zLast`: its product with b and its share of u run over the bits
        // (the set ones, or with zLast = 1 the clear ones).
        let coefficientSum = coefficients.reduce(0, +)
        func addShare(of index: Int, to group: Int) {
            let mask = design.masks[index], lastSet = mask & last != 0
            var residual = outputs[index] - base - (lastSet ? delta - coefficientSum : 0)
            var bits = mask & columnMask
            while bits != 0 {
                residual -= coefficients[bits.trailingZeroBitCount]
                bits &= bits - 1
            }
            var touched = lastSet ? ~mask & columnMask : mask & columnMask
            let sign = lastSet ? -residual : residual
            while touched != 0 {
                u[group * columns + touched.trailingZeroBitCount] += sign
                touched &= touched - 1
            }
        }
        for (d, pair) in design.draws.enumerated() {
            let group = d * b / k
            groupSizes[group] += 1
            if pair.0 >= 0 { addShare(of: pair.0, to: group) }
            if pair.1 >= 0 { addShare(of: pair.1, to: group) }
        }
        // Each group's sum against its expectation `size x mean`, the mean over all draws.
        var mean = [Double](repeating: 0, count: columns)
        for g in 0..<b { for c in 0..<columns { mean[c] += u[g * columns + c] / Double(k) } }
        var variances = [Double](repeating: 0, count: m)
        for g in 0..<b {
            let v = factor.solve((0..<columns).map { u[g * columns + $0] - groupSizes[g] * mean[$0] })
            var sum = 0.0
            for c in 0..<columns { variances[c] += v[c] * v[c]; sum += v[c] }
            variances[columns] += sum * sum
        }
        // Var(sum of all draws) = B Var(group sum) for equal groups: the groups' sample variance
        // times B, with B - 1 degrees of freedom.
        let c = design.sampledScale, scale = c * c * Double(b) / Double(b - 1)
        return Fit(values: values, standardErrors: variances.map { ($0 * scale).squareRoot() }, degreesOfFreedom: Double(b - 1))
    }

    /// Calls `body` with each of the `count` = C(m, size) subsets of `size` players, in increasing
    /// order of mask (Gosper's hack; Knuth, TAOCP 4A, 7.1.3, eq. 20).
    static func forEachSubset(players m: Int, size: Int, count: Int, _ body: (UInt64) -> Void) {
        var subset: UInt64 = size == 64 ? .max : (1 << UInt64(size)) - 1
        for _ in 0..<count {
            body(subset)
            let lowest = subset & (0 &- subset)
            let ripple = subset &+ lowest
            subset = ripple | (((subset ^ ripple) >> 2) / lowest)
        }
    }

    /// C(n, k) in Double (exact below 2^53).
    static func binomial(_ n: Int, _ k: Int) -> Double {
        var result = 1.0
        for i in 0..<min(k, n - k) { result = result * Double(n - i) / Double(i + 1) }
        return result
    }
}
