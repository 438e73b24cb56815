import Foundation

/// Reads the architecture of a Keras model from Keras's own model JSON (`model.to_json()` of
/// Keras 3): a `Sequential`, or a `Functional` model whose layers form one chain from its input
/// to its output (each layer fed by the one before). Weights are not in this file.
///
/// Layers read: `InputLayer` (`batch_shape`), `Conv2D`, `MaxPooling2D`, `AveragePooling2D`, `GlobalAveragePooling2D`,
/// `Flatten`, `Reshape`, `Dense` (on the last axis), `Dropout`, `Activation`, `ReLU`, `Softmax`,
/// and Glassbox's `ReduceSum`/`ReduceMean` (`{"axis": k}`), which stand
/// in for a `Lambda` of `tf.reduce_sum`/`tf.reduce_mean`. Anything else, a `Lambda` (Python code
/// that cannot run here), an option Glassbox does not implement (dilation, groups, no bias,
/// `channels_first`, `same` pooling) or a graph with branches, is refused with the layer's name,
/// its class and the option.
public enum KerasArchitecture {
    /// The input shape (one sample) and the layers of the model in `url`.
    /// - Throws: ``GlassboxError/fileAccess(path:reason:)`` when the file cannot be read;
    ///   ``GlassboxError/malformedFile(path:offset:reason:)`` naming the layer and option otherwise.
    public static func load(from url: URL) throws -> (inputShape: [Int], layers: [any Layer]) {
        try parse(try FileBytes.read(url), path: url.path)
    }

    /// A model built from the file, initialised as Keras initialises it (Glorot-uniform kernels,
    /// zero biases) from `seed`.
    public static func model(from url: URL, seed: UInt64) throws -> Sequential {
        let (inputShape, layers) = try load(from: url)
        do {
            return try Sequential(inputShape: inputShape, seed: seed, layers: layers)
        } catch {
            throw GlassboxError.malformedFile(path: url.path, offset: nil, reason: "\(error)")
        }
    }

    /// Parses the JSON text; `path` only names the file in errors.
    public static func parse(_ data: Data, path: String) throws -> (inputShape: [Int], layers: [any Layer]) {
        func malformed(_ reason: String) -> GlassboxError { .malformedFile(path: path, offset: nil, reason: reason) }
        guard let root = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw malformed("not a JSON object (expected Keras's model.to_json())")
        }
        guard let className = root["class_name"] as? String, let config = root["config"] as? [String: Any],
              let entries = config["layers"] as? [[String: Any]] else {
            throw malformed("no 'class_name' and 'config.layers': not a Keras model JSON")
        }
        let ordered: [[String: Any]]
        switch className {
        case "Sequential": ordered = entries
        case "Functional", "Model": ordered = try chain(entries, config: config, malformed: malformed)
        default: throw malformed("model class '\(className)' is not Sequential or Functional")
        }
        var inputShape: [Int]?
        var layers: [any Layer] = []
        for entry in ordered {
            let layerClass = entry["class_name"] as? String ?? "?"
            let settings = entry["config"] as? [String: Any] ?? [:]
            let name = settings["name"] as? String ?? entry["name"] as? String ?? "?"
            if layerClass == "InputLayer" {
                let shape = (settings["batch_shape"] ?? settings["batch_input_shape"]) as? [Any]
                let dimensions = (shape ?? []).dropFirst().compactMap { $0 as? Int }
                guard let shape, shape.count >= 2, dimensions.count == shape.count - 1, dimensions.allSatisfy({ $0 >= 1 }) else {
                    throw malformed("layer '\(name)' (InputLayer): batch_shape must be [null, d1, d2, ...] with every d at least 1")
                }
                inputShape = dimensions
                continue
            }
            do {
                layers.append(try layer(layerClass, settings))
            } catch let error as GlassboxError {
                if case let .invalidArgument(_, reason) = error { throw malformed("layer '\(name)' (\(layerClass)): \(reason)") }
                throw malformed("layer '\(name)' (\(layerClass)): \(error)")
            }
        }
        if inputShape == nil, let build = config["build_input_shape"] as? [Any], build.count >= 2 {
            inputShape = build.dropFirst().compactMap { $0 as? Int }
        }
        guard let inputShape, !inputShape.isEmpty else { throw malformed("no InputLayer with a batch_shape: the input shape is unknown") }
        guard !layers.isEmpty else { throw malformed("the model has no layers besides its input") }
        return (inputShape, layers)
    }

    /// The layers of a Functional model from input to output, refusing anything but one chain.
    static func chain(_ entries: [[String: Any]], config: [String: Any], malformed: (String) -> GlassboxError) throws -> [[String: Any]] {
        var byName: [String: [String: Any]] = [:]
        var sources: [String: [String]] = [:]
        for entry in entries {
            guard let name = entry["name"] as? String ?? (entry["config"] as? [String: Any])?["name"] as? String else {
                throw malformed("a layer has no name")
            }
            byName[name] = entry
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
        // Walk back from the output: every layer must have exactly one source.
        var order: [[String: Any]] = []
        var current = output
        var seen = Set<String>()
        while true {
            guard let entry = byName[current], seen.insert(current).inserted else { throw malformed("layer '\(current)' is missing or in a cycle") }
            order.append(entry)
            if current == input { break }
            let from = sources[current] ?? []
            guard from.count == 1 else {
                throw malformed("layer '\(current)' (\(entry["class_name"] as? String ?? "?")) takes \(from.count) inputs: "
                    + "graphs with branches (Add, Concatenate) are not supported yet; Glassbox reads chains of layers")
            }
            current = from[0]
        }
        let used = Set(order.compactMap { $0["name"] as? String ?? ($0["config"] as? [String: Any])?["name"] as? String })
        if let unused = entries.compactMap({ $0["name"] as? String }).first(where: { !used.contains($0) }) {
            throw malformed("layer '\(unused)' is not on the path from the input to the output (branches are not supported yet)")
        }
        return order.reversed()
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
            try require("padding", ["valid"], default: "valid")
            let size = try pair("pool_size", default: (2, 2))
            return try MaxPool2D(poolSize: size, strides: pair("strides", default: size))
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
            try require("padding", ["valid"], default: "valid")
            let size = try pair("pool_size", default: (2, 2))
            return try AveragePooling2D(poolSize: size, strides: pair("strides", default: size))
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
        case "Softmax":
            if let axis = c["axis"] as? Int, axis != -1 { throw refuse("softmax over axis \(axis) is not supported (the last axis only)") }
            return ActivationLayer(.softmax)
        case "ReduceSum", "ReduceMean":
            guard let axis = c["axis"] as? Int else { throw refuse("'axis' is missing (the axis to reduce, counting the batch as 0)") }
            return try Reduce(className == "ReduceSum" ? .sum : .mean, axis: axis)
        case "Lambda":
            throw refuse("a Lambda holds Python code, which cannot run here; replace a tf.reduce_sum/tf.reduce_mean over one axis "
                + "by a layer of class \"ReduceSum\"/\"ReduceMean\" with config {\"axis\": k}, or export the model to ONNX")
        default:
            throw refuse("layer class \(className) is not supported (supported: Conv2D, MaxPooling2D, AveragePooling2D, GlobalAveragePooling2D, Flatten, "
                + "Reshape, Dense, Dropout, Activation, ReLU, Softmax, ReduceSum, ReduceMean)")
        }
    }
}
