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

    /// One Glassbox layer from a Keras layer class and config.
    static func layer(_ className: String, _ c: [String: Any]) throws -> any Layer {
        func refuse(_ reason: String) -> GlassboxError { .invalidArgument(operation: className, reason: reason) }
        func pair(_ key: String, default value: (Int, Int)? = nil) throws -> (Int, Int) {
            if let number = c[key] as? Int { return (number, number) }
            if let list = c[key] as? [Int], list.count == 2 { return (list[0], list[1]) }
            if let value, c[key] == nil || c[key] is NSNull { return value }
            throw refuse("'\(key)' must be one integer or two, got \(String(describing: c[key] ?? "nothing"))")
        }
        func activation() throws -> Activation {
            let name = c["activation"] as? String ?? "linear"
            guard let value = Activation(rawValue: name) else {
                throw refuse("activation '\(name)' is not supported (\(Activation.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            return value
        }
        func require(_ key: String, _ allowed: [String], default value: String) throws {
            let given = c[key] as? String ?? value
            guard allowed.contains(given) else { throw refuse("option \(key)='\(given)' is not supported (only \(allowed.joined(separator: ", ")))") }
        }
        func poolPadding() throws -> Padding {
            let name = c["padding"] as? String ?? "valid"
            guard let padding = Padding(rawValue: name) else { throw refuse("padding '\(name)' is not valid or same") }
            return padding
        }
        func requireBias() throws {
            if let bias = c["use_bias"] as? Bool, !bias { throw refuse("option use_bias=false is not supported") }
        }
        switch className {
        case "Conv2D":
            try require("data_format", ["channels_last"], default: "channels_last")
            try requireBias()
            guard try pair("dilation_rate", default: (1, 1)) == (1, 1) else { throw refuse("option dilation_rate other than 1 is not supported") }
            guard (c["groups"] as? Int ?? 1) == 1 else { throw refuse("option groups other than 1 is not supported") }
            let paddingName = c["padding"] as? String ?? "valid"
            guard let padding = Padding(rawValue: paddingName) else { throw refuse("padding '\(paddingName)' is not valid or same") }
            guard let filters = c["filters"] as? Int else { throw refuse("'filters' is missing") }
            return try Conv2D(filters: filters, kernelSize: pair("kernel_size"), strides: pair("strides", default: (1, 1)),
                              padding: padding, activation: activation())
        case "MaxPooling2D", "MaxPool2D":
            try require("data_format", ["channels_last"], default: "channels_last")
            let size = try pair("pool_size", default: (2, 2))
            return try MaxPool2D(poolSize: size, strides: pair("strides", default: size), padding: poolPadding())
        case "Flatten":
            try require("data_format", ["channels_last"], default: "channels_last")
            return Flatten()
        case "Dense":
            try requireBias()
            guard let units = c["units"] as? Int else { throw refuse("'units' is missing") }
            return try Dense(units: units, activation: activation())
        case "Dropout":
            guard let rate = (c["rate"] as? NSNumber)?.floatValue else { throw refuse("'rate' is missing") }
            return try Dropout(rate: rate)
        case "AveragePooling2D":
            try require("data_format", ["channels_last"], default: "channels_last")
            let size = try pair("pool_size", default: (2, 2))
            return try AveragePooling2D(poolSize: size, strides: pair("strides", default: size), padding: poolPadding())
        case "GlobalAveragePooling2D":
            try require("data_format", ["channels_last"], default: "channels_last")
            if let keep = c["keepdims"] as? Bool, keep { throw refuse("option keepdims=true is not supported") }
            return GlobalAveragePooling2D()
        case "Reshape":
            guard let target = c["target_shape"] as? [Int] else { throw refuse("'target_shape' is missing") }
            return try Reshape(target)
        case "Activation":
            return ActivationLayer(try activation())
        case "ReLU":
            for key in ["max_value", "threshold", "negative_slope"] where !(c[key] == nil || c[key] is NSNull || (c[key] as? NSNumber)?.doubleValue == 0) {
                throw refuse("option \(key)=\(c[key]!) is not supported (plain ReLU only)")
            }
            return ActivationLayer(.relu)
        case "LeakyReLU":
            let slope = (c["negative_slope"] as? NSNumber)?.floatValue ?? 0.3
            guard slope == Activation.leakyReluSlope else {
                throw refuse("option negative_slope=\(slope) is not supported (only \(Activation.leakyReluSlope), the slope of activation=\"leaky_relu\")")
            }
            return ActivationLayer(.leakyRelu)
        case "Softmax":
            if let axis = c["axis"] as? Int, axis != -1 { throw refuse("softmax over axis \(axis) is not supported (the last axis only)") }
            return ActivationLayer(.softmax)
        case "Add":
            return Add()
        case "Concatenate":
            return try Concatenate(axis: c["axis"] as? Int ?? -1)
        case "BatchNormalization":
            for key in ["center", "scale"] where (c[key] as? Bool) == false { throw refuse("option \(key)=false is not supported") }
            if let axis = c["axis"] as? [Any], axis.count != 1 { throw refuse("normalising over several axes \(axis) is not supported (one axis, the last)") }
            if c["renorm"] as? Bool == true { throw refuse("option renorm=true is not supported") }
            let axis = c["axis"] as? Int ?? (c["axis"] as? [Int])?.first ?? -1
            return try BatchNormalization(axis: axis, momentum: (c["momentum"] as? NSNumber)?.floatValue ?? 0.99,
                                          epsilon: (c["epsilon"] as? NSNumber)?.floatValue ?? 0.001)
        case "ReduceSum", "ReduceMean":
            guard let axis = c["axis"] as? Int else { throw refuse("'axis' is missing (the axis to reduce, counting the batch as 0)") }
            return try Reduce(className == "ReduceSum" ? .sum : .mean, axis: axis)
        case "Lambda":
            throw refuse("a Lambda holds Python code, which cannot run here; replace a tf.reduce_sum/tf.reduce_mean over one axis "
                + "by a layer of class \"ReduceSum\"/\"ReduceMean\" with config {\"axis\": k}, or export the model to ONNX")
        default:
            throw refuse("layer class \(className) is not supported (supported: Conv2D, MaxPooling2D, AveragePooling2D, GlobalAveragePooling2D, Flatten, "
                + "Reshape, Dense, Dropout, Activation, ReLU, LeakyReLU, Softmax, BatchNormalization, Add, Concatenate, ReduceSum, ReduceMean)")
        }
    }
}
