/// An activation on its own, as Keras's `Activation("relu")` (and its `ReLU()` and `Softmax()`
/// layers with default settings); softmax runs over the last axis.
public struct ActivationLayer: Layer {
    public let activation: Activation
    public var typeName: String { "Activation" }

    public init(_ activation: Activation) { self.activation = activation }

    public func outputShape(for inputShape: [Int]) throws -> [Int] { inputShape }

    public var configuration: LayerConfiguration {
        var c = LayerConfiguration(type: typeName)
        c.activation = activation.rawValue
        return c
    }

    public func makeRunner(backend: any Backend, inputShape: [Int], batchSize: Int, isOutputLayer: Bool) throws -> any LayerRunner {
        // As for Dense and Conv2D, a final softmax is the model's to apply (fused with the loss).
        Runner(backend: backend, activation: isOutputLayer && activation == .softmax ? .linear : activation,
               shape: try Shape([batchSize] + inputShape))
    }

    final class Runner: DeepLiftRule {
        let backend: any Backend
        let activation: Activation
        let shape: Shape
        private var output: Tensor?

        init(backend: any Backend, activation: Activation, shape: Shape) { self.backend = backend; self.activation = activation; self.shape = shape }

        func forward(_ input: Tensor, parameters: [Tensor], training: Bool, seed: UInt32) throws -> Tensor {
            guard activation != .linear else { return input }
            if output == nil { output = try backend.makeTensor(shape: shape) }
            try activation.apply(backend, input, into: output!)
            return output!
        }

        func backward(input: Tensor, output: Tensor, gradOutput: Tensor, parameters: [Tensor],
                      parameterGradients: [Tensor], needInputGradient: Bool, seed: UInt32) throws -> Tensor? {
            guard needInputGradient else { return nil }
            try activation.backward(backend, output: output, gradient: gradOutput)   // in place, as the runners may
            return gradOutput
        }

        func prepareForDeepLift() throws {}

        /// The rescale rule, with the layer's input as the pre-activation.
        func deepLiftBackward(_ m: Tensor, input: Tensor, output: Tensor, reference: any LayerRunner, referenceInput: Tensor,
                              referenceOutput: Tensor, parameters: [Tensor]) throws -> Tensor {
            guard activation != .linear else { return m }
            try backend.deepLiftRescale(gradOutput: m, preactivation: input, referencePreactivation: referenceInput, output: output,
                                        referenceOutput: referenceOutput, activation: activation, into: m)
            return m
        }
    }
}
