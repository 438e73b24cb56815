/// The element-wise sum of two or more inputs of the same shape, as Keras's `Add` (residual
/// connections). Its backward pass hands the output's gradient to every input.
public struct Add: MergeLayer {
    public var typeName: String { "Add" }

    public init() {}

    public func outputShape(forInputs inputShapes: [[Int]]) throws -> [Int] {
        guard inputShapes.count >= 2 else {
            throw GlassboxError.invalidArgument(operation: typeName, reason: "takes at least two inputs, got \(inputShapes.count)")
        }
        guard inputShapes.allSatisfy({ $0 == inputShapes[0] }) else {
            throw GlassboxError.invalidArgument(operation: typeName, reason: "inputs must have one shape, got \(inputShapes)")
        }
        return inputShapes[0]
    }

    public var configuration: LayerConfiguration { LayerConfiguration(type: typeName) }

    public func makeMergeRunner(backend: any Backend, inputShapes: [[Int]], batchSize: Int) throws -> any MergeRunner {
        let shape = try Shape([batchSize] + outputShape(forInputs: inputShapes))
        return Runner(backend: backend, output: try backend.makeTensor(shape: shape),
                      copies: try (1..<inputShapes.count).map { _ in try backend.makeTensor(shape: shape) })
    }

    final class Runner: MergeRunner {
        let backend: any Backend
        let output: Tensor
        /// The gradient for every input after the first (each caller may overwrite its own).
        let copies: [Tensor]

        init(backend: any Backend, output: Tensor, copies: [Tensor]) { self.backend = backend; self.output = output; self.copies = copies }

        func forward(_ inputs: [Tensor]) throws -> Tensor {
            try backend.add(inputs[0], inputs[1], into: output)
            for input in inputs.dropFirst(2) { try backend.add(output, input, into: output) }
            return output
        }

        func backward(gradOutput: Tensor) throws -> [Tensor] {
            for copy in copies { try backend.copy(gradOutput, into: copy) }
            return [gradOutput] + copies
        }
    }
}

extension Add: LayerType {
    public static var configurationTypes: [String] { ["Add"] }
    public static var kerasClassNames: [String] { ["Add"] }
    public var defaultNameStem: String { "add" }
    public static func make(_ c: LayerConfiguration) throws -> any Layer { Add() }
    public static func make(keras c: KerasLayerConfig) throws -> any Layer { Add() }
}
