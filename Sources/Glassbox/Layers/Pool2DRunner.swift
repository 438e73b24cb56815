/// Runs MaxPool2D or AveragePooling2D over batches of one size: the pooling op of its kind, its
/// backward pass, and for DeepLIFT shap's max-pooling rule (average pooling is linear, so its
/// rule is its gradient).
final class Pool2DRunner: DeepLiftRule {
    enum Kind { case max, average }

    let backend: any Backend
    let kind: Kind
    let geometry: Pool2DGeometry
    let output: Tensor
    private var gradInput: Tensor?

    init(backend: any Backend, kind: Kind, geometry: Pool2DGeometry) throws {
        self.backend = backend; self.kind = kind; self.geometry = geometry
        output = try backend.makeTensor(shape: geometry.outputShape)
    }

    func forward(_ input: Tensor, parameters: [Tensor], training: Bool, seed: UInt32) throws -> Tensor {
        switch kind {
        case .max: try backend.maxPool2dForward(input: input, geometry: geometry, into: output)
        case .average: try backend.averagePool2dForward(input: input, geometry: geometry, into: output)
        }
        return output
    }

    func backward(input: Tensor, output: Tensor, gradOutput: Tensor, parameters: [Tensor],
                  parameterGradients: [Tensor], needInputGradient: Bool, seed: UInt32) throws -> Tensor? {
        guard needInputGradient else { return nil }
        let result = try gradientBuffer()
        switch kind {
        case .max: try backend.maxPool2dBackward(input: input, gradOutput: gradOutput, geometry: geometry, into: result)
        case .average: try backend.averagePool2dBackward(gradOutput: gradOutput, geometry: geometry, into: result)
        }
        return result
    }

    /// A max pooling's backward pass through the relu whose outputs `input` holds, in one op
    /// (``Backend/maxPool2dReluBackward(input:gradOutput:geometry:into:)``): the gradient of the
    /// relu's input. Nil for average pooling.
    func backwardThroughRelu(input: Tensor, gradOutput: Tensor) throws -> Tensor? {
        guard kind == .max else { return nil }
        let result = try gradientBuffer()
        try backend.maxPool2dReluBackward(input: input, gradOutput: gradOutput, geometry: geometry, into: result)
        return result
    }

    func prepareForDeepLift() throws {}

    /// Max pooling: shap DeepExplainer's rule
    /// (``Backend/deepLiftMaxPool(gradOutput:input:referenceInput:output:referenceOutput:geometry:into:)``);
    /// average pooling: the linear rule, its backward pass.
    func deepLiftBackward(_ m: Tensor, input: Tensor, output: Tensor, reference: any LayerRunner, referenceInput: Tensor,
                          referenceOutput: Tensor, parameters: [Tensor]) throws -> Tensor {
        guard kind == .max else {
            return try backward(input: input, output: output, gradOutput: m, parameters: [], parameterGradients: [],
                                needInputGradient: true, seed: 0)!
        }
        let result = try gradientBuffer()
        try backend.deepLiftMaxPool(gradOutput: m, input: input, referenceInput: referenceInput, output: output,
                                    referenceOutput: referenceOutput, geometry: geometry, into: result)
        return result
    }

    /// Max pooling after a relu (`producer`, whose outputs this pooled; `reference` is its runner
    /// on the other side): the max-pool rule and the relu's rescale rule in one op, giving the
    /// multipliers of the relu's input.
    /// - Returns: nil when this is not a max pooling or the relu kept no pre-activations.
    func deepLiftBackward(_ m: Tensor, input: Tensor, output: Tensor, referenceInput: Tensor, referenceOutput: Tensor,
                          throughReluOf producer: any PreactivationRule, reference: any PreactivationRule) throws -> Tensor? {
        guard kind == .max, producer.activation == .relu, let z = producer.preactivation.tensor,
              let zr = reference.preactivation.tensor else { return nil }
        let result = try gradientBuffer()
        // The reference side keeps its own shape when it is one sample of the batch.
        try backend.deepLiftMaxPoolRelu(gradOutput: m, input: input, referenceInput: referenceInput, preactivation: try z.reshaped(input.shape),
                                        referencePreactivation: try zr.reshaped(referenceInput.shape), output: output,
                                        referenceOutput: referenceOutput, geometry: geometry, into: result)
        return result
    }

    /// The buffer of the gradient (or multipliers) of the pooling's input, made on first use.
    func gradientBuffer() throws -> Tensor {
        if gradInput == nil { gradInput = try backend.makeTensor(shape: geometry.inputShape) }
        return gradInput!
    }
}
