/// Flattens each sample to one dimension in NHWC order (Keras's `channels_last` order), without
/// copying.
public struct Flatten: Layer {
    public var typeName: String { "Flatten" }
    public init() {}

    public func outputShape(for inputShape: [Int]) throws -> [Int] { [try Shape(inputShape).elementCount] }

    public var configuration: LayerConfiguration { LayerConfiguration(type: typeName) }

    public func makeRunner(backend: any Backend, inputShape: [Int], batchSize: Int, isOutputLayer: Bool) throws -> any LayerRunner {
        Runner(flatShape: try Shape([batchSize, inputShape.reduce(1, *)]), inputShape: try Shape([batchSize] + inputShape))
    }

    final class Runner: LayerRunner {
        let flatShape: Shape
        let inputShape: Shape
        init(flatShape: Shape, inputShape: Shape) { self.flatShape = flatShape; self.inputShape = inputShape }

        func forward(_ input: Tensor, parameters: [Tensor], training: Bool, seed: UInt32) throws -> Tensor {
            try input.reshaped(flatShape)
        }

        func backward(input: Tensor, output: Tensor, gradOutput: Tensor, parameters: [Tensor],
                      parameterGradients: [Tensor], needInputGradient: Bool, seed: UInt32) throws -> Tensor? {
            needInputGradient ? try gradOutput.reshaped(inputShape) : nil
        }
    }
}

extension Flatten: LayerType {
    public static var configurationTypes: [String] { ["Flatten"] }
    public static var kerasClassNames: [String] { ["Flatten"] }
    public var defaultNameStem: String { "flatten" }
    public static func make(_ c: LayerConfiguration) throws -> any Layer { Flatten() }
    public static func make(keras c: KerasLayerConfig) throws -> any Layer {
        try c.requireChannelsLast()
        return Flatten()
    }
}
