/// What training needs beyond the parameters to continue exactly where it stopped: the
/// optimizer, its step count and state, how many epochs are done, and the seed that orders the
/// data. It travels in the model file, so a checkpoint resumes bit-for-bit on the CPU path.
public struct TrainingState: Equatable, Sendable {
    public var optimizer: Optimizer
    public var loss: Loss
    /// Optimizer steps taken so far (Adam's `t`).
    public var step: Int = 0
    /// Epochs completed so far.
    public var epochsCompleted: Int = 0
    /// The seed of the per-epoch shuffles and dropout masks.
    public var seed: UInt64
    /// The batch size training ran with (resuming keeps it).
    public var batchSize: Int?
    /// Optimizer state per layer, per parameter tensor, per slot (Adam: first and second moments),
    /// empty until the first step.
    public var slots: [[[[Float]]]] = []

    public init(optimizer: Optimizer, loss: Loss, seed: UInt64) {
        self.optimizer = optimizer
        self.loss = loss
        self.seed = seed
    }
}

/// The figures of one finished epoch.
public struct EpochReport: Sendable {
    /// 1-based, counting every epoch the model has trained (so it continues after a resume).
    public let epoch: Int
    public let loss: Double
    public let accuracy: Double
    public let validationLoss: Double?
    public let validationAccuracy: Double?
    public let seconds: Double
    public let steps: Int
    /// Of ``seconds``, the time spent summing gradients over the ranks (moving them off the
    /// device, the allreduce, and back); 0 in a one-rank job.
    public var communicationSeconds: Double = 0
}

/// Where training is inside an epoch, for progress bars.
public struct StepProgress: Sendable {
    public let epoch: Int
    public let epochs: Int
    public let step: Int
    public let steps: Int
    /// Mean loss and accuracy over the epoch's samples so far.
    public let loss: Double
    public let accuracy: Double
    public let seconds: Double
}

/// When training checks that the loss, gradients and parameters stay finite.
public enum NumericsCheck: Equatable, Sendable {
    case off
    /// After each of the first N optimizer steps of the run (each check reads one number back).
    case firstSteps(Int)
    /// After every step.
    case always

    func covers(step: Int) -> Bool {
        switch self {
        case .off: return false
        case .firstSteps(let count): return step <= count
        case .always: return true
        }
    }
}

/// Validation data for ``Sequential/fit(x:y:epochs:batchSize:validation:backend:progressInterval:checkNumerics:communicator:progress:onEpochEnd:)``.
public enum Validation: Sendable {
    case none
    /// The last fraction of the training data, set aside before shuffling (as Keras's
    /// `validation_split`).
    case split(Double)
    /// Separate samples and labels.
    case data(x: [Float], y: [Float])
}
