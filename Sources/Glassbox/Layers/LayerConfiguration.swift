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

    /// The layer this configuration describes.
    /// - Throws: ``GlassboxError/invalidArgument(operation:reason:)`` for an unknown type or a
    ///   missing or invalid field.
    public func makeLayer() throws -> any Layer {
        func need<T>(_ value: T?, _ field: String) throws -> T {
            guard let value else { throw GlassboxError.invalidArgument(operation: "layer \(type)", reason: "missing field '\(field)'") }
            return value
        }
        func pair(_ values: [Int]?, _ field: String) throws -> (Int, Int) {
            let values = try need(values, field)
            guard values.count == 2 else { throw GlassboxError.invalidArgument(operation: "layer \(type)", reason: "'\(field)' needs 2 values, got \(values)") }
            return (values[0], values[1])
        }
        func activationValue() throws -> Activation {
            let name = activation ?? "linear"
            guard let value = Activation(rawValue: name) else {
                throw GlassboxError.invalidArgument(operation: "layer \(type)", reason: "unknown activation '\(name)'")
            }
            return value
        }
        func paddingValue() throws -> Padding {
            guard let value = Padding(rawValue: padding ?? "valid") else {
                throw GlassboxError.invalidArgument(operation: "layer \(type)", reason: "unknown padding '\(padding ?? "")'")
            }
            return value
        }
        switch type {
        case "Conv2D":
            return try Conv2D(filters: need(filters, "filters"), kernelSize: pair(kernelSize, "kernelSize"),
                              strides: pair(strides ?? [1, 1], "strides"), padding: paddingValue(), activation: activationValue())
        case "MaxPool2D", "MaxPooling2D":
            let size = try pair(poolSize, "poolSize")
            return try MaxPool2D(poolSize: size, strides: pair(strides ?? [size.0, size.1], "strides"), padding: paddingValue())
        case "Flatten":
            return Flatten()
        case "Dense":
            return try Dense(units: need(units, "units"), activation: activationValue())
        case "Dropout":
            return try Dropout(rate: need(rate, "rate"))
        case "AveragePooling2D":
            let size = try pair(poolSize, "poolSize")
            return try AveragePooling2D(poolSize: size, strides: pair(strides ?? [size.0, size.1], "strides"), padding: paddingValue())
        case "GlobalAveragePooling2D":
            return GlobalAveragePooling2D()
        case "Reshape":
            return try Reshape(need(targetShape, "targetShape"))
        case "Activation":
            return ActivationLayer(try activationValue())
        case "Add":
            return Add()
        case "Concatenate":
            return try Concatenate(axis: axis ?? -1)
        case "BatchNormalization":
            return try BatchNormalization(axis: axis ?? -1, momentum: momentum ?? 0.99, epsilon: epsilon ?? 0.001)
        case "ReduceSum":
            return try Reduce(.sum, axis: need(axis, "axis"))
        case "ReduceMean":
            return try Reduce(.mean, axis: need(axis, "axis"))
        default:
            throw GlassboxError.invalidArgument(operation: "model", reason: "unknown layer type '\(type)'")
        }
    }
}
