/// One layer of a ``Sequential`` model: its shapes, its parameters and how it runs.
///
/// A layer value is a description (filters, kernel size, activation...). Running it on a backend
/// goes through a ``LayerRunner`` that owns the layer's activation buffers for one batch size.
/// Shapes here are per sample (no batch dimension), e.g. `[28, 28, 1]`.
public protocol Layer: Sendable {
    /// The Keras class name, e.g. `Conv2D`.
    var typeName: String { get }
    /// The shape of one sample's output for one sample's input.
    /// - Throws: ``GlassboxError`` naming the input shape when the layer cannot take it.
    func outputShape(for inputShape: [Int]) throws -> [Int]
    /// The shapes of the layer's parameters in Keras's order and layout (`kernel`, then `bias`),
    /// or none.
    func parameterShapes(for inputShape: [Int]) throws -> [Shape]
    /// Keras's initial values: Glorot-uniform kernels, zero biases, drawn from `generator`.
    func initialParameters(for inputShape: [Int], generator: inout SeededGenerator) throws -> [[Float]]
    /// The name of each parameter tensor, Keras's (`kernel`, `bias`; `gamma`, `beta`,
    /// `moving_mean`, `moving_variance`): a model file stores `<node>.<name>`.
    var parameterNames: [String] { get }
    /// Whether the optimizer trains parameter `index` (batch normalisation's moving statistics
    /// change only in training's forward pass, as Keras's non-trainable weights).
    func isTrainable(parameter index: Int) -> Bool
    /// The layer's settings, for the model file.
    var configuration: LayerConfiguration { get }
    /// A runner for batches of `batchSize` samples of `inputShape` on `backend`.
    /// - Parameters:
    ///   - backend: where the runner's buffers live and its ops run.
    ///   - inputShape: one sample's shape.
    ///   - batchSize: samples per batch.
    ///   - isOutputLayer: true for the model's last layer, whose softmax (if any) the model
    ///     applies itself, fused with the loss when training.
    func makeRunner(backend: any Backend, inputShape: [Int], batchSize: Int, isOutputLayer: Bool) throws -> any LayerRunner
}

extension Layer {
    public func parameterShapes(for inputShape: [Int]) throws -> [Shape] { [] }
    public func initialParameters(for inputShape: [Int], generator: inout SeededGenerator) throws -> [[Float]] { [] }
    public var parameterNames: [String] { ["kernel", "bias"] }
    public func isTrainable(parameter index: Int) -> Bool { true }
}

/// A layer that takes several inputs of the graph (Keras's merge layers: `Add`, `Concatenate`).
/// Its single-input requirements of ``Layer`` throw; the graph calls these instead.
public protocol MergeLayer: Layer {
    /// The shape of one sample's output for the shapes of its inputs, in order.
    func outputShape(forInputs inputShapes: [[Int]]) throws -> [Int]
    /// A runner for batches of `batchSize` samples of `inputShapes` on `backend`.
    func makeMergeRunner(backend: any Backend, inputShapes: [[Int]], batchSize: Int) throws -> any MergeRunner
}

extension MergeLayer {
    public func outputShape(for inputShape: [Int]) throws -> [Int] {
        throw GlassboxError.invalidArgument(operation: typeName, reason: "takes at least two inputs, got one")
    }

    public func makeRunner(backend: any Backend, inputShape: [Int], batchSize: Int, isOutputLayer: Bool) throws -> any LayerRunner {
        throw GlassboxError.invalidArgument(operation: typeName, reason: "takes at least two inputs, got one")
    }
}

/// Runs a ``MergeLayer`` over batches of a fixed size, owning its output and gradient buffers.
public protocol MergeRunner: AnyObject {
    /// The layer's output for its inputs (each `[batch] + inputShapes[i]`).
    func forward(_ inputs: [Tensor]) throws -> Tensor
    /// The gradient with respect to each input, given the gradient of the output; the caller may
    /// overwrite every returned tensor (none aliases another).
    func backward(gradOutput: Tensor) throws -> [Tensor]
}

