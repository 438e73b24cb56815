import Foundation

/// Saving and loading ``Sequential`` models as safetensors.
///
/// Tensors: `<node>.<param>` for each layer's parameters (`conv2d.kernel`, `dense_1.bias`,
/// `batch_normalization.moving_mean`) in Keras layouts (conv `[kh, kw, in, out]`, dense
/// `[in, out]`), so they drop into the same Keras model with `set_weights`; optimizer state as
/// `optimizer.<node>.<param>.<slot>` (Adam's slots `m` and `v`, for trained parameters only).
/// Metadata (all strings): `format` = `glassbox`, `format_version` = `2`, `architecture` (JSON:
/// `input_shape`, `layers` (each a ``LayerConfiguration``), `names` and `inputs`, each layer's
/// input names, ``Sequential/inputName`` for the model's input), and when the model has been
/// compiled `training` (JSON: optimizer, loss, step, epochs completed, seed, batch size);
/// `class_names` (JSON array) when known; `tabular` (JSON: `feature_names`, `label`, `mean`,
/// `scale`, a ``TabularSchema``) for a model trained on a table.
///
/// Files of `format_version` 1 (written before graphs) hold a chain and name tensors
/// `layers.<i>.kernel`/`layers.<i>.bias` by layer index; they still load.
extension Sequential {
    static let slotNames = ["m", "v"]
    static let formatVersion = "2"

