import Foundation

/// LIME for a row of a table, as `lime`'s `LimeTabularExplainer(training_data,
/// discretize_continuous=True)` and `explain_instance(row, predict_proba, num_features=k)` do it
/// (Ribeiro, Singh & Guestrin 2016; the package's defaults):
///
/// - every feature is cut into quartile bins of the training rows (``QuartileDiscretizer``);
/// - each of `samples - 1` perturbations draws, per feature, a bin with the training rows'
///   frequencies, then a value in that bin from a normal with the bin's mean and standard
///   deviation truncated to the bin's bounds; the first sample is the row itself;
/// - the interpretable representation is binary: `z_f = 1` when the sample's bin of feature `f`
///   is the row's bin;
/// - weights: the exponential kernel `sqrt(exp(-d^2 / w^2))` of the Euclidean distance from `z` to
///   the row's all-ones vector (lime scales binary features by 1), `w = 0.75 sqrt(features)`;
/// - features: all, or with `numFeatures` k, lime's `auto` selection: forward selection (ridge
///   alpha 0.01, best weighted R^2 added one feature at a time) for k <= 6, else the k largest
///   `|coefficient|` of a ridge (alpha 0.01) on every feature ("highest weights");
/// - the local model: weighted ridge regression, alpha 1, with an intercept, on those features.
///
/// The values are the coefficients (0 for features left out); ``Explanation/featureRules``
/// names each feature's bin as lime does (`mean radius <= 13.37`). Metrics: `r2` (lime's
/// `score`), `intercept`, `local_prediction`. The rows are in the model's input space (a
/// standardised table); `toRaw` maps bin edges back to the file's units for the rules.
///
/// - Complexity: `samples` model evaluations in batched forward passes, and O(samples F^2 + F^3)
///   host operations per regression.
public struct LimeTabular: Explainer {
    public let name = "lime"
    public static let defaultSamples = 5000
    /// The bins of the training rows.
    public let discretizer: QuartileDiscretizer
    /// The feature names, for the rules.
    public let featureNames: [String]
    /// How many features the local model keeps (nil: all).
    public var numFeatures: Int?
    /// Maps feature `f`'s value in model units to the file's units (for rule text).
    public var toRaw: @Sendable (Int, Double) -> Double

    /// - Parameters:
    ///   - training: training rows in the model's input space, row after row.
    ///   - featureNames: one name per feature.
    ///   - numFeatures: features to keep (nil: all).
    ///   - toRaw: maps feature `f`'s value to the file's units (default: unchanged).
    /// - Throws: ``GlassboxError/invalidArgument(operation:reason:)`` when the rows are not
    ///   whole rows of the features.
    public init(training: [Float], featureNames: [String], numFeatures: Int? = nil,
                toRaw: @escaping @Sendable (Int, Double) -> Double = { $1 }) throws {
        discretizer = try QuartileDiscretizer(training: training, featureCount: featureNames.count)
        self.featureNames = featureNames
        self.numFeatures = numFeatures
        self.toRaw = toRaw
    }

