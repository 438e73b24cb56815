/// The ranges that training settings must fall in, shared by `glassbox train`'s flags and by
/// the `training` metadata of a checkpoint that `--resume` loads: a value a flag would refuse is
/// refused in a file too, so an edited or damaged checkpoint cannot train to garbage.
public enum TrainingLimits {
    public static let epochs = 1...100_000
    public static let batchSize = 1...65_536
    /// Learning rates above this diverge on every model Glassbox trains.
    public static let maximumLearningRate: Float = 10
    /// Optimizer steps taken: 2^31 x 64, past any run within the epoch and batch limits of a data set of 1M samples.
    public static let steps = 0...Int(Int32.max) * 64

    /// Throws unless `value` lies in `range`, naming `source` (a flag or a metadata field).
    public static func check(_ value: Int, in range: ClosedRange<Int>, _ source: String) throws {
        guard range.contains(value) else {
            throw GlassboxError.invalidArgument(operation: source,
                reason: "must be from \(range.lowerBound) to \(range.upperBound) (got \(value))")
        }
    }

    /// Throws unless the learning rate is finite, positive and at most ``maximumLearningRate``.
    public static func checkLearningRate(_ value: Float, _ source: String) throws {
        guard value.isFinite, value > 0, value <= maximumLearningRate else {
            throw GlassboxError.invalidArgument(operation: source,
                reason: "the learning rate must be above 0 and at most \(maximumLearningRate) (got \(value))")
        }
    }

    /// Checks every setting of `state` as the flags are checked; `source` names the file.
    /// - Throws: ``GlassboxError/invalidArgument(operation:reason:)`` naming the field.
    public static func check(_ state: TrainingState, source: String) throws {
        switch state.optimizer {
        case .adam(let h):
            try checkLearningRate(h.learningRate, "\(source): learning_rate")
            for (name, value) in [("beta_1", h.beta1), ("beta_2", h.beta2)] where !(value >= 0 && value < 1) {
                throw GlassboxError.invalidArgument(operation: "\(source): \(name)", reason: "must be in [0, 1) (got \(value))")
            }
            guard h.epsilon.isFinite, h.epsilon > 0, h.epsilon <= 1 else {
                throw GlassboxError.invalidArgument(operation: "\(source): epsilon", reason: "must be above 0 and at most 1 (got \(h.epsilon))")
            }
        case .sgd(let rate):
            try checkLearningRate(rate, "\(source): learning_rate")
        }
        try check(state.step, in: steps, "\(source): step")
        try check(state.epochsCompleted, in: 0...epochs.upperBound, "\(source): epochs_completed")
        if let batchSize = state.batchSize { try check(batchSize, in: self.batchSize, "\(source): batch_size") }
    }
}