    /// The model, optimizer state included, as a safetensors value.
    public func safetensors() throws -> Safetensors {
        var file = Safetensors()
        for (layer, shapes) in parameterShapes.enumerated() {
            for (index, shape) in shapes.enumerated() {
                let name = parameterName(layer: layer, index: index)
                file.tensors[name] = .init(shape: shape.dimensions, values: parameters[layer][index])
                if let training, training.slots.indices.contains(layer), training.slots[layer].indices.contains(index) {
                    for (slot, values) in training.slots[layer][index].enumerated() {
                        file.tensors["optimizer.\(name).\(Self.slotNames[slot])"] = .init(shape: shape.dimensions, values: values)
                    }
                }
            }
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let architecture = ArchitectureRecord(inputShape: inputShape, layers: layers.map(\.configuration), names: layerNames,
                                              inputs: layerInputs.map { $0.map { $0 < 0 ? Self.inputName : layerNames[$0] } })
        file.metadata["format"] = "glassbox"
        file.metadata["format_version"] = Self.formatVersion
        file.metadata["architecture"] = String(decoding: try encoder.encode(architecture), as: UTF8.self)
        if let training { file.metadata["training"] = String(decoding: try encoder.encode(TrainingRecord(training)), as: UTF8.self) }
        if let classNames { file.metadata["class_names"] = String(decoding: try encoder.encode(classNames), as: UTF8.self) }
        if let tabular { file.metadata["tabular"] = String(decoding: try encoder.encode(tabular), as: UTF8.self) }
        return file
    }

    /// Writes the model atomically: a failed or interrupted save leaves any old file intact.
    /// - Throws: ``GlassboxError/nonFinite(_:)`` naming the tensor when a parameter or the
    ///   optimizer state holds NaN or infinity: such a file would only be refused when read.
    public func save(to url: URL) throws {
        do {
            try checkParametersFinite()
            if let training { try checkOptimizerStateFinite(training) }
        } catch let GlassboxError.nonFinite(what) {
            throw GlassboxError.nonFinite("not saving \(url.path): \(what)")
        }
        try safetensors().write(to: url)
    }

    /// Reads a model written by ``save(to:)`` (or by Keras with the same names and metadata).
    /// - Throws: ``GlassboxError/malformedFile(path:offset:reason:)`` naming the missing or
    ///   mis-shaped tensor or metadata.
    public static func load(from url: URL) throws -> Sequential {
        try load(try Safetensors.read(from: url), path: url.path)
    }

    /// Reads a model from the bytes of a file written by ``save(to:)`` (as another rank sends it).
    /// - Parameters:
    ///   - data: the file's bytes.
    ///   - source: where the bytes came from, for errors.
    public static func load(safetensors data: Data, source: String) throws -> Sequential {
        try load(try Safetensors.decode(data, path: source), path: source)
    }

    static func load(_ file: Safetensors, path: String) throws -> Sequential {
        func malformed(_ reason: String) -> GlassboxError { .malformedFile(path: path, offset: nil, reason: reason) }
        guard let architectureText = file.metadata["architecture"] else {
            throw malformed("no 'architecture' in the metadata: not a Glassbox model file")
        }
        let version = file.metadata["format_version"] ?? "1"
        guard version == "1" || version == formatVersion else {
            throw malformed("format_version '\(version)' is not one this Glassbox reads (1 or \(formatVersion)); it was written by a newer version")
        }
        for name in file.tensors.keys.sorted() {
            let values = file.tensors[name]!.values
            if let bad = NonFiniteSearch.firstIndex(in: values) {
                throw malformed("tensor '\(name)' holds \(values[bad]) at element \(bad); a model's parameters and optimizer state must be finite")
            }
        }
        let decoder = JSONDecoder()
        let architecture: ArchitectureRecord
        do { architecture = try decoder.decode(ArchitectureRecord.self, from: Data(architectureText.utf8)) } catch {
            throw malformed("metadata 'architecture' does not parse: \(error)")
        }
        var model: Sequential
        do {
            let layers = try architecture.layers.map { try $0.makeLayer() }
            let names = architecture.names ?? defaultNames(layers)
            guard names.count == layers.count, (architecture.inputs?.count ?? layers.count) == layers.count else {
                throw GlassboxError.invalidArgument(operation: "architecture",
                    reason: "\(layers.count) layers, \(names.count) names and \(architecture.inputs?.count ?? layers.count) input lists")
            }
            var index: [String: Int] = [inputName: -1]
            var inputs: [[Int]] = []
            for (position, name) in names.enumerated() {
                inputs.append(try (architecture.inputs?[position] ?? [position == 0 ? inputName : names[position - 1]]).map { source in
                    guard let found = index[source] else {
                        throw GlassboxError.invalidArgument(operation: "layer '\(name)'", reason: "input '\(source)' is not the input or an earlier layer")
                    }
                    return found
                })
                guard index[name] == nil else { throw GlassboxError.invalidArgument(operation: "architecture", reason: "layer name '\(name)' is used twice") }
                index[name] = position
            }
            model = try Sequential(inputShape: architecture.inputShape, seed: 0, layers: layers, names: names, inputs: inputs, initialize: false)
        } catch {
            throw malformed("architecture: \(error)")
        }
        func tensorName(_ layer: Int, _ index: Int) -> String {
            version == "1" ? "layers.\(layer).\(["kernel", "bias"][min(index, 1)])" : model.parameterName(layer: layer, index: index)
        }
        if version == "1", let layer = model.parameterShapes.firstIndex(where: { $0.count > 2 }) {
            throw malformed("layer \(layer) (\(model.layers[layer].typeName)) cannot be stored in format_version 1")
        }
        var values = model.parameterShapes.map { $0.map { _ in [Float]() } }
        for (layer, shapes) in model.parameterShapes.enumerated() {
            for (index, shape) in shapes.enumerated() {
                let name = tensorName(layer, index)
                guard let entry = file.tensors[name] else { throw malformed("missing tensor '\(name)' of shape \(shape)") }
                guard entry.shape == shape.dimensions else {
                    throw malformed("tensor '\(name)' has shape \(entry.shape), the architecture needs \(shape)")
                }
                values[layer][index] = entry.values
            }
        }
        try model.setParameters(values)
        if let text = file.metadata["class_names"] {
            do { model.classNames = try decoder.decode([String].self, from: Data(text.utf8)) } catch {
                throw malformed("metadata 'class_names' is not a JSON list of strings")
            }

        }
        if let text = file.metadata["tabular"] {
            do {
                let schema = try decoder.decode(TabularSchema.self, from: Data(text.utf8))
                try schema.check(inputShape: model.inputShape)
                model.tabular = schema
            } catch {
                throw malformed("metadata 'tabular': \(error)")
            }
        }
        if let text = file.metadata["training"] {
            let record: TrainingRecord
            do { record = try decoder.decode(TrainingRecord.self, from: Data(text.utf8)) } catch {
                throw malformed("metadata 'training' does not parse: \(error)")
            }
            var state = try record.state(path: path)
            if record.step > 0 {
                state.slots = try model.parameterShapes.enumerated().map { layer, shapes in
                    try shapes.enumerated().map { index, shape in
                        guard model.layers[layer].isTrainable(parameter: index) else { return [] }
                        return try (0..<state.optimizer.slotCount).map { slot in
                            let name = "optimizer.\(tensorName(layer, index)).\(slotNames[slot])"
                            guard let entry = file.tensors[name], entry.shape == shape.dimensions else {
                                throw malformed("missing or mis-shaped optimizer tensor '\(name)' (needs \(shape))")
                            }
                            return entry.values
                        }
                    }
                }
            }
            model.training = state
        }
        return model
    }
}

/// The `architecture` metadata.
struct ArchitectureRecord: Codable {
    var inputShape: [Int]
    var layers: [LayerConfiguration]
    /// Each layer's node name (format 2; format 1 derives Keras-style names).
    var names: [String]?
    /// Each layer's input names (format 2; format 1 is a chain).
    var inputs: [[String]]?
    enum CodingKeys: String, CodingKey { case inputShape = "input_shape", layers, names, inputs }
}

/// The `training` metadata.
struct TrainingRecord: Codable {
    var optimizer: String
    var learningRate: Float
    var beta1: Float?
    var beta2: Float?
    var epsilon: Float?
    var loss: String
    var fromLogits: Bool
    var step: Int
    var epochsCompleted: Int
    var seed: String   // a UInt64 in decimal: JSON numbers lose precision past 2^53
    var batchSize: Int?