    /// - Throws: ``GlassboxError/invalidArgument(operation:reason:)`` when the input is not one
    ///   row of the features, `numFeatures` is outside 1...features, or there are fewer samples
    ///   than features + 1.
    public func explain(_ request: ExplanationRequest) throws -> Explanation {
        let f = featureNames.count
        guard request.input.count == f else {
            throw GlassboxError.invalidArgument(operation: "lime-tabular", reason: "the row has \(request.input.count) values for \(f) features")
        }
        let keep = numFeatures ?? f
        guard (1...f).contains(keep) else {
            throw GlassboxError.invalidArgument(operation: "lime-tabular", reason: "--num-features \(keep) is outside 1...\(f)")
        }
        let count = request.samples ?? Self.defaultSamples
        guard count >= f + 1 else {
            throw GlassboxError.invalidArgument(operation: "lime-tabular",
                reason: "\(count) samples cannot determine \(f) feature weights and an intercept; use at least \(f + 1) (default \(Self.defaultSamples))")
        }
        let rowBins = (0..<f).map { discretizer.bin(Double(request.input[$0]), feature: $0) }
        let ((model, used, outputs), seconds) = try timed { () -> (RidgeRegression, [Int], [Double]) in
            var random = SeededGenerator(seed: request.seed)
            var rows = request.input
            rows.reserveCapacity(count * f)
            var binary = [Double](repeating: 1, count: count * f)
            var weights = [Double](repeating: 1, count: count)
            let width = 0.75 * Double(f).squareRoot()
            let bins = (0..<f).map { feature in
                discretizer.means[feature].indices.map { bin in
                    TruncatedNormal.Interval(mean: discretizer.means[feature][bin], deviation: discretizer.deviations[feature][bin],
                                             lower: discretizer.lower[feature][bin], upper: discretizer.upper[feature][bin])
                }
            }
            for i in 1..<count {
                var absent = 0
                for feature in 0..<f {
                    let bin = Self.draw(discretizer.frequencies[feature], using: &random)
                    rows.append(Float(bins[feature][bin].draw(using: &random)))
                    if bin != rowBins[feature] { binary[i * f + feature] = 0; absent += 1 }
                }
                weights[i] = Lime.kernel(distance: Double(absent).squareRoot(), width: width)
            }
            let classes = request.session.model.outputCount
            let predictions = try request.session.predict(rows, batchSize: min(count, 4096))
            let outputs = (0..<count).map { Double(predictions[$0 * classes + request.target]) }
            let used = try Self.select(keep, binary: binary, features: f, outputs: outputs, weights: weights)
            let model = try RidgeRegression.fit(features: Self.columns(used, of: binary, features: f), featureCount: used.count,
                                                targets: outputs, weights: weights, alpha: 1)
            return (model, used, outputs)
        }
        var values = [Double](repeating: 0, count: f)
        for (position, feature) in used.enumerated() { values[feature] = model.coefficients[position] }
        // The sandwich errors of the kept features (as image LIME); a dropped feature is 0 by
        // the selection, not by an estimate.
        var errors: [Double]? = model.sandwichStandardErrors.map { _ in [Double](repeating: 0, count: f) }
        if let sandwich = model.sandwichStandardErrors {
            for (position, feature) in used.enumerated() { errors![feature] = sandwich[position] }
        }
        var explanation = Explanation(method: name, target: request.target, baseValue: model.intercept, prediction: outputs[0],
                                      values: values, pixelMap: values,
                                      metrics: ["r2": model.r2, "intercept": model.intercept,
                                                "local_prediction": model.intercept + model.coefficients.reduce(0, +),
                                                "features_kept": Double(used.count)],
                                      samples: count, seconds: seconds, standardErrors: errors)
        explanation.degreesOfFreedom = Double(model.sandwichDegreesOfFreedom)
        explanation.featureRules = (0..<f).map { feature in
            discretizer.rule(feature: feature, bin: rowBins[feature], name: featureNames[feature]) { toRaw(feature, $0) }
        }
        // The intercept is the local model's value with every feature out of the row's bin, not
        // an output of the model: efficiency does not hold, so no gap is reported as if it did.
        explanation.summedPrediction = model.intercept + model.coefficients.reduce(0, +)
        return explanation
    }

    /// A bin drawn with the given frequencies.
    static func draw(_ frequencies: [Double], using random: inout SeededGenerator) -> Int {
        var u = Double.random(in: 0..<1, using: &random)
        for (bin, p) in frequencies.enumerated() {
            if u < p { return bin }
            u -= p
        }
        return frequencies.lastIndex { $0 > 0 } ?? 0
    }

    /// The chosen columns of row-major `binary`.
    static func columns(_ used: [Int], of binary: [Double], features f: Int) -> [Double] {
        let n = binary.count / f
        var out = [Double]()
        out.reserveCapacity(n * used.count)
        for i in 0..<n { for feature in used { out.append(binary[i * f + feature]) } }
        return out
    }

    /// lime's `feature_selection='auto'`: forward selection for k <= 6, else highest weights.
    static func select(_ k: Int, binary: [Double], features f: Int, outputs: [Double], weights: [Double]) throws -> [Int] {
        if k == f { return Array(0..<f) }
        if k <= 6 {
            var used: [Int] = []
            for _ in 0..<k {
                var best = -Double.infinity, choice = -1
                for feature in 0..<f where !used.contains(feature) {
                    let fit = try RidgeRegression.fit(features: columns(used + [feature], of: binary, features: f), featureCount: used.count + 1,
                                                      targets: outputs, weights: weights, alpha: 0.01)
                    if fit.r2 > best { best = fit.r2; choice = feature }
                }
                used.append(choice)
            }
            return used
        }
        let all = try RidgeRegression.fit(features: binary, featureCount: f, targets: outputs, weights: weights, alpha: 0.01)
        // coef * (the row's representation, all ones), by magnitude; ties keep feature order.
        let order = (0..<f).sorted { abs(all.coefficients[$0]) > abs(all.coefficients[$1]) || (abs(all.coefficients[$0]) == abs(all.coefficients[$1]) && $0 < $1) }
        return Array(order.prefix(k))
    }
}
