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
        let budget = request.samples ?? Self.defaultBudget(segments: m)
        let ((values, outputs, design), seconds) = try timed { () -> ([Double], [Double], CoalitionDesign) in
            var generator = SeededGenerator(seed: request.seed)
            let design = Self.coalitions(players: m, budget: budget, using: &generator)
            let engine = try request.makeEngine()
            let outputs = try engine.evaluate([0, engine.fullMask] + design.masks, target: request.target)
            let values = try Self.regression(design, outputs: Array(outputs[2...]), base: outputs[0], prediction: outputs[1], players: m)
            return (values, outputs, design)
        }
        var explanation = Explanation(method: name, target: request.target, baseValue: outputs[0], prediction: outputs[1],
                                      values: values, pixelMap: request.segmentation.pixelMap(values),
                                      samples: outputs.count, seconds: seconds)
        explanation.metrics = ["efficiency_gap": explanation.efficiencyGap, "enumerated_sizes": Double(design.enumeratedSizes),
                               "coalitions": Double(design.masks.count)]
        return explanation
    }

    /// The coalitions of the regression (never the empty or the full one) and their weights,
    /// which sum to 1.
    struct CoalitionDesign {
        var masks: [UInt64] = []
        var weights: [Double] = []
        /// Sizes among 1...M-1 whose coalitions are all in `masks` with their exact weights.
        var enumeratedSizes = 0
    }

    /// Chooses at most `budget` distinct coalitions of `m` players as described in the type's
    /// documentation; the same generator state gives the same coalitions.
    static func coalitions(players m: Int, budget: Int, using generator: inout SeededGenerator) -> CoalitionDesign {
        var design = CoalitionDesign()
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
                design.masks.append(subset); design.weights.append(each)
                if paired { design.masks.append(full ^ subset); design.weights.append(each) }
            }
            remaining -= Int(count[s])
            weightLeft -= weight[s]
            design.enumeratedSizes += paired ? 2 : 1
            s += 1
        }
        guard remaining > 0, s <= groups else { return design }

        // Sampling from groups s...groups. Enumeration stopped because the budget falls short of
        // the remaining coalitions, so new ones can still be found; the draw limit only bounds the
        // coupon-collector tail when the budget nearly covers them.
        let firstSampled = design.masks.count
        var indexOfMask: [UInt64: Int] = [:]
        var pool = Array(0..<m)
        func add(_ mask: UInt64) {
            if let i = indexOfMask[mask] {
                design.weights[i] += 1
            } else if remaining > 0 {
                indexOfMask[mask] = design.masks.count
                design.masks.append(mask); design.weights.append(1)
                remaining -= 1
            }
        }
        var draws = 0
        let maximumDraws = 4 * remaining + 64
        while remaining > 0, draws < maximumDraws {
            draws += 1
            var u = Double.random(in: 0..<weightLeft, using: &generator)
            var size = s
            while size < groups, u >= weight[size] { u -= weight[size]; size += 1 }
            var subset: UInt64 = 0
            for i in 0..<size {
                pool.swapAt(i, Int.random(in: i..<m, using: &generator))
                subset |= 1 << UInt64(pool[i])
            }
            add(subset)
            add(full ^ subset)
        }
        let drawn = design.weights[firstSampled...].reduce(0, +)
        for i in firstSampled..<design.weights.count { design.weights[i] *= weightLeft / drawn }
        return design
    }

    /// The constrained regression: values summing to `prediction - base` exactly. The weighted
    /// normal equations `(X^T W X) b = X^T W y` of the reduced problem are accumulated row by row
    /// and solved by Cholesky in Double (`RidgeRegression.solveSymmetricPositiveDefinite`, shared
    /// with LIME): at most 63 unknowns, rows of 0/±1 entries.
    static func regression(_ design: CoalitionDesign, outputs: [Double], base: Double, prediction: Double, players m: Int) throws -> [Double] {
        let delta = prediction - base
        guard m >= 2 else { return [delta] }
        let columns = m - 1
        let last = UInt64(1) << UInt64(m - 1)
        var normal = [Double](repeating: 0, count: columns * columns)
        var right = [Double](repeating: 0, count: columns)
        var row = [Double](repeating: 0, count: columns)
        for (r, mask) in design.masks.enumerated() {
            let zLast: Double = mask & last != 0 ? 1 : 0
            for c in 0..<columns { row[c] = Double((mask >> UInt64(c)) & 1) - zLast }
            let target = outputs[r] - base - zLast * delta
            for i in 0..<columns where row[i] != 0 {
                let weighted = design.weights[r] * row[i]
                right[i] += weighted * target
                for j in 0...i { normal[i * columns + j] += weighted * row[j] }
            }
        }
        for i in 0..<columns { for j in 0..<i { normal[j * columns + i] = normal[i * columns + j] } }
        let coefficients: [Double]
        do {
            coefficients = try RidgeRegression.solveSymmetricPositiveDefinite(normal, right, size: columns)
        } catch {
            throw GlassboxError.invalidArgument(operation: "kernel",
                reason: "\(design.masks.count) coalitions do not determine \(m) values (the weighted regression is singular); use more samples (at least \(2 * m))")
        }
        return coefficients + [delta - coefficients.reduce(0, +)]
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
