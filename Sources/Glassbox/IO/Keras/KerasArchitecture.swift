import Foundation

/// Reads the architecture of a Keras model from Keras's own model JSON (`model.to_json()` of
/// Keras 3): a `Sequential`, or a `Functional` model: a graph from one input to one output, with
/// branches joined by `Add` and `Concatenate`. Weights are not in this file.
///
/// Layers read: `InputLayer` (`batch_shape`), `Conv2D`, `MaxPooling2D`, `AveragePooling2D`, `GlobalAveragePooling2D`,
/// `Flatten`, `Reshape`, `Dense` (on the last axis), `Dropout`, `Activation`, `ReLU`, `Softmax`,
/// `BatchNormalization`, `Add`, `Concatenate`, and Glassbox's `ReduceSum`/`ReduceMean`
/// (`{"axis": k}`), which stand in for a `Lambda` of `tf.reduce_sum`/`tf.reduce_mean`. Anything
/// else, a `Lambda` (Python code that cannot run here), an option Glassbox does not implement
/// (dilation, groups, no bias, `channels_first`), a shared layer or several inputs or outputs, is
/// refused with the layer's name, its class and the option.
public enum KerasArchitecture {
    /// The input shape (one sample) and the nodes of the model in `url`, each after its inputs.
    /// - Throws: ``GlassboxError/fileAccess(path:reason:)`` when the file cannot be read;
    ///   ``GlassboxError/malformedFile(path:offset:reason:)`` naming the layer and option otherwise.
    public static func load(from url: URL) throws -> (inputShape: [Int], nodes: [Sequential.Node]) {
        try parse(try FileBytes.read(url), path: url.path)
    }

    /// A model built from the file, initialised as Keras initialises it (Glorot-uniform kernels,
    /// zero biases, unit batch-normalisation scales) from `seed`.
    public static func model(from url: URL, seed: UInt64) throws -> Sequential {
        let (inputShape, nodes) = try load(from: url)
        do {
            return try Sequential(inputShape: inputShape, seed: seed, nodes: nodes)
        } catch {
            throw GlassboxError.malformedFile(path: url.path, offset: nil, reason: "\(error)")
        }
    }

