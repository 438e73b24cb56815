/// Inputs joined along one axis, as Keras's `Concatenate` (by default the last, the channels);
/// every other dimension must agree. The backward pass hands each input its slice of the gradient.
public struct Concatenate: MergeLayer {
    /// The joined axis, counting the batch as axis 0 (negative counts from the end: -1 is the last).
    public let axis: Int
    public var typeName: String { "Concatenate" }

    /// - Throws: ``GlassboxError/invalidArgument(operation:reason:)`` for axis 0 (the batch).
    public init(axis: Int = -1) throws {
        guard axis != 0 else { throw GlassboxError.invalidArgument(operation: "Concatenate", reason: "axis 0 is the batch; join along a sample's axis") }
        self.axis = axis
    }

    /// The joined axis as an index into one sample's shape.
    func sampleAxis(rank: Int) throws -> Int {
        let index = axis < 0 ? rank + axis : axis - 1
        guard (0..<rank).contains(index) else {
            throw GlassboxError.invalidArgument(operation: typeName, reason: "axis \(axis) is not an axis of inputs of rank \(rank + 1) (batch included)")
        }
        return index
    }

    public func outputShape(forInputs inputShapes: [[Int]]) throws -> [Int] {
        guard inputShapes.count >= 2 else {
            throw GlassboxError.invalidArgument(operation: typeName, reason: "takes at least two inputs, got \(inputShapes.count)")
        }
        let first = inputShapes[0]
        let index = try sampleAxis(rank: first.count)
        func others(_ shape: [Int]) -> [Int] { shape.enumerated().filter { $0.offset != index }.map(\.element) }
        guard inputShapes.allSatisfy({ $0.count == first.count && others($0) == others(first) }) else {
            throw GlassboxError.invalidArgument(operation: typeName,
                reason: "inputs \(inputShapes) must agree in every dimension but axis \(axis)")
        }
        var shape = first
        shape[index] = inputShapes.reduce(0) { $0 + $1[index] }
        return shape
    }

    public var configuration: LayerConfiguration {
        var c = LayerConfiguration(type: typeName)
        c.axis = axis
        return c
    }

    public func makeMergeRunner(backend: any Backend, inputShapes: [[Int]], batchSize: Int) throws -> any MergeRunner {
        let shape = try outputShape(forInputs: inputShapes)
        let index = try sampleAxis(rank: shape.count)
        let outer = batchSize * shape[..<index].reduce(1, *), inner = shape[(index + 1)...].reduce(1, *)
        return Runner(backend: backend, output: try backend.makeTensor(shape: try Shape([batchSize] + shape)),
                      gradients: try inputShapes.map { try backend.makeTensor(shape: try Shape([batchSize] + $0)) },
                      sizes: inputShapes.map { $0[index] }, outer: outer, inner: inner)
    }

    final class Runner: MergeRunner {
        let backend: any Backend
        let output: Tensor
        let gradients: [Tensor]
        let sizes: [Int]
        let outer: Int, inner: Int

        init(backend: any Backend, output: Tensor, gradients: [Tensor], sizes: [Int], outer: Int, inner: Int) {
            self.backend = backend; self.output = output; self.gradients = gradients; self.sizes = sizes; self.outer = outer; self.inner = inner
        }

        func forward(_ inputs: [Tensor]) throws -> Tensor {
            try copy(inputs, toWhole: true, whole: output)
            return output
        }

        func backward(gradOutput: Tensor) throws -> [Tensor] {
            try copy(gradients, toWhole: false, whole: gradOutput)
            return gradients
        }

        private func copy(_ blocks: [Tensor], toWhole: Bool, whole: Tensor) throws {
            let total = sizes.reduce(0, +)
            var offset = 0
            for (block, size) in zip(blocks, sizes) {
                try backend.copyBlock(block, whole, outer: outer, blockAxis: size, wholeAxis: total, inner: inner, offset: offset, toWhole: toWhole)
                offset += size
            }
        }
    }
}

extension Concatenate: LayerType {
    public static var configurationTypes: [String] { ["Concatenate"] }
    public static var kerasClassNames: [String] { ["Concatenate"] }
    public var defaultNameStem: String { "concatenate" }
    public static func make(_ c: LayerConfiguration) throws -> any Layer { try Concatenate(axis: c.axis ?? -1) }
    public static func make(keras c: KerasLayerConfig) throws -> any Layer { try Concatenate(axis: c["axis"] as? Int ?? -1) }
}
