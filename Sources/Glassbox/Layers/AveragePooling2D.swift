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

    init(windows: MaxPool2D) { self.windows = windows }

    public func outputShape(for inputShape: [Int]) throws -> [Int] { try windows.outputShape(for: inputShape) }

    public var configuration: LayerConfiguration {
        var c = windows.configuration
        c.type = typeName
        return c
    }

    public func makeRunner(backend: any Backend, inputShape: [Int], batchSize: Int, isOutputLayer: Bool) throws -> any LayerRunner {
        try Pool2DRunner(backend: backend, kind: .average, geometry: try windows.geometry(inputShape, batch: batchSize))
    }
}

extension AveragePooling2D: LayerType {
    public static var configurationTypes: [String] { ["AveragePooling2D"] }
    public static var kerasClassNames: [String] { ["AveragePooling2D", "AvgPool2D"] }
    public var defaultNameStem: String { "average_pooling2d" }

    public static func make(_ c: LayerConfiguration) throws -> any Layer { AveragePooling2D(windows: try MaxPool2D.windows(c)) }
    public static func make(keras c: KerasLayerConfig) throws -> any Layer { AveragePooling2D(windows: try MaxPool2D.windows(keras: c)) }
}
