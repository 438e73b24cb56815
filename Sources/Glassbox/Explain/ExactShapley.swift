/// Exact Shapley values over all 2^M coalitions of the M segments (Shapley 1953; Lundberg & Lee
/// 2017, eq. 8):
///
///     phi_i = sum over S not containing i of |S|! (M - |S| - 1)! / M! * (f(S + i) - f(S))
///
/// where f(S) is the target's output with the segments in S showing the input and the rest the
/// baseline. Every coalition is evaluated once (one batched sweep of 2^M forward passes); each
/// value is then a weighted sum over the 2^(M-1) coalitions without its segment.
///
/// - Complexity: 2^M model evaluations and M 2^(M-1) host operations; M is limited to 20.
public struct ExactShapley: Explainer {
    public let name = "exact"
    public static let maximumSegments = 20

    public init() {}

    public func explain(_ request: ExplanationRequest) throws -> Explanation {
        let m = request.segmentation.count
        guard m <= Self.maximumSegments else {
            throw GlassboxError.invalidArgument(operation: "exact",
                reason: "\(m) segments need 2^\(m) evaluations; exact takes at most \(Self.maximumSegments) (use --method kernel or permutation, or fewer segments)")
        }
        let ((values, outputs), seconds) = try timed { () -> (([Double], [Double])) in
            let engine = try request.makeEngine()
            let outputs = try engine.evaluate((0..<(UInt64(1) << UInt64(m))).map { $0 }, target: request.target)
            return (Self.shapleyValues(outputs: outputs, players: m), outputs)
        }
        return Explanation(method: name, target: request.target, baseValue: outputs[0], prediction: outputs[outputs.count - 1],
                           values: values, pixelMap: request.segmentation.pixelMap(values), samples: outputs.count, seconds: seconds,
                           standardErrors: [Double](repeating: 0, count: values.count))   // exact: no sampling error
    }

    /// Shapley values from the outputs of every coalition, indexed by coalition bit mask.
    static func shapleyValues(outputs: [Double], players m: Int) -> [Double] {
        // weight[s] = s! (m - s - 1)! / m!, computed as a running product to stay exact in Double.
        var weight = [Double](repeating: 0, count: max(m, 1))
        for s in 0..<m {
            var w = 1.0 / Double(m)
            // 1 / (m * C(m-1, s))
            var binomial = 1.0
            for k in 0..<s { binomial = binomial * Double(m - 1 - k) / Double(k + 1) }
            w /= binomial
            weight[s] = w
        }
        var values = [Double](repeating: 0, count: m)
        for coalition in 0..<(1 << m) {
            let size = coalition.nonzeroBitCount
            for i in 0..<m where coalition & (1 << i) == 0 {
                values[i] += weight[size] * (outputs[coalition | (1 << i)] - outputs[coalition])
            }
        }
        return values
    }
}