    enum CodingKeys: String, CodingKey {
        case optimizer, learningRate = "learning_rate", beta1 = "beta_1", beta2 = "beta_2", epsilon, loss
        case fromLogits = "from_logits", step, epochsCompleted = "epochs_completed", seed, batchSize = "batch_size"
    }

    init(_ state: TrainingState) {
        switch state.optimizer {
        case .adam(let h):
            optimizer = "adam"; learningRate = h.learningRate; beta1 = h.beta1; beta2 = h.beta2; epsilon = h.epsilon
        case .sgd(let rate):
            optimizer = "sgd"; learningRate = rate
        }
        switch state.loss {
        case .sparseCategoricalCrossentropy(let logits): loss = "sparse_categorical_crossentropy"; fromLogits = logits
        }
        step = state.step
        epochsCompleted = state.epochsCompleted
        seed = String(state.seed)
        batchSize = state.batchSize
    }

    func state(path: String) throws -> TrainingState {
        func malformed(_ reason: String) -> GlassboxError { .malformedFile(path: path, offset: nil, reason: "metadata 'training': \(reason)") }
        let optimizerValue: Optimizer
        switch optimizer {
        case "adam":
            optimizerValue = .adam(AdamHyperparameters(learningRate: learningRate, beta1: beta1 ?? 0.9, beta2: beta2 ?? 0.999, epsilon: epsilon ?? 1e-7))
        case "sgd":
            optimizerValue = .sgd(learningRate: learningRate)
        default:
            throw malformed("unknown optimizer '\(optimizer)'")
        }
        guard loss == "sparse_categorical_crossentropy" else { throw malformed("unknown loss '\(loss)'") }
        guard let seedValue = UInt64(seed) else { throw malformed("seed '\(seed)' is not an unsigned integer") }
        guard step >= 0 else { throw malformed("step \(step) is negative") }
        guard epochsCompleted >= 0 else { throw malformed("epochs_completed \(epochsCompleted) is negative") }
        var state = TrainingState(optimizer: optimizerValue, loss: .sparseCategoricalCrossentropy(fromLogits: fromLogits), seed: seedValue)
        state.step = step
        state.epochsCompleted = epochsCompleted
        state.batchSize = batchSize
        return state
    }
}
