import Foundation

/// What a model trained on a table knows about its columns: the feature names in input order,
/// the label column, and the standardisation of the training rows. Saved in the model file
/// (metadata `tabular`), so that `predict` and `explain` take raw rows and name features.
public struct TabularSchema: Codable, Sendable, Equatable {
    /// The feature (column) names, in the order the model takes them.
    public var featureNames: [String]
    /// The label column's name in the training file.
    public var label: String
    /// Per-feature mean of the training rows.
    public var mean: [Float]
    /// Per-feature population standard deviation of the training rows (1 where constant).
    public var scale: [Float]

    enum CodingKeys: String, CodingKey { case featureNames = "feature_names", label, mean, scale }

    /// - Parameters:
    ///   - featureNames: The feature names in input order.
    ///   - label: The label column's name.
    ///   - standardization: The training rows' means and scales, one per feature.
    public init(featureNames: [String], label: String, standardization: TabularData.Standardization) {
        self.featureNames = featureNames
        self.label = label
        mean = standardization.mean
        scale = standardization.scale
    }

    /// The standardisation a model applies before its first layer.
    public var standardization: TabularData.Standardization { .init(mean: mean, scale: scale) }

    /// Raw rows (row after row) as the model takes them: `(x - mean) / scale`.
    public func standardize(_ rows: [Float]) -> [Float] { standardization.apply(rows) }

    /// Checks the schema against a model taking `inputShape`.
    /// - Throws: a description of the first inconsistency.
    func check(inputShape: [Int]) throws {
        let n = featureNames.count
        guard n >= 1, inputShape == [n] else {
            throw GlassboxError.invalidArgument(operation: "tabular", reason: "\(n) feature names for a model taking \(inputShape)")
        }
        guard mean.count == n, scale.count == n else {
            throw GlassboxError.invalidArgument(operation: "tabular", reason: "\(mean.count) means and \(scale.count) scales for \(n) features")
        }
        guard mean.allSatisfy(\.isFinite), scale.allSatisfy({ $0.isFinite && $0 > 0 }) else {
            throw GlassboxError.invalidArgument(operation: "tabular", reason: "means must be finite and scales finite and positive")
        }
        guard Set(featureNames).count == n else { throw GlassboxError.invalidArgument(operation: "tabular", reason: "feature names repeat") }
    }

    /// The schema of `data`'s training part, labelled `label`.
    public static func of(_ data: TabularData, label: String) -> TabularSchema {
        TabularSchema(featureNames: data.featureNames, label: label, standardization: data.standardization)
    }
}

extension Sequential {
    /// The default model for a table: Dense(32, relu) -> Dropout(0.2) -> Dense(16, relu) ->
    /// Dense(classes, softmax), the same as `examples/mlp.json` for 30 features.
    public static func tabularMLP(features: Int, classes: Int, seed: UInt64 = 0) throws -> Sequential {
        try Sequential(inputShape: [features], seed: seed, layers: [
            try Dense(units: 32, activation: .relu),
            try Dropout(rate: 0.2),
            try Dense(units: 16, activation: .relu),
            try Dense(units: classes, activation: .softmax),
        ])
    }
}
