/// A stack of layers, as Keras's `Sequential`: an input shape, the layers in order, and their
/// parameters, held on the host between runs.
///
/// ```swift
/// let model = try Sequential(inputShape: [28, 28, 1], seed: 0, layers: [
///     try Conv2D(filters: 32, kernelSize: 3, activation: .relu), try MaxPool2D(2), Flatten(),
///     try Dense(units: 128, activation: .relu), try Dense(units: 10, activation: .softmax)])
/// ```
///
/// Parameters are `parameters[layer][i]` in Keras's order and layout (kernel, then bias), the same
/// arrays a model file stores as `layers.<layer>.kernel` and `layers.<layer>.bias`.
public struct Sequential: Sendable {
    /// One sample's shape, without the batch dimension, e.g. `[28, 28, 1]`.
    public let inputShape: [Int]
    public let layers: [any Layer]
    /// Each layer's output shape for one sample.
    public let outputShapes: [[Int]]
    /// Each layer's parameter shapes (kernel, bias), empty for layers without parameters.
    public let parameterShapes: [[Shape]]
    /// Each layer's parameter values, row-major, in Keras layouts.
    public var parameters: [[[Float]]]
    /// The optimizer, loss and progress of training, set by ``compile(optimizer:loss:seed:)``.
    public var training: TrainingState?
    /// The name of each output class, when known (saved in the model file).
    public var classNames: [String]?

    /// Infers every layer's shapes and initialises the parameters as Keras does (Glorot-uniform
    /// kernels, zero biases), drawing from a generator seeded with `seed`.
    /// - Throws: ``GlassboxError`` naming the layer and shape that do not fit.
    public init(inputShape: [Int], seed: UInt64 = 0, layers: [any Layer]) throws {
        try self.init(inputShape: inputShape, seed: seed, layers: layers, initialize: true)
    }

    /// With `initialize` false the parameters are left empty, for a loader that fills them from a
    /// file after checking its tensors (so a file cannot make it allocate what it does not hold).
    init(inputShape: [Int], seed: UInt64, layers: [any Layer], initialize: Bool) throws {
        guard !layers.isEmpty else { throw GlassboxError.invalidArgument(operation: "Sequential", reason: "a model needs at least one layer") }
        guard layers.count <= Self.maximumLayers else {
            throw GlassboxError.invalidArgument(operation: "Sequential", reason: "\(layers.count) layers is more than the \(Self.maximumLayers) a model may have")
        }
        guard !inputShape.isEmpty, inputShape.allSatisfy({ $0 >= 1 }) else {
            throw GlassboxError.invalidShape(inputShape, reason: "every input dimension must be at least 1")
        }
        _ = try Shape(inputShape)   // at most 2^31 - 1 values per sample
        var generator = SeededGenerator(seed: seed)
        var shape = inputShape
        var outputs: [[Int]] = [], shapes: [[Shape]] = [], values: [[[Float]]] = []
        for (index, layer) in layers.enumerated() {
            do {
                shapes.append(try layer.parameterShapes(for: shape))
                values.append(initialize ? try layer.initialParameters(for: shape, generator: &generator) : [])
                shape = try layer.outputShape(for: shape)
                _ = try Shape(shape)
            } catch {
                throw GlassboxError.invalidArgument(operation: "layer \(index) (\(layer.typeName))", reason: "\(error)")
            }
            outputs.append(shape)
        }
        self.inputShape = inputShape
        self.layers = layers
        self.outputShapes = outputs
        self.parameterShapes = shapes
        self.parameters = values
    }

    /// The most layers a model may have: far past any network Glassbox runs, low enough that a
    /// file claiming a million layers is refused instead of building them.
    public static let maximumLayers = 10_000

    /// The reference CNN of Glassbox's README and tests: Conv2D(32, 3x3, relu) -> MaxPool 2x2 ->
    /// Flatten -> Dense(128, relu) -> Dense(classes, softmax); 693,962 parameters on 28x28x1.
    public static func referenceCNN(inputShape: [Int] = [28, 28, 1], classes: Int = 10, seed: UInt64 = 0) throws -> Sequential {
        try Sequential(inputShape: inputShape, seed: seed, layers: [
            try Conv2D(filters: 32, kernelSize: 3, activation: .relu),
            try MaxPool2D(2),
            Flatten(),
            try Dense(units: 128, activation: .relu),
            try Dense(units: classes, activation: .softmax),
        ])
    }

    /// The number of classes: the size of the last layer's output.
    public var outputCount: Int { outputShapes.last!.reduce(1, *) }

    /// The number of parameters of each layer.
    public var parameterCounts: [Int] { parameterShapes.map { $0.reduce(0) { $0 + $1.elementCount } } }

    /// The total number of parameters (693,962 for the reference CNN).
    public var parameterCount: Int { parameterCounts.reduce(0, +) }

    /// Whether the last layer ends in softmax, which training fuses with the cross-entropy loss.
    public var endsInSoftmax: Bool {
        switch layers.last {
        case let dense as Dense: return dense.activation == .softmax
        case let conv as Conv2D: return conv.activation == .softmax
        case let layer as ActivationLayer: return layer.activation == .softmax
        default: return false
        }
    }

    /// The activation of the last layer (linear for layers without one): what its outputs are.
    public var outputActivation: Activation {
        layers.last?.configuration.activation.flatMap(Activation.init(rawValue:)) ?? .linear
    }

    /// Replaces the parameters, checking every count against the layer's shapes.
    /// - Throws: ``GlassboxError/shapeMismatch(operation:expected:actual:)`` naming the layer.
    public mutating func setParameters(_ values: [[[Float]]]) throws {
        guard values.count == layers.count else {
            throw GlassboxError.invalidArgument(operation: "setParameters", reason: "\(values.count) layers of values for \(layers.count) layers")
        }
        for (layer, shapes) in parameterShapes.enumerated() {
            guard values[layer].count == shapes.count else {
                throw GlassboxError.invalidArgument(operation: "setParameters",
                    reason: "layer \(layer) has \(shapes.count) parameter tensors, got \(values[layer].count)")
            }
            for (index, shape) in shapes.enumerated() where values[layer][index].count != shape.elementCount {
                throw GlassboxError.shapeMismatch(operation: "layer \(layer) parameter \(index)",
                                                  expected: "\(shape) (\(shape.elementCount) values)",
                                                  actual: [values[layer][index].count])
            }
        }
        parameters = values
    }

    /// Keras-style layer names: `conv2d`, `max_pooling2d`, `flatten`, `dense`, `dense_1`, ...
    public var layerNames: [String] {
        var seen: [String: Int] = [:]
        return layers.map { layer in
            let base = Self.snakeCase(layer.typeName)
            let count = seen[base, default: 0]
            seen[base] = count + 1
            return count == 0 ? base : "\(base)_\(count)"
        }
    }

    /// Keras's default name stem of each layer type.
    static func snakeCase(_ typeName: String) -> String {
        ["Conv2D": "conv2d", "MaxPool2D": "max_pooling2d", "Flatten": "flatten", "Dense": "dense", "Dropout": "dropout",
         "ReduceSum": "reduce_sum", "ReduceMean": "reduce_mean", "GlobalAveragePooling2D": "global_average_pooling2d",
         "Reshape": "reshape", "Activation": "activation", "AveragePooling2D": "average_pooling2d"][typeName]
            ?? typeName.lowercased()
    }
}
