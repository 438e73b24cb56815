/// A fully connected layer, as Keras's `Dense`: `y = activation(x W + b)` with `W` laid out
/// `[inputs, units]`. It takes one-dimensional samples: put a ``Flatten`` before it.
public struct Dense: Layer {
    public let units: Int
    public let activation: Activation
    public var typeName: String { "Dense" }

    /// - Throws: ``GlassboxError/invalidArgument(operation:reason:)`` for fewer than 1 unit.
    public init(units: Int, activation: Activation = .linear) throws {
        guard units >= 1 else { throw GlassboxError.invalidArgument(operation: "Dense", reason: "units \(units) must be at least 1") }
        self.units = units
        self.activation = activation
    }

    public func outputShape(for inputShape: [Int]) throws -> [Int] {
        try requireRank("Dense", inputShape, 1, "[features] (add a Flatten layer before Dense)")
        return [units]
    }

    public func parameterShapes(for inputShape: [Int]) throws -> [Shape] {
        _ = try outputShape(for: inputShape)
        return [try Shape([inputShape[0], units]), [units]]
    }

    public func initialParameters(for inputShape: [Int], generator: inout SeededGenerator) throws -> [[Float]] {
        _ = try outputShape(for: inputShape)
        return [glorotUniform(count: inputShape[0] * units, fanIn: inputShape[0], fanOut: units, generator: &generator),
                [Float](repeating: 0, count: units)]
    }

    public var configuration: LayerConfiguration {
        var c = LayerConfiguration(type: typeName)
        c.units = units
        c.activation = activation.rawValue
        return c
    }

    public func makeRunner(backend: any Backend, inputShape: [Int], batchSize: Int, isOutputLayer: Bool) throws -> any LayerRunner {
        _ = try outputShape(for: inputShape)
        return try Runner(backend: backend, batchSize: batchSize, inputs: inputShape[0], units: units,
                      activation: isOutputLayer && activation == .softmax ? .linear : activation)
    }

    final class Runner: LayerRunner {
        let backend: any Backend
        let batchSize, inputs, units: Int
        let activation: Activation
        let output: Tensor
        private var gradInput: Tensor?
        private var ones: Tensor?

        init(backend: any Backend, batchSize: Int, inputs: Int, units: Int, activation: Activation) throws {
            self.backend = backend; self.batchSize = batchSize; self.inputs = inputs; self.units = units
            self.activation = activation
            output = try backend.makeTensor(shape: try Shape([batchSize, units]))
        }

        func forward(_ input: Tensor, parameters: [Tensor], training: Bool, seed: UInt32) throws -> Tensor {
            try backend.gemm(input, parameters[0], into: output, bias: parameters[1])
            try activation.apply(backend, output)
            return output
        }

        func backward(input: Tensor, output: Tensor, gradOutput: Tensor, parameters: [Tensor],
                      parameterGradients: [Tensor], needInputGradient: Bool, seed: UInt32) throws -> Tensor? {
            try activation.backward(backend, output: output, gradient: gradOutput)
            // dW = x^T dy; db = 1^T dy (a GEMM with a row of ones sums over the batch); dx = dy W^T.
            try backend.gemm(input, gradOutput, into: parameterGradients[0], transposeA: true)
            if ones == nil { ones = try backend.makeTensor(shape: try Shape([1, batchSize]), filledWith: 1) }
            try backend.gemm(ones!, gradOutput, into: try parameterGradients[1].reshaped(try Shape([1, units])))
            guard needInputGradient else { return nil }
            if gradInput == nil { gradInput = try backend.makeTensor(shape: try Shape([batchSize, inputs])) }
            try backend.gemm(gradOutput, parameters[0], into: gradInput!, transposeB: true)
            return gradInput
        }
    }
}
