/// The sum or mean of each sample over one axis, as `tf.reduce_sum(x, axis=k)` /
/// `tf.reduce_mean(x, axis=k)` (keepdims false) inside a Keras `Lambda`: a Lambda's Python code
/// can never run here, so the reduction is a layer of its own, `ReduceSum` or `ReduceMean`.
///
/// `axis` counts as Keras counts, with the batch as axis 0: `axis: 1` on `(batch, 28, 28, 128)`
/// gives `(batch, 28, 128)`; a negative axis counts from the end. The batch axis itself cannot
/// be reduced (each sample's output would depend on the others).
public struct Reduce: Layer {
    public enum Kind: String, Sendable {
        case sum = "ReduceSum"
        case mean = "ReduceMean"
    }

    public let kind: Kind
    public let axis: Int
    public var typeName: String { kind.rawValue }

    /// - Throws: ``GlassboxError/invalidArgument(operation:reason:)`` for axis 0 (the batch).
    public init(_ kind: Kind, axis: Int) throws {
        guard axis != 0 else {
            throw GlassboxError.invalidArgument(operation: kind.rawValue, reason: "axis 0 is the batch; reduce a sample axis (1 or more, or negative)")
        }
        self.kind = kind
        self.axis = axis
    }

    /// The reduced axis within one sample's shape.
    func sampleAxis(for inputShape: [Int]) throws -> Int {
        let resolved = axis > 0 ? axis - 1 : inputShape.count + axis
        guard inputShape.indices.contains(resolved) else {
            throw GlassboxError.invalidArgument(operation: typeName,
                reason: "axis \(axis) is not an axis of input (batch) + \(inputShape): use 1...\(inputShape.count) or -\(inputShape.count)...-1")
        }
        guard inputShape.count >= 2 else {
            throw GlassboxError.invalidArgument(operation: typeName, reason: "reducing the only axis of \(inputShape) would leave no values per sample")
        }
        return resolved
    }

    public func outputShape(for inputShape: [Int]) throws -> [Int] {
        var shape = inputShape
        shape.remove(at: try sampleAxis(for: inputShape))
        return shape
    }

    public var configuration: LayerConfiguration {
        var c = LayerConfiguration(type: typeName)
        c.axis = axis
        return c
    }

    /// `[outer, axis, inner]` of a batch of `inputShape` samples, as ``Backend/reduceAxis(_:outer:axis:inner:mean:into:)`` views it.
    func extents(_ inputShape: [Int], batch: Int) throws -> (outer: Int, axis: Int, inner: Int) {
        let a = try sampleAxis(for: inputShape)
        return (batch * inputShape[..<a].reduce(1, *), inputShape[a], inputShape[(a + 1)...].reduce(1, *))
    }

    public func makeRunner(backend: any Backend, inputShape: [Int], batchSize: Int, isOutputLayer: Bool) throws -> any LayerRunner {
        let (outer, axis, inner) = try extents(inputShape, batch: batchSize)
        return try Runner(backend: backend, outer: outer, axis: axis, inner: inner, mean: kind == .mean,
                          outputShape: try Shape([batchSize] + (try outputShape(for: inputShape))),
                          inputShape: try Shape([batchSize] + inputShape))
    }

    final class Runner: LayerRunner {
        let backend: any Backend
        let outer, axis, inner: Int
        let mean: Bool
        let output: Tensor
        let inputShape: Shape
        private var gradInput: Tensor?

        init(backend: any Backend, outer: Int, axis: Int, inner: Int, mean: Bool, outputShape: Shape, inputShape: Shape) throws {
            self.backend = backend; self.outer = outer; self.axis = axis; self.inner = inner; self.mean = mean
            self.inputShape = inputShape
            output = try backend.makeTensor(shape: outputShape)
        }

        func forward(_ input: Tensor, parameters: [Tensor], training: Bool, seed: UInt32) throws -> Tensor {
            try backend.reduceAxis(input, outer: outer, axis: axis, inner: inner, mean: mean, into: output)
            return output
        }

        func backward(input: Tensor, output: Tensor, gradOutput: Tensor, parameters: [Tensor],
                      parameterGradients: [Tensor], needInputGradient: Bool, seed: UInt32) throws -> Tensor? {
            guard needInputGradient else { return nil }
            if gradInput == nil { gradInput = try backend.makeTensor(shape: inputShape) }
            try backend.reduceAxisBackward(gradOutput: gradOutput, outer: outer, axis: axis, inner: inner, mean: mean, into: gradInput!)
            return gradInput
        }
    }
}

extension Reduce: LayerType {
    public static var configurationTypes: [String] { ["ReduceSum", "ReduceMean"] }
    /// Not Keras classes: Glassbox's names for a Lambda of `tf.reduce_sum`/`tf.reduce_mean`
    /// over one axis, which a model JSON may use in the Lambda's place (`{"axis": k}`).
    public static var kerasClassNames: [String] { ["ReduceSum", "ReduceMean"] }
    public var defaultNameStem: String { kind == .sum ? "reduce_sum" : "reduce_mean" }

    public static func make(_ c: LayerConfiguration) throws -> any Layer {
        try Reduce(c.type == "ReduceSum" ? .sum : .mean, axis: c.need(c.axis, "axis"))
    }

    public static func make(keras c: KerasLayerConfig) throws -> any Layer {
        guard let axis = c["axis"] as? Int else { throw c.refuse("'axis' is missing (the axis to reduce, counting the batch as 0)") }
        return try Reduce(c.className == "ReduceSum" ? .sum : .mean, axis: axis)
    }
}
