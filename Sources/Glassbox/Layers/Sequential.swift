/// A model, as Keras's `Sequential` and functional `Model`: an input shape, layers (the graph's
/// nodes, each with a unique name) in an order where every layer comes after the layers that feed
/// it, and their parameters, held on the host between runs. The last layer is the output.
///
/// A chain of layers, as Keras's `Sequential`:
///
/// ```swift
/// let model = try Sequential(inputShape: [28, 28, 1], seed: 0, layers: [
///     try Conv2D(filters: 32, kernelSize: 3, activation: .relu), try MaxPool2D(2), Flatten(),
///     try Dense(units: 128, activation: .relu), try Dense(units: 10, activation: .softmax)])
/// ```
///
/// A graph, as Keras's functional API, naming each node's inputs (``Sequential/inputName`` is
/// the model's input):
///
/// ```swift
/// let model = try Sequential(inputShape: [28, 28, 1], nodes: [
///     .init("conv", try Conv2D(filters: 8, kernelSize: 3, padding: .same, activation: .relu), from: ["input"]),
///     .init("conv_1", try Conv2D(filters: 8, kernelSize: 3, padding: .same), from: ["conv"]),
///     .init("add", Add(), from: ["conv", "conv_1"]),
///     .init("pool", GlobalAveragePooling2D(), from: ["add"]),
///     .init("dense", try Dense(units: 10, activation: .softmax), from: ["pool"])])
/// ```
///
/// Parameters are `parameters[layer][i]` in Keras's order and layout (kernel, then bias), the
/// arrays a model file stores as `<node>.kernel` and `<node>.bias`.
public struct Sequential: Sendable {
    /// One sample's shape, without the batch dimension, e.g. `[28, 28, 1]`.
    public let inputShape: [Int]
    public let layers: [any Layer]
    /// Each layer's node name, unique in the model (Keras-style `conv2d`, `dense_1` by default).
    public let layerNames: [String]
    /// The layers feeding each layer, by index; `-1` is the model's input. A chain has
    /// `[[-1], [0], [1], ...]`.
    public let layerInputs: [[Int]]
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
    /// For a model trained on a table: its feature names and standardisation (saved in the model
    /// file), so it takes raw rows.
    public var tabular: TabularSchema?

    /// The name by which nodes refer to the model's input.
    public static let inputName = "input"

    /// One node of a graph: a layer, its unique name, and the names of the nodes feeding it.
    public struct Node: Sendable {
        public var name: String
        public var layer: any Layer
        public var inputs: [String]
        public init(_ name: String, _ layer: any Layer, from inputs: [String]) {
            self.name = name; self.layer = layer; self.inputs = inputs
        }
    }

    /// A chain of layers: infers every layer's shapes and initialises the parameters as Keras
    /// does (Glorot-uniform kernels, zero biases), drawing from a generator seeded with `seed`.
    /// - Throws: ``GlassboxError`` naming the layer and shape that do not fit.
    public init(inputShape: [Int], seed: UInt64 = 0, layers: [any Layer]) throws {
        try self.init(inputShape: inputShape, seed: seed, layers: layers, names: Self.defaultNames(layers),
                      inputs: layers.indices.map { [$0 - 1] }, initialize: true)
    }

    /// A graph of named nodes, each after the nodes that feed it; the last node is the output,
    /// and every other node must feed some node.
    /// - Throws: ``GlassboxError`` naming the node: an unknown or later input, a repeated name, a
    ///   node that feeds nothing, or shapes that do not fit.
    public init(inputShape: [Int], seed: UInt64 = 0, nodes: [Node]) throws {
        var index: [String: Int] = [Self.inputName: -1]
        var inputs: [[Int]] = []
        for (position, node) in nodes.enumerated() {
            guard !node.inputs.isEmpty else {
                throw GlassboxError.invalidArgument(operation: "node '\(node.name)' (\(node.layer.typeName))", reason: "has no inputs")
            }
            inputs.append(try node.inputs.map { source in
                guard let found = index[source] else {
                    throw GlassboxError.invalidArgument(operation: "node '\(node.name)' (\(node.layer.typeName))",
                        reason: "input '\(source)' is not the model's input or an earlier node")
                }
                return found
            })
            guard index[node.name] == nil, !node.name.isEmpty else {
                throw GlassboxError.invalidArgument(operation: "node \(position) (\(node.layer.typeName))",
                    reason: node.name.isEmpty ? "has an empty name" : "name '\(node.name)' is used twice (or is the input's)")
            }
            index[node.name] = position
        }
        try self.init(inputShape: inputShape, seed: seed, layers: nodes.map(\.layer), names: nodes.map(\.name), inputs: inputs,
                      initialize: true)
    }

