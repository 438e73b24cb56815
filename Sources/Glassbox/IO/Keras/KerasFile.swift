import Foundation

/// Reads a Keras 3 model file (`model.save("model.keras")`): a zip archive of `config.json` (the
/// architecture, read by ``KerasArchitecture``), `metadata.json` and `model.weights.h5` (the
/// weights, read by Glassbox's own bounds-checked HDF5 reader).
///
/// Keras stores each layer's weights in the HDF5 group `layers/<group>/vars/<i>`, where `<group>`
/// is the layer's class in snake case (`conv2d`, `batch_normalization`), numbered `_1`, `_2`, ...
/// in the order of the model's layers (a Sequential model's input layer not counted), and `<i>`
/// follows the layer's weights (`kernel`, `bias`; `gamma`, `beta`, `moving_mean`,
/// `moving_variance`), in the layouts Glassbox uses. When the group carries the layer's name
/// (Keras 3 writes it as the `name` attribute of `vars`), the name must match.
///
/// A `Lambda` layer is refused with the advice to export the model to ONNX instead.
public enum KerasFile {
    /// The model in the `.keras` file at `url`.
    /// - Throws: ``GlassboxError/fileAccess(path:reason:)`` when the file cannot be read;
    ///   ``GlassboxError/malformedFile(path:offset:reason:)`` naming the entry, layer or dataset
    ///   that is missing, damaged or not supported.
    public static func model(from url: URL) throws -> Sequential {
        try model(try FileBytes.read(url), path: url.path)
    }

    /// The model in the bytes of a `.keras` file; `path` only names it in errors.
    public static func model(_ data: Data, path: String) throws -> Sequential {
        let archive = try ZipArchive(data, path: path)
        func entry(_ name: String) throws -> Data {
            guard let contents = try archive.contents(of: name) else {
                throw GlassboxError.malformedFile(path: path, offset: nil,
                    reason: "no \(name) in the archive: not a Keras 3 .keras file (entries: \(archive.entries.prefix(8).map(\.name).joined(separator: ", ")))")
            }
            return contents
        }
        return try model(config: try entry("config.json"), weights: try entry("model.weights.h5"), path: path)
    }

    /// The model of a `.keras` file's `config.json` and `model.weights.h5` contents.
    static func model(config: Data, weights weightsData: Data, path: String) throws -> Sequential {
        let configPath = "\(path) (config.json)"
        let (inputShape, nodes) = try KerasArchitecture.parse(config, path: configPath)
        let groups = try weightGroups(config, path: configPath)
        let weightsPath = "\(path) (model.weights.h5)"
        let weights = try HDF5File(weightsData, path: weightsPath)

        var model: Sequential
        do {
            model = try Sequential(inputShape: inputShape, seed: 0, nodes: nodes)
        } catch {
            throw GlassboxError.malformedFile(path: configPath, offset: nil, reason: "\(error)")
        }
        try model.setParameters(try model.layers.indices.map { index in
            let name = model.layerNames[index], shapes = model.parameterShapes[index]
            guard !shapes.isEmpty else { return [] }
            guard let group = groups[name] else {
                throw GlassboxError.malformedFile(path: configPath, offset: nil, reason: "layer '\(name)' is not among the model's layers")
            }
            let vars = "layers/\(group)/vars"
            guard try weights.contains(vars) else {
                throw GlassboxError.malformedFile(path: weightsPath, offset: nil, reason: "no group '\(vars)' for layer '\(name)'")
            }
            if let stored = weights.stringAttribute("name", of: vars), stored != name {
                throw GlassboxError.malformedFile(path: weightsPath, offset: nil,
                    reason: "group '\(vars)' holds the weights of layer '\(stored)', but config.json puts layer '\(name)' there")
            }
            guard try !weights.contains("\(vars)/\(shapes.count)") else {
                throw GlassboxError.malformedFile(path: weightsPath, offset: nil,
                    reason: "layer '\(name)' has more than the \(shapes.count) weights Glassbox reads (\(model.layers[index].parameterNames.joined(separator: ", ")))")
            }
            return try shapes.indices.map { try weights.floats("\(vars)/\($0)", expected: shapes[$0].dimensions) }
        })
        return model
    }

    /// Each layer's HDF5 group name, as Keras numbers them: `to_snake_case(class)`, then `_1`,
    /// `_2`, ... for later layers of the same class, in the order of `config.layers` (a
    /// Sequential model's input layer is not one of its layers).
    static func weightGroups(_ config: Data, path: String) throws -> [String: String] {
        guard let root = (try? JSONSerialization.jsonObject(with: config)) as? [String: Any],
              let entries = (root["config"] as? [String: Any])?["layers"] as? [[String: Any]] else {
            throw GlassboxError.malformedFile(path: path, offset: nil, reason: "no 'config.layers': not a Keras model configuration")
        }
        let sequential = root["class_name"] as? String == "Sequential"
        var used: [String: Int] = [:], groups: [String: String] = [:]
        for entry in entries {
            let className = entry["class_name"] as? String ?? ""
            if sequential && className == "InputLayer" { continue }
            var group = snakeCase(className)
            if let count = used[group] {
                used[group] = count + 1
                group += "_\(count + 1)"
            } else {
                used[group] = 0
            }
            if let name = (entry["config"] as? [String: Any])?["name"] as? String ?? entry["name"] as? String {
                groups[name] = group
            }
        }
        return groups
    }

    /// Keras's `to_snake_case`: `Conv2D` → `conv2d`, `MaxPooling2D` → `max_pooling2d`,
    /// `BatchNormalization` → `batch_normalization`.
    static func snakeCase(_ className: String) -> String {
        var name = className.filter { $0.isLetter || $0.isNumber || $0 == "_" }
        for (pattern, template) in [("(.)([A-Z][a-z]+)", "$1_$2"), ("([a-z])([A-Z])", "$1_$2")] {
            let expression = try! NSRegularExpression(pattern: pattern)
            name = expression.stringByReplacingMatches(in: name, range: NSRange(name.startIndex..., in: name), withTemplate: template)
        }
        return name.lowercased()
    }
}
