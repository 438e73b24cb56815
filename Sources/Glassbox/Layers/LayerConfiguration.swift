/// A layer's settings as stored in a model file's metadata: the union of every layer type's
/// fields, with `type` saying which apply.
public struct LayerConfiguration: Codable, Equatable, Sendable {
    public var type: String
    public var filters: Int?
    public var units: Int?
    public var kernelSize: [Int]?
    public var strides: [Int]?
    public var poolSize: [Int]?
    public var padding: String?
    public var activation: String?
    public var rate: Float?
    /// The axis of `ReduceSum`/`ReduceMean`, `Concatenate` and `BatchNormalization`, counting the
    /// batch as axis 0.
    public var axis: Int?
    /// `Reshape`'s per-sample target shape (one dimension may be -1).
    public var targetShape: [Int]?
    /// `BatchNormalization`'s settings.
    public var momentum: Float?
    public var epsilon: Float?
    /// `LeakyReLU`'s slope for negative inputs.
    public var negativeSlope: Float?

    public init(type: String) { self.type = type }

    /// The layer this configuration describes (read by its type, ``LayerTypes``).
    /// - Throws: ``GlassboxError/invalidArgument(operation:reason:)`` for an unknown type or a
    ///   missing or invalid field.
    public func makeLayer() throws -> any Layer {
        guard let layerType = LayerTypes.type(configuration: type) else {
            throw GlassboxError.invalidArgument(operation: "model", reason: "unknown layer type '\(type)'")
        }
        return try layerType.make(self)
    }
}
