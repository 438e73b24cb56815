/// The explanation methods by their `--method` names.
public enum ExplanationMethods {
    /// Every name `make` accepts.
    public static var names: [String] { ["exact"] }

    /// The explainer called `name`.
    /// - Parameter background: sample images (for `gradient-shap`'s random baselines); they only
    ///   shape the attribution and never appear in an explanation.
    /// - Throws: ``GlassboxError/invalidArgument(operation:reason:)`` naming the known methods.
    public static func make(_ name: String, background: [[Float]] = []) throws -> any Explainer {
        switch name {
        case "exact": return ExactShapley()
        default:
            throw GlassboxError.invalidArgument(operation: "--method", reason: "unknown method '\(name)' (known: \(names.joined(separator: ", ")))")
        }
    }
}
