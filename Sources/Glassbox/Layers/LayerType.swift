import Foundation

/// What Glassbox knows about a layer type beyond one layer value: its names, how to read it from
/// a model file's ``LayerConfiguration``, and how to read it from Keras's model JSON. Each layer
/// type conforms in its own file, and ``LayerTypes/all`` lists the types: adding a layer is its
/// file, its kernels and one entry there.
public protocol LayerType: Layer {
    /// The `type` values of a model file this type reads (its ``Layer/typeName`` first).
    static var configurationTypes: [String] { get }
    /// The Keras class names this type reads from a model JSON (none: not a Keras layer).
    static var kerasClassNames: [String] { get }
    /// Keras's default name stem for the layer (`conv2d`, `max_pooling2d`).
    var defaultNameStem: String { get }
    /// The layer a model file's configuration describes.
    /// - Throws: ``GlassboxError/invalidArgument(operation:reason:)`` for a missing or invalid field.
    static func make(_ configuration: LayerConfiguration) throws -> any Layer
    /// The layer a Keras layer config describes (`className` is one of ``kerasClassNames``).
    /// - Throws: ``GlassboxError/invalidArgument(operation:reason:)`` naming an option Glassbox
    ///   does not implement.
    static func make(keras config: KerasLayerConfig) throws -> any Layer
}

extension LayerType {
    public static var kerasClassNames: [String] { [] }
    public static func make(keras config: KerasLayerConfig) throws -> any Layer {
        throw config.refuse("is not a Keras layer class")
    }
}

/// Every layer type Glassbox reads.
public enum LayerTypes {
    public static let all: [any LayerType.Type] = [
        Conv2D.self, MaxPool2D.self, AveragePooling2D.self, GlobalAveragePooling2D.self, Flatten.self, Reshape.self,
        Dense.self, Dropout.self, BatchNormalization.self, ActivationLayer.self, Reduce.self, Add.self, Concatenate.self,
    ]

    /// The type that reads a model file's `type` value.
    static func type(configuration name: String) -> (any LayerType.Type)? {
        all.first { $0.configurationTypes.contains(name) }
    }

    /// The type that reads a Keras class.
    static func type(kerasClass name: String) -> (any LayerType.Type)? {
        all.first { $0.kerasClassNames.contains(name) }
    }

    /// Keras's default name stem for a layer.
    static func defaultNameStem(_ layer: any Layer) -> String {
        (layer as? any LayerType)?.defaultNameStem ?? layer.typeName.lowercased()
    }

    /// Every Keras class read, for error messages.
    static var kerasClassList: String { all.flatMap { $0.kerasClassNames }.joined(separator: ", ") }
}

/// One Keras layer's `config` object, with readers that refuse what Glassbox does not implement,
/// naming the option (the errors become "layer 'name' (Class): ...").
public struct KerasLayerConfig {
    /// The Keras class name.
    public let className: String
    /// The `config` object.
    public let values: [String: Any]

    public init(className: String, values: [String: Any]) { self.className = className; self.values = values }

    public subscript(key: String) -> Any? { values[key] is NSNull ? nil : values[key] }

    /// An error naming what is refused.
    public func refuse(_ reason: String) -> GlassboxError { .invalidArgument(operation: className, reason: reason) }

    /// One integer or a pair (Keras writes both), or `fallback` when absent or null.
    public func pair(_ key: String, default fallback: (Int, Int)? = nil) throws -> (Int, Int) {
        if let number = self[key] as? Int { return (number, number) }
        if let list = self[key] as? [Int], list.count == 2 { return (list[0], list[1]) }
        if let fallback, self[key] == nil { return fallback }
        throw refuse("'\(key)' must be one integer or two, got \(String(describing: values[key] ?? "nothing"))")
    }

    /// An integer field that must be there.
    public func integer(_ key: String) throws -> Int {
        guard let value = self[key] as? Int else { throw refuse("'\(key)' is missing") }
        return value
    }

    /// A number field, or `fallback`.
    public func float(_ key: String, default fallback: Float) -> Float {
        (self[key] as? NSNumber)?.floatValue ?? fallback
    }

    /// The `activation` field (linear when absent).
    public func activation() throws -> Activation {
        let name = self["activation"] as? String ?? "linear"
        guard let value = Activation(rawValue: name) else {
            throw refuse("activation '\(name)' is not supported (\(Activation.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        return value
    }

    /// The `padding` field (valid when absent).
    public func padding() throws -> Padding {
        let name = self["padding"] as? String ?? "valid"
        guard let padding = Padding(rawValue: name) else { throw refuse("padding '\(name)' is not valid or same") }
        return padding
    }

    /// Refuses a string option other than the allowed values.
    public func require(_ key: String, _ allowed: [String], default fallback: String) throws {
        let given = self[key] as? String ?? fallback
        guard allowed.contains(given) else { throw refuse("option \(key)='\(given)' is not supported (only \(allowed.joined(separator: ", ")))") }
    }

    /// Refuses `use_bias=false`.
    public func requireBias() throws {
        if let bias = self["use_bias"] as? Bool, !bias { throw refuse("option use_bias=false is not supported") }
    }

    /// Refuses `data_format='channels_first'`.
    public func requireChannelsLast() throws {
        try require("data_format", ["channels_last"], default: "channels_last")
    }
}

extension LayerConfiguration {
    /// A field that must be there.
    func need<T>(_ value: T?, _ field: String) throws -> T {
        guard let value else { throw GlassboxError.invalidArgument(operation: "layer \(type)", reason: "missing field '\(field)'") }
        return value
    }

    /// A two-value field.
    func pair(_ values: [Int]?, _ field: String) throws -> (Int, Int) {
        let values = try need(values, field)
        guard values.count == 2 else { throw GlassboxError.invalidArgument(operation: "layer \(type)", reason: "'\(field)' needs 2 values, got \(values)") }
        return (values[0], values[1])
    }

    /// The activation (linear when absent).
    func activationValue() throws -> Activation {
        let name = activation ?? "linear"
        guard let value = Activation(rawValue: name) else {
            throw GlassboxError.invalidArgument(operation: "layer \(type)", reason: "unknown activation '\(name)'")
        }
        return value
    }

    /// The padding (valid when absent).
    func paddingValue() throws -> Padding {
        guard let value = Padding(rawValue: padding ?? "valid") else {
            throw GlassboxError.invalidArgument(operation: "layer \(type)", reason: "unknown padding '\(padding ?? "")'")
        }
        return value
    }
}
