/// A layer runner's own rule for DeepLIFT multipliers (Shrikumar, Greenside & Kundaje 2017),
/// which ``DeepShap`` uses in place of the ordinary backward pass. Runners without one are
/// linear in their input at inference (Flatten, Reshape, the reductions, average pooling, batch
/// normalisation, Dropout, Add, Concatenate), where the multipliers are the gradient and the
/// ordinary backward pass is the rule.
protocol DeepLiftRule: LayerRunner {
    /// Keep what the rule needs from the forward passes that follow (pre-activations).
    func prepareForDeepLift() throws
    /// The multipliers of the layer's input given those of its output (`m`, which the rule may
    /// overwrite), at this runner's batch. This runner ran forward on one side and `reference` (a
    /// runner of the same layer) on the other; the rules are symmetric in the two sides, and the
    /// reference side may be a single sample standing for itself repeated over the batch (DeepSHAP
    /// runs the background's batch as this runner and the explained input, once, as `reference`).
    func deepLiftBackward(_ m: Tensor, input: Tensor, output: Tensor, reference: any LayerRunner, referenceInput: Tensor,
                          referenceOutput: Tensor, parameters: [Tensor]) throws -> Tensor
}

/// A rule that is a linear op followed by an element-wise activation (Conv2D's runner): the
/// rescale rule of the activation, then the linear op's input gradient. A following max pooling
/// may apply the rescale step itself (``Backend/deepLiftMaxPoolRelu(gradOutput:input:referenceInput:preactivation:referencePreactivation:output:referenceOutput:geometry:into:)``)
/// and hand over the multipliers of the pre-activation.
protocol PreactivationRule: DeepLiftRule {
    var activation: Activation { get }
    var preactivation: PreactivationStore { get }
    /// The multipliers of the layer's input given those of its pre-activation (the linear rule).
    func deepLiftLinearBackward(_ m: Tensor, parameters: [Tensor]) throws -> Tensor
    /// The multipliers of the layer's input given those of the output of `pool`, the max
    /// pooling that alone reads this layer's output: the pooling's rule, the activation's and the
    /// linear rule in one op; nil where the layer does not fuse them (then each rule runs).
    /// `poolInput` and `poolOutput` are this runner's side, the reference's side is `reference`'s.
    func deepLiftBackward(_ m: Tensor, through pool: Pool2DRunner, poolInput: Tensor, poolOutput: Tensor, referencePoolInput: Tensor,
                          referencePoolOutput: Tensor, reference: any PreactivationRule, parameters: [Tensor]) throws -> Tensor?
}

extension PreactivationRule {
    func deepLiftBackward(_ m: Tensor, through pool: Pool2DRunner, poolInput: Tensor, poolOutput: Tensor, referencePoolInput: Tensor,
                          referencePoolOutput: Tensor, reference: any PreactivationRule, parameters: [Tensor]) throws -> Tensor? { nil }
}

/// Pre-activations kept beside the output, for the rescale rule of a layer's activation.
final class PreactivationStore {
    private(set) var tensor: Tensor?
    /// Whether forward passes keep the pre-activation (only for DeepLIFT: it costs a buffer).
    var keeps = false

    /// Where the forward pass writes the layer's linear part: `output` itself unless kept.
    func target(for output: Tensor, activation: Activation, backend: any Backend) throws -> Tensor {
        guard keeps, activation != .linear else { return output }
        if tensor == nil { tensor = try backend.makeTensor(shape: output.shape) }
        return tensor!
    }

    /// The rescale rule `(y_x - y_b) / (z_x - z_b)` for `activation`, in place on `m`.
    func rescale(_ m: Tensor, output: Tensor, reference: PreactivationStore, referenceOutput: Tensor, activation: Activation,
                 backend: any Backend) throws {
        guard activation != .linear else { return }
        guard let z = tensor, let zb = reference.tensor else {
            throw GlassboxError.invalidArgument(operation: "deep", reason: "the forward passes did not keep the pre-activations")
        }
        // The reference side keeps its own shape when it is one sample of the batch.
        let referenceShape = zb.elementCount == m.elementCount ? m.shape : zb.shape
        try backend.deepLiftRescale(gradOutput: m, preactivation: try z.reshaped(m.shape), referencePreactivation: try zb.reshaped(referenceShape),
                                    output: try output.reshaped(m.shape), referenceOutput: try referenceOutput.reshaped(referenceShape),
                                    activation: activation, into: m)
    }
}
