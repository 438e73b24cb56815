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

extension GlobalAveragePooling2D: LayerType {
    public static var configurationTypes: [String] { ["GlobalAveragePooling2D"] }
    public static var kerasClassNames: [String] { ["GlobalAveragePooling2D"] }
    public var defaultNameStem: String { "global_average_pooling2d" }
    public static func make(_ c: LayerConfiguration) throws -> any Layer { GlobalAveragePooling2D() }
    public static func make(keras c: KerasLayerConfig) throws -> any Layer {
        try c.requireChannelsLast()
        if let keep = c["keepdims"] as? Bool, keep { throw c.refuse("option keepdims=true is not supported") }
        return GlobalAveragePooling2D()
    }
}
