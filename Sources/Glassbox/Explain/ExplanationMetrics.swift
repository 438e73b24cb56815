import Foundation

/// Measures of how far an explanation can be trusted.
public enum ExplanationMetrics {
    /// Deletion and insertion curves (Petsiuk, Das & Saenko 2018, "RISE", section 4.1): segments
    /// are removed from the input (deletion) or added to the baseline (insertion) in decreasing
    /// order of attribution, and the target's output is recorded after each step. A faithful
    /// explanation makes the deletion curve fall fast (small area) and the insertion curve rise fast
    /// (large area).
    public struct Faithfulness: Sendable, Equatable {
        /// `M + 1` outputs: after removing 0, 1, ..., M segments.
        public let deletion: [Double]
        /// `M + 1` outputs: after adding 0, 1, ..., M segments.
        public let insertion: [Double]
        /// Areas under the curves over a [0, 1] fraction axis (trapezoid rule).
        public let deletionArea: Double
        public let insertionArea: Double

        public init(deletion: [Double], insertion: [Double], deletionArea: Double, insertionArea: Double) {
            self.deletion = deletion; self.insertion = insertion
            self.deletionArea = deletionArea; self.insertionArea = insertionArea
        }
    }

    /// Both curves in one batched sweep of `2 (M + 1)` evaluations.
    public static func faithfulness(values: [Double], engine: PerturbationEngine, target: Int) throws -> Faithfulness {
        let m = engine.segmentation.count
        guard values.count == m else {
            throw GlassboxError.invalidArgument(operation: "faithfulness", reason: "\(values.count) values for \(m) segments")
        }
        let order = values.indices.sorted { values[$0] > values[$1] || (values[$0] == values[$1] && $0 < $1) }
        var deletionMasks: [UInt64] = [engine.fullMask], insertionMasks: [UInt64] = [0]
        for segment in order {
            deletionMasks.append(deletionMasks.last! & ~(1 << UInt64(segment)))
            insertionMasks.append(insertionMasks.last! | (1 << UInt64(segment)))
        }
        let outputs = try engine.evaluate(deletionMasks + insertionMasks, target: target)
        let deletion = Array(outputs[0...m]), insertion = Array(outputs[(m + 1)...])
        return Faithfulness(deletion: deletion, insertion: insertion, deletionArea: area(deletion), insertionArea: area(insertion))
    }

    /// The area under `curve` sampled at equal steps over [0, 1], by the trapezoid rule.
    public static func area(_ curve: [Double]) -> Double {
        guard curve.count > 1 else { return curve.first ?? 0 }
        var total = 0.0
        for i in 1..<curve.count { total += (curve[i - 1] + curve[i]) / 2 }
        return total / Double(curve.count - 1)
    }

    /// Maximum sensitivity (Yeh et al. 2019, "On the (In)fidelity and Sensitivity of
    /// Explanations", eq. 4, as Captum's `sensitivity_max`): the largest change
    /// `||phi(x + delta) - phi(x)||` over `draws` perturbations with each input value moved
    /// uniformly within `radius` (clamped to [0, 1]), also relative to `||phi(x)||`.
    /// - Parameters:
    ///   - values: the explanation of `input` itself.
    ///   - input: the explained input.
    ///   - radius: how far each input value may move.
    ///   - draws: how many perturbed inputs to explain.
    ///   - seed: seeds the perturbations.
    ///   - explain: the explainer applied to a perturbed input, with the same settings.
    /// - Complexity: `draws` explanations.
    public static func maximumSensitivity(values: [Double], input: [Float], radius: Float = 0.02, draws: Int = 10, seed: UInt64 = 0,
                                          explain: ([Float]) throws -> [Double]) rethrows -> (absolute: Double, relative: Double) {
        var generator = SeededGenerator(seed: seed ^ 0x5E75_1717)
        var largest = 0.0
        for _ in 0..<draws {
            let perturbed = input.map { min(max($0 + Float.random(in: -radius...radius, using: &generator), 0), 1) }
            let other = try explain(perturbed)
            largest = max(largest, norm(zip(other, values).map { $0 - $1 }))
        }
        let size = norm(values)
        return (largest, size > 0 ? largest / size : 0)
    }

    /// Spearman's rank correlation of two attributions (Pearson correlation of their ranks,
    /// ties given their average rank), for consistency between methods or seeds.
    public static func spearman(_ a: [Double], _ b: [Double]) -> Double {
        precondition(a.count == b.count, "spearman: \(a.count) vs \(b.count) values")
        let ra = ranks(a), rb = ranks(b)
        let n = Double(a.count)
        let ma = ra.reduce(0, +) / n, mb = rb.reduce(0, +) / n
        var covariance = 0.0, va = 0.0, vb = 0.0
        for i in a.indices {
            covariance += (ra[i] - ma) * (rb[i] - mb)
            va += (ra[i] - ma) * (ra[i] - ma)
            vb += (rb[i] - mb) * (rb[i] - mb)
        }
        return va > 0 && vb > 0 ? covariance / (va * vb).squareRoot() : 0
    }

    static func ranks(_ values: [Double]) -> [Double] {
        let order = values.indices.sorted { values[$0] < values[$1] }
        var result = [Double](repeating: 0, count: values.count)
        var i = 0
        while i < order.count {
            var j = i
            while j + 1 < order.count && values[order[j + 1]] == values[order[i]] { j += 1 }
            let average = Double(i + j) / 2 + 1
            for k in i...j { result[order[k]] = average }
            i = j + 1
        }
        return result
    }

    static func norm(_ values: [Double]) -> Double { values.reduce(0) { $0 + $1 * $1 }.squareRoot() }
}
