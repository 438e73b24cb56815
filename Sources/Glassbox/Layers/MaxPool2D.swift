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
        try Pool2DRunner(backend: backend, kind: .max, geometry: try geometry(inputShape, batch: batchSize))
    }
}

extension MaxPool2D: LayerType {
    public static var configurationTypes: [String] { ["MaxPool2D", "MaxPooling2D"] }
    public static var kerasClassNames: [String] { ["MaxPooling2D", "MaxPool2D"] }
    public var defaultNameStem: String { "max_pooling2d" }

    public static func make(_ c: LayerConfiguration) throws -> any Layer { try windows(c) }
    public static func make(keras c: KerasLayerConfig) throws -> any Layer { try windows(keras: c) }

    /// The pooling windows of a model file's configuration (shared with average pooling).
    static func windows(_ c: LayerConfiguration) throws -> MaxPool2D {
        let size = try c.pair(c.poolSize, "poolSize")
        return try MaxPool2D(poolSize: size, strides: c.pair(c.strides ?? [size.0, size.1], "strides"), padding: c.paddingValue())
    }

    /// The pooling windows of a Keras pooling layer's config (shared with average pooling).
    static func windows(keras c: KerasLayerConfig) throws -> MaxPool2D {
        try c.requireChannelsLast()
        let size = try c.pair("pool_size", default: (2, 2))
        return try MaxPool2D(poolSize: size, strides: c.pair("strides", default: size), padding: c.padding())
    }
}
