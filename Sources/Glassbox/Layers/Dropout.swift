import Foundation

/// Randomly zeroes a fraction `rate` of its inputs while training and scales the rest by
/// `1 / (1 - rate)`, as Keras's `Dropout` (Srivastava et al. 2014); the identity otherwise.
public struct Dropout: Layer {
    public let rate: Float
    public var typeName: String { "Dropout" }

    /// - Throws: ``GlassboxError/invalidArgument(operation:reason:)`` unless `0 <= rate < 1`.
    public init(rate: Float) throws {
        guard rate >= 0, rate < 1 else { throw GlassboxError.invalidArgument(operation: "Dropout", reason: "rate \(rate) must be in [0, 1)") }
        self.rate = rate
    }

    public func outputShape(for inputShape: [Int]) throws -> [Int] { inputShape }

    public var configuration: LayerConfiguration {
        var c = LayerConfiguration(type: typeName)
        c.rate = rate
        return c
    }

    public func makeRunner(backend: any Backend, inputShape: [Int], batchSize: Int, isOutputLayer: Bool) throws -> any LayerRunner {
        Runner(backend: backend, rate: rate, shape: try Shape([batchSize] + inputShape))
    }

    final class Runner: LayerRunner {
        let backend: any Backend
        let rate: Float
        let shape: Shape
        private var output: Tensor?
        private var gradInput: Tensor?
        private var trainedLast = false

        init(backend: any Backend, rate: Float, shape: Shape) { self.backend = backend; self.rate = rate; self.shape = shape }

        func forward(_ input: Tensor, parameters: [Tensor], training: Bool, seed: UInt32) throws -> Tensor {
            trainedLast = training
            guard training, rate > 0 else { return input }
            if output == nil { output = try backend.makeTensor(shape: shape) }
            try backend.dropout(input, into: output!, rate: rate, seed: seed)
            return output!
        }

        func backward(input: Tensor, output: Tensor, gradOutput: Tensor, parameters: [Tensor],
                      parameterGradients: [Tensor], needInputGradient: Bool, seed: UInt32) throws -> Tensor? {
            guard needInputGradient else { return nil }
            guard rate > 0, trainedLast else { return gradOutput }   // the identity at inference
            if gradInput == nil { gradInput = try backend.makeTensor(shape: shape) }
            try backend.dropout(gradOutput, into: gradInput!, rate: rate, seed: seed)   // the same mask
            return gradInput
        }
    }
}

extension Dropout: LayerType {
    public static var configurationTypes: [String] { ["Dropout"] }
    public static var kerasClassNames: [String] { ["Dropout"] }
    public var defaultNameStem: String { "dropout" }

    public static func make(_ c: LayerConfiguration) throws -> any Layer { try Dropout(rate: c.need(c.rate, "rate")) }

    public static func make(keras c: KerasLayerConfig) throws -> any Layer {
        guard let rate = (c["rate"] as? NSNumber)?.floatValue else { throw c.refuse("'rate' is missing") }
        return try Dropout(rate: rate)
    }
}
