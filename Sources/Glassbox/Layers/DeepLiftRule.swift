/// A layer runner's own rule for DeepLIFT multipliers (Shrikumar, Greenside & Kundaje 2017),
/// which ``DeepShap`` uses in place of the ordinary backward pass. Runners without one are
/// linear in their input at inference (Flatten, Reshape, the reductions, average pooling, batch
/// normalisation, Dropout, Add, Concatenate), where the multipliers are the gradient and the
/// ordinary backward pass is the rule.
protocol DeepLiftRule: LayerRunner {
    /// Keep what the rule needs from the forward passes that follow (pre-activations).
    func prepareForDeepLift() throws
    /// The multipliers of the layer's input given those of its output (`m`, which the rule may
    /// overwrite). This runner ran forward on the explained batch; `reference` (a runner of the
    /// same layer) ran on the background batch.
    func deepLiftBackward(_ m: Tensor, input: Tensor, output: Tensor, reference: any LayerRunner, referenceInput: Tensor,
                          referenceOutput: Tensor, parameters: [Tensor]) throws -> Tensor
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
        try backend.deepLiftRescale(gradOutput: m, preactivation: try z.reshaped(m.shape), referencePreactivation: try zb.reshaped(m.shape),
                                    output: try output.reshaped(m.shape), referenceOutput: try referenceOutput.reshaped(m.shape),
                                    activation: activation, into: m)
    }
}
