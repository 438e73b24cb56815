/// The explanation methods by their `--method` names.
public enum ExplanationMethods {
    /// Every name ``make(_:background:noise:deepOutput:)`` accepts.
    public static let names = ["exact", "kernel", "permutation", "partition", "lime", "occlusion",
                               "saliency", "gradient-input", "integrated-gradients", "gradient-shap", "deep"]

    /// gradient-shap's default input noise (standard deviation on [0, 1] pixels), 0.09 as
    /// Captum's GradientShap examples use: expected gradients around the input rather than at it.
    public static let defaultGradientShapNoise = 0.09

    /// What `deep` explains on a softmax model unless told otherwise: the target's logit. shap
    /// explains the probability through its softmax rule, whose per-reference values have heavy
    /// tails (a reference whose largest logit differs from the input's divides by a small logit
    /// change): on the test CNN the 95% intervals of a 20-image background covered the true
    /// values 52% of the time with the probability and 95% with the logit
    /// (`CalibrationTests`; CALIBRATION.md has the MNIST-format figures), and `--global` summaries
    /// were dominated by a few values near +-7.8 on a probability scale. The per-image efficiency
    /// is exact either way, in the units explained.
    public static let defaultDeepOutput = DeepShap.Output.logit

    /// The explainer called `name`, with its default settings.
    /// - Parameters:
    ///   - name: a `--method` name, one of ``names``.
    ///   - background: sample images (for `gradient-shap`'s random baselines and `deep`'s
    ///     references); they only shape the attribution and never appear in an explanation.
    ///   - noise: gradient-shap's input noise; nil for ``defaultGradientShapNoise``, 0 for
    ///     expected gradients at the input itself.
    ///   - deepOutput: what `deep` explains on a softmax model; the logit by default (see
    ///     ``defaultDeepOutput``).
    /// - Throws: ``GlassboxError/invalidArgument(operation:reason:)`` naming the known methods.
    public static func make(_ name: String, background: [[Float]] = [], noise: Double? = nil,
                            deepOutput: DeepShap.Output = defaultDeepOutput) throws -> any Explainer {
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
            return GradientShap(background: background, noiseStandardDeviation: noise ?? defaultGradientShapNoise)
        case "deep":
            guard !background.isEmpty else {
                throw GlassboxError.invalidArgument(operation: "--method deep", reason: "needs background images (from --data)")
            }
            return DeepShap(background: background, output: deepOutput)
        default:
            throw GlassboxError.invalidArgument(operation: "--method", reason: "unknown method '\(name)' (known: \(names.joined(separator: ", ")))")
        }
    }
}
