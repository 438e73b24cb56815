/// The explanation methods by their `--method` names.
public enum ExplanationMethods {
    /// Every name ``make(_:background:)`` accepts.
    public static let names = ["exact", "kernel", "permutation", "partition", "lime", "occlusion",
                               "saliency", "gradient-input", "integrated-gradients", "gradient-shap", "deep"]

    /// The explainer called `name`, with its default settings.
    /// - Parameters:
    ///   - name: a `--method` name, one of ``names``.
    ///   - background: sample images (for `gradient-shap`'s random baselines and `deep`'s
    ///     references); they only shape the attribution and never appear in an explanation.
    /// - Throws: ``GlassboxError/invalidArgument(operation:reason:)`` naming the known methods.
    public static func make(_ name: String, background: [[Float]] = []) throws -> any Explainer {
        switch name {
        case "exact": return ExactShapley()
        case "kernel": return KernelShap()
        case "permutation": return PermutationShap()
        case "partition": return PartitionShap()
        case "lime": return Lime()
        case "occlusion": return Occlusion()
        case "saliency": return Saliency()
        case "gradient-input": return GradientTimesInput()
        case "integrated-gradients": return IntegratedGradients()
        case "gradient-shap":
            guard !background.isEmpty else {
                throw GlassboxError.invalidArgument(operation: "--method gradient-shap", reason: "needs background images (from --data)")
            }
            // Noise of 0.09 (on [0, 1] pixels) as Captum's GradientShap examples use: expected
            // gradients around the input rather than at it.
            return GradientShap(background: background, noiseStandardDeviation: 0.09)
        case "deep":
            guard !background.isEmpty else {
                throw GlassboxError.invalidArgument(operation: "--method deep", reason: "needs background images (from --data)")
            }
            return DeepShap(background: background)
        default:
            throw GlassboxError.invalidArgument(operation: "--method", reason: "unknown method '\(name)' (known: \(names.joined(separator: ", ")))")
        }
    }
}
