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

extension Reshape: LayerType {
    public static var configurationTypes: [String] { ["Reshape"] }
    public static var kerasClassNames: [String] { ["Reshape"] }
    public var defaultNameStem: String { "reshape" }
    public static func make(_ c: LayerConfiguration) throws -> any Layer { try Reshape(c.need(c.targetShape, "targetShape")) }
    public static func make(keras c: KerasLayerConfig) throws -> any Layer {
        guard let target = c["target_shape"] as? [Int] else { throw c.refuse("'target_shape' is missing") }
        return try Reshape(target)
    }
}
