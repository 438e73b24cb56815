/// Max pooling, as Keras's `MaxPooling2D` (strides default to the pool size): over `valid`
/// windows, or `same` ones (output `ceil(input / stride)`; windows past the edge take the maximum
/// of what is inside).
public struct MaxPool2D: Layer {
    public let poolSize: (height: Int, width: Int)
    public let strides: (height: Int, width: Int)
    public let padding: Padding
    public var typeName: String { "MaxPool2D" }

    /// - Throws: ``GlassboxError/invalidArgument(operation:reason:)`` for sizes below 1.
    public init(poolSize: (Int, Int) = (2, 2), strides: (Int, Int)? = nil, padding: Padding = .valid) throws {
        let strides = strides ?? poolSize
        guard poolSize.0 >= 1, poolSize.1 >= 1, strides.0 >= 1, strides.1 >= 1 else {
            throw GlassboxError.invalidArgument(operation: "MaxPool2D", reason: "pool size \(poolSize) and strides \(strides) must be at least 1")
        }
        self.poolSize = (poolSize.0, poolSize.1)
        self.strides = (strides.0, strides.1)
        self.padding = padding
    }

    /// A square pool: `MaxPool2D(2)`.
    public init(_ size: Int, stride: Int? = nil, padding: Padding = .valid) throws {
        try self.init(poolSize: (size, size), strides: stride.map { ($0, $0) }, padding: padding)
    }

    func geometry(_ inputShape: [Int], batch: Int) throws -> Pool2DGeometry {
        try requireRank("MaxPool2D", inputShape, 3, "[height, width, channels]")
        return try Pool2DGeometry(inputShape: try Shape([batch] + inputShape), poolHeight: poolSize.height, poolWidth: poolSize.width,
                                  strideHeight: strides.height, strideWidth: strides.width, padding: padding)
    }

    public func outputShape(for inputShape: [Int]) throws -> [Int] {
        Array(try geometry(inputShape, batch: 1).outputShape.dimensions.dropFirst())
    }

    public var configuration: LayerConfiguration {
        var c = LayerConfiguration(type: typeName)
        c.poolSize = [poolSize.height, poolSize.width]
        c.strides = [strides.height, strides.width]
        if padding != .valid { c.padding = padding.rawValue }
        return c
    }

    public func makeRunner(backend: any Backend, inputShape: [Int], batchSize: Int, isOutputLayer: Bool) throws -> any LayerRunner {
        let g = try geometry(inputShape, batch: batchSize)
        return Runner(backend: backend, geometry: g, output: try backend.makeTensor(shape: g.outputShape))
    }

    final class Runner: DeepLiftRule {
        let backend: any Backend
        let geometry: Pool2DGeometry
        let output: Tensor
        private var gradInput: Tensor?

        init(backend: any Backend, geometry: Pool2DGeometry, output: Tensor) {
            self.backend = backend; self.geometry = geometry; self.output = output
        }

        func forward(_ input: Tensor, parameters: [Tensor], training: Bool, seed: UInt32) throws -> Tensor {
            try backend.maxPool2dForward(input: input, geometry: geometry, into: output)
            return output
        }

        func backward(input: Tensor, output: Tensor, gradOutput: Tensor, parameters: [Tensor],
                      parameterGradients: [Tensor], needInputGradient: Bool, seed: UInt32) throws -> Tensor? {
            guard needInputGradient else { return nil }
            if gradInput == nil { gradInput = try backend.makeTensor(shape: geometry.inputShape) }
            try backend.maxPool2dBackward(input: input, gradOutput: gradOutput, geometry: geometry, into: gradInput!)
            return gradInput
        }

        func prepareForDeepLift() throws {}

        /// shap DeepExplainer's max-pooling rule (``Backend/deepLiftMaxPool(gradOutput:input:referenceInput:output:referenceOutput:geometry:into:)``).
        func deepLiftBackward(_ m: Tensor, input: Tensor, output: Tensor, reference: any LayerRunner, referenceInput: Tensor,
                              referenceOutput: Tensor, parameters: [Tensor]) throws -> Tensor {
            if gradInput == nil { gradInput = try backend.makeTensor(shape: geometry.inputShape) }
            try backend.deepLiftMaxPool(gradOutput: m, input: input, referenceInput: referenceInput, output: output,
                                        referenceOutput: referenceOutput, geometry: geometry, into: gradInput!)
            return gradInput!
        }
    }
}
