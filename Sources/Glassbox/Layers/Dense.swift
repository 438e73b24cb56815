/// A fully connected layer, as Keras's `Dense`: `y = activation(x W + b)` with `W` laid out
/// `[inputs, units]`, applied on the last axis of its input as Keras does: a sample of shape
/// `[d1, ..., dn, inputs]` gives `[d1, ..., dn, units]` (e.g. `Dense(128)` on 28x28x1 images
/// gives 28x28x128), every position sharing the weights. For a class vector from an image, put a
/// ``Flatten`` before it.
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
        guard !inputShape.isEmpty else {
            throw GlassboxError.invalidArgument(operation: "Dense", reason: "expects input [..., features], got \(inputShape)")
        }
        return inputShape.dropLast() + [units]
    }

    public func parameterShapes(for inputShape: [Int]) throws -> [Shape] {
        _ = try outputShape(for: inputShape)
        return [try Shape([inputShape.last!, units]), [units]]
    }

    public func initialParameters(for inputShape: [Int], generator: inout SeededGenerator) throws -> [[Float]] {
        _ = try outputShape(for: inputShape)
        let inputs = inputShape.last!
        return [glorotUniform(count: inputs * units, fanIn: inputs, fanOut: units, generator: &generator),
                [Float](repeating: 0, count: units)]
    }

    public var configuration: LayerConfiguration {
        var c = LayerConfiguration(type: typeName)
        c.units = units
        c.activation = activation.rawValue
        return c
    }

    public func makeRunner(backend: any Backend, inputShape: [Int], batchSize: Int, isOutputLayer: Bool) throws -> any LayerRunner {
        let outputShape = try outputShape(for: inputShape)
        return try Runner(backend: backend, batchSize: batchSize, inputShape: inputShape, outputShape: outputShape, units: units,
                          activation: isOutputLayer && activation == .softmax ? .linear : activation)
    }

    /// Runs the layer as GEMMs over `rows = batch x positions` rows of the last axis.
    final class Runner: DeepLiftRule {
        let backend: any Backend
        let preactivation = PreactivationStore()
        let rows, inputs, units: Int
        let activation: Activation
        /// `[rows, units]`, and the same buffer in the layer's output shape.
        let matrix: Tensor
        let output: Tensor
        let inputMatrixShape, inputShape: Shape
        private var gradInput: Tensor?

        init(backend: any Backend, batchSize: Int, inputShape: [Int], outputShape: [Int], units: Int, activation: Activation) throws {
            self.backend = backend; self.units = units; self.activation = activation
            inputs = inputShape.last!
            rows = batchSize * inputShape.dropLast().reduce(1, *)
            matrix = try backend.makeTensor(shape: try Shape([rows, units]))
            output = try matrix.reshaped(try Shape([batchSize] + outputShape))
            inputMatrixShape = try Shape([rows, inputs])
            self.inputShape = try Shape([batchSize] + inputShape)
        }

        func forward(_ input: Tensor, parameters: [Tensor], training: Bool, seed: UInt32) throws -> Tensor {
            let z = try preactivation.target(for: matrix, activation: activation, backend: backend)
            if z === matrix {
                // Nothing keeps the pre-activation: the backend may fuse the activation into the GEMM.
                try backend.denseForward(try input.reshaped(inputMatrixShape), weights: parameters[0], bias: parameters[1],
                                         activation: activation, into: matrix)
            } else {
                try backend.gemm(try input.reshaped(inputMatrixShape), parameters[0], into: z, bias: parameters[1])
                try activation.apply(backend, z, into: matrix)
            }
            return output
        }

        func prepareForDeepLift() throws { preactivation.keeps = true }

        /// The rescale rule through the activation, then the linear rule `m W^T`.
        func deepLiftBackward(_ m: Tensor, input: Tensor, output: Tensor, reference: any LayerRunner, referenceInput: Tensor,
                              referenceOutput: Tensor, parameters: [Tensor]) throws -> Tensor {
            let rowsShape = try Shape([rows, units])
            let mRows = try m.reshaped(rowsShape)
            try preactivation.rescale(mRows, output: try output.reshaped(rowsShape), reference: (reference as! Runner).preactivation,
                                      referenceOutput: referenceOutput, activation: activation, backend: backend)
            if gradInput == nil { gradInput = try backend.makeTensor(shape: inputMatrixShape) }
            try backend.gemm(mRows, parameters[0], into: gradInput!, transposeB: true)
            return try gradInput!.reshaped(inputShape)
        }

        func backward(input: Tensor, output: Tensor, gradOutput: Tensor, parameters: [Tensor],
                      parameterGradients: [Tensor], needInputGradient: Bool, seed: UInt32) throws -> Tensor? {
            let rowsShape = try Shape([rows, units])
            if needInputGradient && gradInput == nil { gradInput = try backend.makeTensor(shape: inputMatrixShape) }
            // dW = x^T dz; db = 1^T dz; dx = dz W^T, with dz = dy through the activation.
            try backend.denseBackward(try input.reshaped(inputMatrixShape), weights: parameters[0], output: try output.reshaped(rowsShape),
                                      activation: activation, gradOutput: try gradOutput.reshaped(rowsShape),
                                      weightGradient: parameterGradients[0], biasGradient: parameterGradients[1],
                                      inputGradient: needInputGradient ? gradInput : nil)
            return needInputGradient ? try gradInput!.reshaped(inputShape) : nil
        }
    }
}

extension Dense: LayerType {
    public static var configurationTypes: [String] { ["Dense"] }
    public static var kerasClassNames: [String] { ["Dense"] }
    public var defaultNameStem: String { "dense" }

    public static func make(_ c: LayerConfiguration) throws -> any Layer {
        try Dense(units: c.need(c.units, "units"), activation: c.activationValue())
    }

    public static func make(keras c: KerasLayerConfig) throws -> any Layer {
        try c.requireBias()
        return try Dense(units: c.integer("units"), activation: c.activation())
    }
}
