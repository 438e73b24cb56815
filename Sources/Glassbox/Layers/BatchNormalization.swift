/// Batch normalisation over the last axis (the channels), as Keras's `BatchNormalization` with its
/// defaults (Ioffe & Szegedy 2015): in training, each batch is normalised by its own mean and
/// biased variance, which also move the running statistics
/// (`moving = momentum moving + (1 - momentum) batch`); in inference, the running statistics
/// normalise. Parameters, in Keras's order: `gamma` and `beta` (trained), `moving_mean` and
/// `moving_variance` (not trained: Keras's non-trainable weights).
public struct BatchNormalization: Layer {
    /// The normalised axis, counting the batch as axis 0: the last (-1, or the rank less one).
    public let axis: Int
    public let momentum: Float
    public let epsilon: Float
    public var typeName: String { "BatchNormalization" }

    /// Keras's defaults: momentum 0.99, epsilon 0.001.
    /// - Throws: ``GlassboxError/invalidArgument(operation:reason:)`` for a momentum outside
    ///   [0, 1) or an epsilon that is not positive.
    public init(axis: Int = -1, momentum: Float = 0.99, epsilon: Float = 0.001) throws {
        guard momentum >= 0, momentum < 1, epsilon > 0, epsilon.isFinite else {
            throw GlassboxError.invalidArgument(operation: "BatchNormalization",
                reason: "momentum \(momentum) must be in [0, 1) and epsilon \(epsilon) positive")
        }
        guard axis == -1 || axis >= 1 else {
            throw GlassboxError.invalidArgument(operation: "BatchNormalization", reason: "axis \(axis) is not supported (the last axis only)")
        }
        self.axis = axis
        self.momentum = momentum
        self.epsilon = epsilon
    }

    public func outputShape(for inputShape: [Int]) throws -> [Int] {
        guard axis == -1 || axis == inputShape.count else {
            throw GlassboxError.invalidArgument(operation: typeName,
                reason: "axis \(axis) is not the last axis (\(inputShape.count)) of inputs \(inputShape): only the last (the channels) is supported")
        }
        return inputShape
    }

    public func parameterShapes(for inputShape: [Int]) throws -> [Shape] {
        let channels = try Shape([try outputShape(for: inputShape).last!])
        return [channels, channels, channels, channels]
    }

    public func initialParameters(for inputShape: [Int], generator: inout SeededGenerator) throws -> [[Float]] {
        let channels = inputShape.last!
        return [[Float](repeating: 1, count: channels), [Float](repeating: 0, count: channels),
                [Float](repeating: 0, count: channels), [Float](repeating: 1, count: channels)]
    }

    public var parameterNames: [String] { ["gamma", "beta", "moving_mean", "moving_variance"] }

    public func isTrainable(parameter index: Int) -> Bool { index < 2 }

    public var configuration: LayerConfiguration {
        var c = LayerConfiguration(type: typeName)
        c.axis = axis
        c.momentum = momentum
        c.epsilon = epsilon
        return c
    }

    public func makeRunner(backend: any Backend, inputShape: [Int], batchSize: Int, isOutputLayer: Bool) throws -> any LayerRunner {
        let shape = try Shape([batchSize] + inputShape), channels = try Shape([inputShape.last!])
        return Runner(backend: backend, layer: self, output: try backend.makeTensor(shape: shape),
                      mean: try backend.makeTensor(shape: channels), variance: try backend.makeTensor(shape: channels))
    }

    final class Runner: LayerRunner {
        let backend: any Backend
        let layer: BatchNormalization
        let output: Tensor
        /// The last training batch's statistics.
        let mean: Tensor, variance: Tensor
        private var trainedLast = false
        private var gradInput: Tensor?
        private var zeros: Tensor?

        init(backend: any Backend, layer: BatchNormalization, output: Tensor, mean: Tensor, variance: Tensor) {
            self.backend = backend; self.layer = layer; self.output = output; self.mean = mean; self.variance = variance
        }

        func forward(_ input: Tensor, parameters: [Tensor], training: Bool, seed: UInt32) throws -> Tensor {
            trainedLast = training
            if training {
                try backend.batchNormStatistics(input, channels: mean.elementCount, mean: mean, variance: variance)
                try backend.batchNormForward(input, mean: mean, variance: variance, gamma: parameters[0], beta: parameters[1],
                                             epsilon: layer.epsilon, into: output)
                try backend.movingAverage(parameters[2], toward: mean, momentum: layer.momentum)
                try backend.movingAverage(parameters[3], toward: variance, momentum: layer.momentum)
            } else {
                try backend.batchNormForward(input, mean: parameters[2], variance: parameters[3], gamma: parameters[0], beta: parameters[1],
                                             epsilon: layer.epsilon, into: output)
            }
            return output
        }

        /// After a training forward pass, the full gradient (the batch statistics depend on the
        /// input). After an inference pass the layer is the affine map
        /// `x -> gamma (x - moving_mean) / sqrt(moving_variance + epsilon) + beta`, and only the
        /// input's gradient is computed (what the gradient explainers need).
        func backward(input: Tensor, output: Tensor, gradOutput: Tensor, parameters: [Tensor],
                      parameterGradients: [Tensor], needInputGradient: Bool, seed: UInt32) throws -> Tensor? {
            if gradInput == nil { gradInput = try backend.makeTensor(shape: input.shape) }
            if trainedLast {
                try backend.batchNormBackward(gradOutput: gradOutput, input: input, mean: mean, variance: variance, gamma: parameters[0],
                                              epsilon: layer.epsilon, gradInput: gradInput!, gradGamma: parameterGradients[0],
                                              gradBeta: parameterGradients[1])
            } else {
                try inferenceBackward(gradOutput, parameters: parameters, into: gradInput!)
            }
            return needInputGradient ? gradInput : nil
        }

        /// `gradInput = gradOutput gamma / sqrt(moving_variance + epsilon)`: the forward op with
        /// a zero mean and a zero beta.
        func inferenceBackward(_ gradOutput: Tensor, parameters: [Tensor], into result: Tensor) throws {
            if zeros == nil { zeros = try backend.makeTensor(shape: mean.shape, filledWith: 0) }
            try backend.batchNormForward(gradOutput, mean: zeros!, variance: parameters[3], gamma: parameters[0], beta: zeros!,
                                         epsilon: layer.epsilon, into: result)
        }
    }
}

extension BatchNormalization: LayerType {
    public static var configurationTypes: [String] { ["BatchNormalization"] }
    public static var kerasClassNames: [String] { ["BatchNormalization"] }
    public var defaultNameStem: String { "batch_normalization" }

    public static func make(_ c: LayerConfiguration) throws -> any Layer {
        try BatchNormalization(axis: c.axis ?? -1, momentum: c.momentum ?? 0.99, epsilon: c.epsilon ?? 0.001)
    }

    public static func make(keras c: KerasLayerConfig) throws -> any Layer {
        for key in ["center", "scale"] where (c[key] as? Bool) == false { throw c.refuse("option \(key)=false is not supported") }
        if let axis = c["axis"] as? [Any], axis.count != 1 { throw c.refuse("normalising over several axes \(axis) is not supported (one axis, the last)") }
        if c["renorm"] as? Bool == true { throw c.refuse("option renorm=true is not supported") }
        let axis = c["axis"] as? Int ?? (c["axis"] as? [Int])?.first ?? -1
        return try BatchNormalization(axis: axis, momentum: c.float("momentum", default: 0.99), epsilon: c.float("epsilon", default: 0.001))
    }
}
