import Foundation

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

extension ActivationLayer: LayerType {
    public static var configurationTypes: [String] { ["Activation"] }
    public static var kerasClassNames: [String] { ["Activation", "ReLU", "LeakyReLU", "Softmax"] }
    public var defaultNameStem: String { "activation" }

    public static func make(_ c: LayerConfiguration) throws -> any Layer { ActivationLayer(try c.activationValue()) }

    /// `Activation`, and Keras's `ReLU`, `LeakyReLU` and `Softmax` layers with the settings an
    /// activation has (plain ReLU, leaky ReLU's slope 0.2, softmax over the last axis).
    public static func make(keras c: KerasLayerConfig) throws -> any Layer {
        switch c.className {
        case "ReLU":
            for key in ["max_value", "threshold", "negative_slope"] where !(c[key] == nil || (c[key] as? NSNumber)?.doubleValue == 0) {
                throw c.refuse("option \(key)=\(c[key]!) is not supported (plain ReLU only)")
            }
            return ActivationLayer(.relu)
        case "LeakyReLU":
            let slope = c.float("negative_slope", default: 0.3)
            guard slope == Activation.leakyReluSlope else {
                throw c.refuse("option negative_slope=\(slope) is not supported (only \(Activation.leakyReluSlope), the slope of activation=\"leaky_relu\")")
            }
            return ActivationLayer(.leakyRelu)
        case "Softmax":
            if let axis = c["axis"] as? Int, axis != -1 { throw c.refuse("softmax over axis \(axis) is not supported (the last axis only)") }
            return ActivationLayer(.softmax)
        default:
            return ActivationLayer(try c.activation())
        }
    }
}
