/// Average pooling, as Keras's `AveragePooling2D` (strides default to the pool size), over `valid`
/// or `same` windows (a window past the edge averages what is inside, as TensorFlow's).
public struct AveragePooling2D: Layer {
    /// The same windows as max pooling.
    let windows: MaxPool2D
    public var poolSize: (height: Int, width: Int) { windows.poolSize }
    public var strides: (height: Int, width: Int) { windows.strides }
    public var typeName: String { "AveragePooling2D" }

    /// - Throws: ``GlassboxError/invalidArgument(operation:reason:)`` for sizes below 1.
    public init(poolSize: (Int, Int) = (2, 2), strides: (Int, Int)? = nil, padding: Padding = .valid) throws {
        windows = try MaxPool2D(poolSize: poolSize, strides: strides, padding: padding)
    }

    public func outputShape(for inputShape: [Int]) throws -> [Int] { try windows.outputShape(for: inputShape) }

    public var configuration: LayerConfiguration {
        var c = windows.configuration
        c.type = typeName
        return c
    }

    public func makeRunner(backend: any Backend, inputShape: [Int], batchSize: Int, isOutputLayer: Bool) throws -> any LayerRunner {
        let g = try windows.geometry(inputShape, batch: batchSize)
        return Runner(backend: backend, geometry: g, output: try backend.makeTensor(shape: g.outputShape))
    }

    final class Runner: LayerRunner {
        let backend: any Backend
        let geometry: Pool2DGeometry
        let output: Tensor
        private var gradInput: Tensor?

        init(backend: any Backend, geometry: Pool2DGeometry, output: Tensor) {
            self.backend = backend; self.geometry = geometry; self.output = output
        }

        func forward(_ input: Tensor, parameters: [Tensor], training: Bool, seed: UInt32) throws -> Tensor {
            try backend.averagePool2dForward(input: input, geometry: geometry, into: output)
            return output
        }

        func backward(input: Tensor, output: Tensor, gradOutput: Tensor, parameters: [Tensor],
                      parameterGradients: [Tensor], needInputGradient: Bool, seed: UInt32) throws -> Tensor? {
            guard needInputGradient else { return nil }
            if gradInput == nil { gradInput = try backend.makeTensor(shape: geometry.inputShape) }
            try backend.averagePool2dBackward(gradOutput: gradOutput, geometry: geometry, into: gradInput!)
            return gradInput
        }
    }
}