/// Runs one layer over batches of a fixed size, owning its output and gradient buffers.
public protocol LayerRunner: AnyObject {
    /// Computes the layer's output for `input` (`[batch] + inputShape`). The result may be the
    /// runner's own buffer or a view of `input` (Flatten, Dropout at inference).
    /// - Parameters:
    ///   - input: the batch.
    ///   - parameters: the layer's parameters (none, or kernel and bias).
    ///   - training: dropout is active only when training.
    ///   - seed: varies per step, for dropout masks.
    func forward(_ input: Tensor, parameters: [Tensor], training: Bool, seed: UInt32) throws -> Tensor
    /// Given the gradient of the loss with respect to the output of the last `forward` (which
    /// the runner may overwrite), writes the parameters' gradients and returns the gradient with
    /// respect to `input`, or nil when `needInputGradient` is false (the first layer).
    func backward(input: Tensor, output: Tensor, gradOutput: Tensor, parameters: [Tensor],
                  parameterGradients: [Tensor], needInputGradient: Bool, seed: UInt32) throws -> Tensor?
}

/// A runner with a fast path: it computes the output of the layer after it together with its
/// own, as one op (Conv2D with the max pooling that follows it).
protocol FusingRunner: LayerRunner {
    /// Inference: runs this layer and `next` as one op and returns `next`'s output, or nil when
    /// they do not fuse (then each runs on its own). This layer's own output is not computed.
    func fusedForward(_ input: Tensor, parameters: [Tensor], next: any LayerRunner) throws -> Tensor?
    /// Training: as ``fusedForward(_:parameters:next:)``, also writing this layer's output (the
    /// backward passes read it); returns both outputs, or nil when they do not fuse.
    func fusedTrainingForward(_ input: Tensor, parameters: [Tensor], next: any LayerRunner) throws -> (own: Tensor, next: Tensor)?
}

/// A runner whose layer ends in an element-wise activation, and whose backward pass can start
/// from the gradient of the pre-activation when the layer after it applied the activation's
/// derivative (a max pooling after a relu: ``Backend/maxPool2dReluBackward(input:gradOutput:geometry:into:)``).
protocol ActivationSplitRunner: LayerRunner {
    var activation: Activation { get }
    /// ``LayerRunner/backward(input:output:gradOutput:parameters:parameterGradients:needInputGradient:seed:)``
    /// given the gradient of the pre-activation instead of the output's.
    func backward(input: Tensor, gradPreactivation: Tensor, parameters: [Tensor], parameterGradients: [Tensor],
                  needInputGradient: Bool) throws -> Tensor?
    /// The parameter gradients alone, when no input gradient is wanted, straight from the
    /// gradient of the max pooling `pool` that alone reads the layer's relu outputs
    /// (`activations`): false where the runner cannot, and then the pooling and the layer step
    /// back as usual.
    func parameterGradients(through pool: Pool2DRunner, input: Tensor, activations: Tensor, gradPooled: Tensor,
                            parameterGradients: [Tensor]) throws -> Bool
}

/// Glorot (Xavier) uniform initialisation: `U(-limit, limit)`, `limit = sqrt(6 / (fanIn + fanOut))`
/// (Glorot & Bengio 2010, eq. 16), Keras's default for kernels.
func glorotUniform(count: Int, fanIn: Int, fanOut: Int, generator: inout SeededGenerator) -> [Float] {
    let limit = (6 / Double(fanIn + fanOut)).squareRoot()
    return (0..<count).map { _ in Float(Double.random(in: -limit...limit, using: &generator)) }
}

func requireRank(_ layer: String, _ inputShape: [Int], _ rank: Int, _ meaning: String) throws {
    guard inputShape.count == rank else {
        throw GlassboxError.invalidArgument(operation: layer, reason: "expects input \(meaning), got \(inputShape)")
    }
}
