/// An activation function applied after a layer's linear part, by Keras's names.
public enum Activation: String, Codable, Sendable, CaseIterable {
    case linear, relu, sigmoid, tanh, softmax
    /// `x` for `x > 0`, else `0.2 x`: Keras's `activation="leaky_relu"` (its default slope).
    case leakyRelu = "leaky_relu"

    /// The slope of ``leakyRelu`` for negative inputs, Keras's default for the activation.
    static let leakyReluSlope: Float = 0.2

    /// Applies the activation to `y` in place; `softmax` runs over the last dimension.
    func apply(_ backend: any Backend, _ y: Tensor) throws {
        try apply(backend, y, into: y)
    }

    /// Writes the activation of `z` into `y` (the same shape; may be `z` itself). `linear` leaves
    /// `y` untouched, so it only makes sense in place.
    func apply(_ backend: any Backend, _ z: Tensor, into y: Tensor) throws {
        switch self {
        case .linear: break
        case .relu: try backend.relu(z, into: y)
        case .leakyRelu: try backend.leakyRelu(z, slope: Self.leakyReluSlope, into: y)
        case .sigmoid: try backend.sigmoid(z, into: y)
        case .tanh: try backend.tanh(z, into: y)
        case .softmax: try backend.softmax(try Self.rows(z), into: try Self.rows(y))
        }
    }

    /// Turns the gradient of the activation's output into the gradient of its input, in place,
    /// from the forward output `y`. Every kernel involved reads an element (or, for softmax, a
    /// row) before writing it, so working in place is safe on both backends.
    func backward(_ backend: any Backend, output y: Tensor, gradient: Tensor) throws {
        switch self {
        case .linear: break
        case .relu: try backend.reluBackward(gradOutput: gradient, input: y, into: gradient)   // y > 0 exactly where x > 0
        case .leakyRelu: try backend.leakyReluBackward(gradOutput: gradient, output: y, slope: Self.leakyReluSlope, into: gradient)
        case .sigmoid: try backend.sigmoidBackward(gradOutput: gradient, output: y, into: gradient)
        case .tanh: try backend.tanhBackward(gradOutput: gradient, output: y, into: gradient)
        case .softmax:
            let gradientRows = try Self.rows(gradient)
            try backend.softmaxBackward(probabilities: try Self.rows(y), gradOutput: gradientRows, into: gradientRows)
        }
    }

    /// The tensor seen as `[everything else, last dimension]`.
    static func rows(_ x: Tensor) throws -> Tensor {
        let columns = x.shape.dimensions.last!
        return try x.reshaped(try Shape([x.elementCount / columns, columns]))
    }
}
