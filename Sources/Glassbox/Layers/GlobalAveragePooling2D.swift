/// The mean of each channel over the image, as Keras's `GlobalAveragePooling2D`
/// (`channels_last`, keepdims false): `[height, width, channels] -> [channels]`. It runs as the
/// mean over the middle axis of `[batch, height x width, channels]` (``Backend/reduceAxis(_:outer:axis:inner:mean:into:)``).
public struct GlobalAveragePooling2D: Layer {
    public var typeName: String { "GlobalAveragePooling2D" }
    public init() {}

    public func outputShape(for inputShape: [Int]) throws -> [Int] {
        try requireRank(typeName, inputShape, 3, "[height, width, channels]")
        return [inputShape[2]]
    }

    public var configuration: LayerConfiguration { LayerConfiguration(type: typeName) }

    public func makeRunner(backend: any Backend, inputShape: [Int], batchSize: Int, isOutputLayer: Bool) throws -> any LayerRunner {
        let output = try outputShape(for: inputShape)
        return try Reduce.Runner(backend: backend, outer: batchSize, axis: inputShape[0] * inputShape[1], inner: inputShape[2], mean: true,
                                 outputShape: try Shape([batchSize] + output), inputShape: try Shape([batchSize] + inputShape))
    }
}

/// Gives each sample another shape with the same values, as Keras's `Reshape(target_shape)`;
/// one dimension may be -1 (inferred). A view: nothing is copied.
public struct Reshape: Layer {
    public let targetShape: [Int]
    public var typeName: String { "Reshape" }

    /// - Throws: ``GlassboxError/invalidArgument(operation:reason:)`` for an empty shape, a
    ///   dimension below 1 other than one -1.
    public init(_ targetShape: [Int]) throws {
        guard !targetShape.isEmpty, targetShape.allSatisfy({ $0 >= 1 || $0 == -1 }), targetShape.filter({ $0 == -1 }).count <= 1 else {
            throw GlassboxError.invalidArgument(operation: "Reshape", reason: "target shape \(targetShape) needs dimensions of at least 1 and at most one -1")
        }
        self.targetShape = targetShape
    }

    public func outputShape(for inputShape: [Int]) throws -> [Int] {
        let count = try Shape(inputShape).elementCount
        let known = targetShape.filter { $0 != -1 }.reduce(1, *)
        guard targetShape.contains(-1) ? count % known == 0 : count == known else {
            throw GlassboxError.invalidArgument(operation: typeName, reason: "cannot reshape \(inputShape) (\(count) values) to \(targetShape)")
        }
        return targetShape.map { $0 == -1 ? count / known : $0 }
    }

    public var configuration: LayerConfiguration {
        var c = LayerConfiguration(type: typeName)
        c.targetShape = targetShape
        return c
    }

    public func makeRunner(backend: any Backend, inputShape: [Int], batchSize: Int, isOutputLayer: Bool) throws -> any LayerRunner {
        Flatten.Runner(flatShape: try Shape([batchSize] + (try outputShape(for: inputShape))), inputShape: try Shape([batchSize] + inputShape))
    }
}
