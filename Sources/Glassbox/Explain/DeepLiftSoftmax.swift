import Foundation

/// shap DeepExplainer's rule for a final softmax, which is not element-wise: it writes
/// `softmax(z)` as `e / sum(e)` with `e = exp(z - max(z))` and applies a DeepLIFT rule to each part.
///
/// - `exp`: the rescale rule, `(exp(c_x) - exp(c_r)) / (c_x - c_r)` on the centred logits `c`;
/// - `sum`: linear;
/// - the division, where both the numerator `e` and the denominator `S` vary: the two-input
///   Shapley rule, each input credited with the mean of its change with the other at `x` and at `r`:
///   `m_e = (1/S_x + 1/S_r) / 2` and `m_S = -(e_x + e_r) / (2 S_x S_r)`;
/// - the centring by the maximum: multipliers of `c` are rescaled by `(c_x - c_r) / (z_x - z_r)`.
///
/// The multipliers sum to the change of the explained probability,
/// `sum_i m_i (z_x,i - z_r,i) = p_x,t - p_r,t`, when every logit differs from its reference. As in
/// shap, a difference below 1e-6 (1e-7 for the division) falls back to the gradient (to zero for
/// the division), and a logit equal to its reference then drops the share of the change that
/// reached it through the maximum.
enum DeepLiftSoftmax {
    /// Multipliers of probability `target` with respect to the logits `x`, against the reference
    /// logits `reference` (one background image's).
    static func multipliers(logits x: [Double], reference r: [Double], target: Int) -> [Double] {
        precondition(x.count == r.count && x.indices.contains(target), "logit vectors disagree")
        let maxX = x.max()!, maxR = r.max()!
        let cx = x.map { $0 - maxX }, cr = r.map { $0 - maxR }
        let ex = cx.map(exp), er = cr.map(exp)
        let sumX = ex.reduce(0, +), sumR = er.reduce(0, +)

        // The division e_t / S, the upstream multiplier being one on the target and zero elsewhere.
        let numeratorMultiplier = abs(ex[target] - er[target]) < 1e-7 ? 0 : (1 / sumX + 1 / sumR) / 2
        let denominatorMultiplier = abs(sumX - sumR) < 1e-7 ? 0 : -(ex[target] + er[target]) / (2 * sumX * sumR)

        return x.indices.map { i in
            // Sum: every e_i reaches S; the target's also reaches the numerator.
            let mE = (i == target ? numeratorMultiplier : 0) + denominatorMultiplier
            // Exp, by the rescale rule on the centred logits.
            let dc = cx[i] - cr[i]
            let mC = abs(dc) < 1e-6 ? mE * ex[i] : mE * (ex[i] - er[i]) / dc
            // Centring by the maximum.
            let dz = x[i] - r[i]
            return abs(dz) < 1e-6 ? mC : mC * dc / dz
        }
    }
}