    /// With `initialize` false the parameters are left empty, for a loader that fills them from a
    /// file after checking its tensors (so a file cannot make it allocate what it does not hold).
    init(inputShape: [Int], seed: UInt64, layers: [any Layer], names: [String], inputs: [[Int]], initialize: Bool) throws {
        guard !layers.isEmpty else { throw GlassboxError.invalidArgument(operation: "Sequential", reason: "a model needs at least one layer") }
        guard layers.count <= Self.maximumLayers else {
            throw GlassboxError.invalidArgument(operation: "Sequential", reason: "\(layers.count) layers is more than the \(Self.maximumLayers) a model may have")
        }
        guard !inputShape.isEmpty, inputShape.allSatisfy({ $0 >= 1 }) else {
            throw GlassboxError.invalidShape(inputShape, reason: "every input dimension must be at least 1")
        }
        guard names.count == layers.count, inputs.count == layers.count, Set(names).count == names.count else {
            throw GlassboxError.invalidArgument(operation: "Sequential", reason: "every layer needs one unique name and its list of inputs")
        }
        _ = try Shape(inputShape)   // at most 2^31 - 1 values per sample
        var consumers = [Int](repeating: 0, count: layers.count)
        for (index, sources) in inputs.enumerated() {
            guard !sources.isEmpty, sources.allSatisfy({ (-1..<index).contains($0) }) else {
                throw GlassboxError.invalidArgument(operation: "layer \(index) '\(names[index])' (\(layers[index].typeName))",
                    reason: "inputs \(sources) must be earlier layers (or -1, the model's input)")
            }
            for source in sources where source >= 0 { consumers[source] += 1 }
        }
        if let unused = consumers.dropLast().firstIndex(of: 0) {
            throw GlassboxError.invalidArgument(operation: "layer \(unused) '\(names[unused])' (\(layers[unused].typeName))",
                reason: "feeds no layer: every layer but the last (the output) must lead to the output")
        }
        var generator = SeededGenerator(seed: seed)
        var outputs: [[Int]] = [], shapes: [[Shape]] = [], values: [[[Float]]] = []
        for (index, layer) in layers.enumerated() {
            let inputShapes = inputs[index].map { $0 < 0 ? inputShape : outputs[$0] }
            var shape: [Int]
            do {
                if let merge = layer as? MergeLayer {
                    shapes.append([])
                    values.append([])
                    shape = try merge.outputShape(forInputs: inputShapes)
                } else {
                    guard inputShapes.count == 1 else {
                        throw GlassboxError.invalidArgument(operation: layer.typeName, reason: "takes one input, got \(inputShapes.count)")
                    }
                    shapes.append(try layer.parameterShapes(for: inputShapes[0]))
                    values.append(initialize ? try layer.initialParameters(for: inputShapes[0], generator: &generator) : [])
                    shape = try layer.outputShape(for: inputShapes[0])
                }
                _ = try Shape(shape)
            } catch {
                throw GlassboxError.invalidArgument(operation: "layer \(index) '\(names[index])' (\(layer.typeName))", reason: "\(error)")
            }
            outputs.append(shape)
        }
        self.inputShape = inputShape
        self.layers = layers
        self.layerNames = names
        self.layerInputs = inputs
        self.outputShapes = outputs
        self.parameterShapes = shapes
        self.parameters = values
    }

    /// The shapes of the inputs of layer `index` (one sample each).
    public func inputShapes(of index: Int) -> [[Int]] {
        layerInputs[index].map { $0 < 0 ? inputShape : outputShapes[$0] }
    }

    /// Whether the layers form one chain, each fed by the one before (a Keras `Sequential`).
    public var isChain: Bool { layerInputs.enumerated().allSatisfy { $1 == [$0 - 1] } }

    /// How many layers read each layer's output (the model's input is not counted).
    var consumerCounts: [Int] {
        var counts = [Int](repeating: 0, count: layers.count)
        for sources in layerInputs { for source in sources where source >= 0 { counts[source] += 1 } }
        return counts
    }

    /// The name of parameter `index` of layer `layer` in a model file: `<node>.<param>`.
    public func parameterName(layer: Int, index: Int) -> String {
        let names = layers[layer].parameterNames
        return "\(layerNames[layer]).\(index < names.count ? names[index] : "parameter_\(index)")"
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

    /// The parameters the optimizer trains (Keras's "Trainable params"); the rest are moving
    /// statistics.
    public var trainableParameterCount: Int {
        parameterShapes.enumerated().reduce(0) { total, entry in
            total + entry.element.enumerated().reduce(0) { $0 + (layers[entry.offset].isTrainable(parameter: $1.offset) ? $1.element.elementCount : 0) }
        }
    }

    /// Whether the last layer ends in softmax, which training fuses with the cross-entropy loss.
    public var endsInSoftmax: Bool { outputActivation == .softmax }

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

    /// Keras-style default names: `conv2d`, `max_pooling2d`, `flatten`, `dense`, `dense_1`, ...
    static func defaultNames(_ layers: [any Layer]) -> [String] {
        var seen: [String: Int] = [:]
        return layers.map { layer in
            let base = LayerTypes.defaultNameStem(layer)
            let count = seen[base, default: 0]
            seen[base] = count + 1
            return count == 0 ? base : "\(base)_\(count)"
        }
    }
}