    /// Parses the JSON text; `path` only names the file in errors.
    public static func parse(_ data: Data, path: String) throws -> (inputShape: [Int], nodes: [Sequential.Node]) {
        func malformed(_ reason: String) -> GlassboxError { .malformedFile(path: path, offset: nil, reason: reason) }
        guard let root = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw malformed("not a JSON object (expected Keras's model.to_json())")
        }
        guard let className = root["class_name"] as? String, let config = root["config"] as? [String: Any],
              let entries = config["layers"] as? [[String: Any]] else {
            throw malformed("no 'class_name' and 'config.layers': not a Keras model JSON")
        }
        // Each entry with the names of the layers feeding it (nil: the model's input layer).
        let ordered: [(entry: [String: Any], sources: [String]?)]
        switch className {
        case "Sequential":
            var previous: String?
            ordered = try entries.map { entry in
                let name = try layerName(entry, malformed: malformed)
                defer { previous = name }
                if entry["class_name"] as? String == "InputLayer" { return (entry, nil) }
                return (entry, [previous ?? Sequential.inputName])
            }
        case "Functional", "Model": ordered = try graph(entries, config: config, malformed: malformed)
        default: throw malformed("model class '\(className)' is not Sequential or Functional")
        }
        var inputShape: [Int]?
        var inputLayerName = Sequential.inputName
        var nodes: [Sequential.Node] = []
        for (entry, sources) in ordered {
            let layerClass = entry["class_name"] as? String ?? "?"
            let settings = entry["config"] as? [String: Any] ?? [:]
            let name = try layerName(entry, malformed: malformed)
            if layerClass == "InputLayer" {
                let shape = (settings["batch_shape"] ?? settings["batch_input_shape"]) as? [Any]
                let dimensions = (shape ?? []).dropFirst().compactMap { $0 as? Int }
                guard let shape, shape.count >= 2, dimensions.count == shape.count - 1, dimensions.allSatisfy({ $0 >= 1 }) else {
                    throw malformed("layer '\(name)' (InputLayer): batch_shape must be [null, d1, d2, ...] with every d at least 1")
                }
                inputShape = dimensions
                inputLayerName = name
                continue
            }
            guard name != Sequential.inputName || inputLayerName == name else {
                throw malformed("layer '\(name)' (\(layerClass)): the name '\(Sequential.inputName)' is kept for the model's input")
            }
            do {
                let inputs = (sources ?? []).map { $0 == inputLayerName ? Sequential.inputName : $0 }
                nodes.append(Sequential.Node(name, try layer(layerClass, settings), from: inputs))
            } catch let error as GlassboxError {
                if case let .invalidArgument(_, reason) = error { throw malformed("layer '\(name)' (\(layerClass)): \(reason)") }
                throw malformed("layer '\(name)' (\(layerClass)): \(error)")
            }
        }
        if inputShape == nil, let build = config["build_input_shape"] as? [Any], build.count >= 2 {
            inputShape = build.dropFirst().compactMap { $0 as? Int }
        }
        guard let inputShape, !inputShape.isEmpty else { throw malformed("no InputLayer with a batch_shape: the input shape is unknown") }
        guard !nodes.isEmpty else { throw malformed("the model has no layers besides its input") }
        return (inputShape, nodes)
    }

    static func layerName(_ entry: [String: Any], malformed: (String) -> GlassboxError) throws -> String {
        guard let name = entry["name"] as? String ?? (entry["config"] as? [String: Any])?["name"] as? String, !name.isEmpty else {
            throw malformed("a layer (\(entry["class_name"] as? String ?? "?")) has no name")
        }
        return name
    }

    /// The layers of a Functional model ordered so that each comes after the layers feeding it
    /// (the file's order where it allows), keeping only what leads from the input to the output.
    static func graph(_ entries: [[String: Any]], config: [String: Any],
                      malformed: (String) -> GlassboxError) throws -> [(entry: [String: Any], sources: [String]?)] {
        var byName: [String: [String: Any]] = [:]
        var sources: [String: [String]] = [:]
        var order: [String] = []
        for entry in entries {
            let name = try layerName(entry, malformed: malformed)
            guard byName[name] == nil else { throw malformed("two layers are named '\(name)'") }
            byName[name] = entry
            order.append(name)
            let nodes = entry["inbound_nodes"] as? [[String: Any]] ?? []
            guard nodes.count <= 1 else {
                throw malformed("layer '\(name)' (\(entry["class_name"] as? String ?? "?")) is called \(nodes.count) times (shared layers are not supported)")
            }
            sources[name] = (nodes.first?["args"] as? [Any] ?? []).flatMap(historyNames)
        }
        func firstName(_ value: Any?) -> String? {
            if let list = value as? [Any], let name = list.first as? String { return name }
            if let list = value as? [Any], list.count == 1 { return firstName(list.first) }
            return nil
        }
        let inputNames = (config["input_layers"] as? [Any]).map { list in list.first is String ? [firstName(list)].compactMap { $0 } : list.compactMap(firstName) } ?? []
        let outputNames = (config["output_layers"] as? [Any]).map { list in list.first is String ? [firstName(list)].compactMap { $0 } : list.compactMap(firstName) } ?? []
        guard inputNames.count == 1, outputNames.count == 1, let input = inputNames.first, let output = outputNames.first else {
            throw malformed("models with \(inputNames.count) inputs and \(outputNames.count) outputs are not supported (one of each)")
        }
        guard byName[input]?["class_name"] as? String == "InputLayer" else { throw malformed("input layer '\(input)' is missing or not an InputLayer") }
        // What the output depends on, walking back from it.
        var needed = Set<String>(), stack = [output]
        while let name = stack.popLast() {
            guard let entry = byName[name] else { throw malformed("layer '\(name)' is named as an input but not defined") }
            guard needed.insert(name).inserted else { continue }
            let from = sources[name] ?? []
            if name != input && from.isEmpty {
                throw malformed("layer '\(name)' (\(entry["class_name"] as? String ?? "?")) has no inputs and is not the model's input")
            }
            stack += from
        }
        // Kahn's algorithm in file order, over what the output depends on.
        let wanted = order.filter(needed.contains)
        var placed = Set<String>(), result: [(entry: [String: Any], sources: [String]?)] = []
        while result.count < wanted.count {
            guard let next = wanted.first(where: { !placed.contains($0) && (sources[$0] ?? []).allSatisfy(placed.contains) }) else {
                let stuck = wanted.filter { !placed.contains($0) }.map { "'\($0)'" }
                throw malformed("layers \(stuck.joined(separator: ", ")) form a cycle: each waits for another's output")
            }
            placed.insert(next)
            result.append((byName[next]!, next == input ? nil : sources[next]))
        }
        guard needed.contains(input) else { throw malformed("the output '\(output)' does not depend on the input '\(input)'") }
        if let unused = order.first(where: { !needed.contains($0) }) {
            throw malformed("layer '\(unused)' (\(byName[unused]!["class_name"] as? String ?? "?")) does not lead to the output '\(output)' (several outputs are not supported)")
        }
        return result
    }

    /// The layer names in `keras_history` entries of a node's arguments.
    static func historyNames(_ argument: Any) -> [String] {
        if let tensor = argument as? [String: Any], let config = tensor["config"] as? [String: Any],
           let history = config["keras_history"] as? [Any], let name = history.first as? String {
            return [name]
        }
        if let list = argument as? [Any] { return list.flatMap(historyNames) }
        return []
    }

    /// One Glassbox layer from a Keras layer class and config, read by its type (``LayerTypes``).
    static func layer(_ className: String, _ config: [String: Any]) throws -> any Layer {
        let c = KerasLayerConfig(className: className, values: config)
        if className == "Lambda" {
            throw c.refuse("a Lambda holds Python code, which cannot run here; replace a tf.reduce_sum/tf.reduce_mean over one axis "
                + "by a layer of class \"ReduceSum\"/\"ReduceMean\" with config {\"axis\": k}, or export the model to ONNX "
                + "(model.export(\"model.onnx\", format=\"onnx\") turns the Lambda into operators) and import that")
        }
        guard let layerType = LayerTypes.type(kerasClass: className) else {
            throw c.refuse("layer class \(className) is not supported (supported: \(LayerTypes.kerasClassList))")
        }
        return try layerType.make(keras: c)
    }
}
