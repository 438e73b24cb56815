/// Shapley values by antithetic permutation sampling, as shap's `PermutationExplainer` runs it
/// (https://shap.readthedocs.io/en/latest/generated/shap.PermutationExplainer.html): Shapley's
/// value is the mean, over all M! orders, of each player's marginal contribution when it joins
/// the players before it (Shapley 1953; Lundberg & Lee 2017, eq. 8; the sampling estimator of
/// Strumbelj & Kononenko 2014, "Explaining prediction models and individual predictions with
/// feature contributions", section 3). Each sampled order pi is walked twice:
///
///     forward:  add pi_1, pi_2, ..., pi_M to the empty coalition
///     reverse:  remove pi_1, pi_2, ..., pi_M from the full one (= adding them in reverse order)
///
///     d_i(pi) = ( [f(before_i + i) - f(before_i)]_forward + [f(after_i + i) - f(after_i)]_reverse ) / 2
///     phi_i   = mean over the P sampled orders of d_i(pi)
///
/// The reverse walk's coalitions are the complements of the forward walk's, which cancels much of
/// the variance (antithetic sampling); one pair is already exact for models whose interactions are
/// at most pairwise. Every walk telescopes to `f(input) - f(baseline)`, so the values satisfy
/// efficiency exactly whatever P. `standardErrors` are the standard errors of the means over the
/// antithetic pairs, `sd(d_i) / sqrt(P)` with the unbiased `sd` (nil for a single order; Castro,
/// Gomez & Tejada 2009, "Polynomial calculation of the Shapley value based on sampling",
/// section 3; Mitchell et al. 2022, "Sampling Permutations for Shapley Value Estimation", JMLR
/// 23, section 4.1 on antithetic pairs), with P - 1 degrees of freedom. With
/// ``ExplanationRequest/tolerance`` the orders come a device chunk at a time until the largest
/// error is small enough.
///
/// The budget counts evaluations, as shap's `max_evals` does; the default is Kernel SHAP's
/// (`2 M + 2048`, against shap's 500) so that the two methods compare at equal cost. The empty and
/// the full coalition are shared by every order.
///
/// - Complexity: `2 + 2 P (M - 1)` model evaluations with
///   `P = max(1, (budget - 2) / (2 (M - 1)))`, in batches of about 65,536 masks.
public struct PermutationShap: Explainer {
    public let name = "permutation"
    /// Masks per call of the engine (which chunks further): bounds the host memory of a batch.
    static let masksPerBatch = 65_536

    public init() {}

    public func explain(_ request: ExplanationRequest) throws -> Explanation {
        let m = request.segmentation.count
        let budget = request.samplingCeiling(default: KernelShap.defaultBudget(segments: m))
        let steps = max(m - 1, 1)                      // coalitions of one walk besides empty and full
        let maximumPermutations = m == 1 ? 0 : max(1, (budget - 2) / (2 * steps))
        var convergence: Convergence?
        let ((means, errors, base, prediction, evaluations, permutations), seconds) = try timed {
            () -> ([Double], [Double]?, Double, Double, Int, Int) in
            var generator = SeededGenerator(seed: request.seed)
            let engine = try request.makeEngine()
            let full = engine.fullMask
            let ends = try engine.evaluate([0, full], target: request.target)
            let (base, prediction) = (ends[0], ends[1])
            var mean = [Double](repeating: 0, count: m), squares = [Double](repeating: 0, count: m)
            if m == 1 { mean[0] = prediction - base }
            var order = Array(0..<m)
            var done = 0
            // With a tolerance, a quarter of the default budget or a device chunk of walks at a
            // time, whichever is smaller (at least two pairs, so that the first check has a
            // standard error).
            let round = min(Self.masksPerBatch, request.toleranceRound(default: KernelShap.defaultBudget(segments: m), engine: engine))
            let perBatch = request.tolerance == nil ? max(1, Self.masksPerBatch / (2 * steps)) : max(2, round / (2 * steps))
            let withErrors = request.needsStandardErrors
            func standardErrors() -> [Double]? {
                !withErrors ? nil : done < 2 ? (m == 1 ? [0] : nil) : squares.map { ($0 / Double(done - 1) / Double(done)).squareRoot() }
            }
            while done < maximumPermutations {
                let batch = min(perBatch, maximumPermutations - done)
                var orders: [[Int]] = []
                var masks: [UInt64] = []
                masks.reserveCapacity(batch * 2 * steps)
                for _ in 0..<batch {
                    order.shuffle(using: &generator)
                    orders.append(order)
                    let start = masks.count
                    var forward: UInt64 = 0
                    for player in order.dropLast() { forward |= 1 << UInt64(player); masks.append(forward) }
                    for k in 0..<steps { masks.append(full ^ masks[start + k]) }
                }
                let outputs = try engine.evaluate(masks, target: request.target)
                for (b, order) in orders.enumerated() {
                    let first = b * 2 * steps
                    // Outputs along the forward walk: f(first k players) for k = 0...m, and along the
                    // reverse walk f(all but the first k) for k = 0...m.
                    func forward(_ k: Int) -> Double { k == 0 ? base : k == m ? prediction : outputs[first + k - 1] }
                    func reverse(_ k: Int) -> Double { k == 0 ? prediction : k == m ? base : outputs[first + steps + k - 1] }
                    let n = Double(done + b + 1)
                    for (k, player) in order.enumerated() {
                        let d = ((forward(k + 1) - forward(k)) + (reverse(k) - reverse(k + 1))) / 2
                        // Welford's running mean and sum of squared deviations.
                        let shift = d - mean[player]
                        mean[player] += shift / n
                        if withErrors { squares[player] += shift * (d - mean[player]) }
                    }
                }
                done += batch
                if let tolerance = request.tolerance, let errors = standardErrors(),
                   Convergence.ratio(values: mean, errors: errors) <= tolerance { break }
            }
            if let tolerance = request.tolerance {
                let ratio = standardErrors().map { Convergence.ratio(values: mean, errors: $0) } ?? .infinity
                convergence = Convergence(tolerance: tolerance, converged: ratio <= tolerance, ratio: ratio, evaluations: engine.evaluations)
            }
            return (mean, standardErrors(), base, prediction, engine.evaluations, done)
        }
        var explanation = Explanation(method: name, target: request.target, baseValue: base, prediction: prediction,
                                      values: means, pixelMap: request.segmentation.pixelMap(means),
                                      samples: evaluations, seconds: seconds, standardErrors: errors)
        explanation.degreesOfFreedom = permutations >= 2 ? Double(permutations - 1) : nil
        explanation.convergence = convergence
        explanation.metrics = ["efficiency_gap": explanation.efficiencyGap, "permutations": Double(permutations)]
        if permutations >= 2 { explanation.floorStandardErrorsAtOutputPrecision() }
        return explanation
    }
}
