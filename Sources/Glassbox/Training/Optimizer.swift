/// How training updates the parameters.
public enum Optimizer: Equatable, Sendable {
    /// Adam (Kingma & Ba 2015) with Keras's defaults unless given.
    case adam(AdamHyperparameters)
    /// Plain stochastic gradient descent.
    case sgd(learningRate: Float)

    /// Adam with Keras's defaults: learning rate 0.001, beta1 0.9, beta2 0.999, epsilon 1e-7.
    public static var adam: Optimizer { .adam(AdamHyperparameters()) }

    /// Keras's SGD default learning rate, 0.01.
    public static var sgd: Optimizer { .sgd(learningRate: 0.01) }

    /// The name stored in model files.
    public var name: String {
        switch self {
        case .adam: return "adam"
        case .sgd: return "sgd"
        }
    }

    /// How many state tensors the optimizer keeps per parameter tensor (Adam: m and v).
    var slotCount: Int {
        switch self {
        case .adam: return 2
        case .sgd: return 0
        }
    }

    /// Applies one step (`step` counts from 1) to every tensor given its gradient and state
    /// slots, in as few launches as the backend can.
    func update(_ backend: any Backend, _ tensors: [OptimizerTensors], step: Int) throws {
        switch self {
        case .adam(let hyperparameters): try backend.adamUpdate(tensors, step: step, hyperparameters: hyperparameters)
        case .sgd(let learningRate): try backend.sgdUpdate(tensors, learningRate: learningRate)
        }
    }
}

/// The loss a model trains on.
public enum Loss: Equatable, Sendable {
    /// Sparse categorical cross-entropy on integer class labels. With `fromLogits: false` (Keras's
    /// default) the model must end in softmax, which training fuses with the loss for stability;
    /// with `fromLogits: true` the model's last layer must be linear.
    case sparseCategoricalCrossentropy(fromLogits: Bool)

    /// Keras's `sparse_categorical_crossentropy`.
    public static var sparseCategoricalCrossentropy: Loss { .sparseCategoricalCrossentropy(fromLogits: false) }
}
