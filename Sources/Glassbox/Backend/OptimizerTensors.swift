/// One parameter tensor of an optimizer step: the parameter, its gradient and the optimizer's
/// state for it (Adam: first and second moments; SGD: none).
public struct OptimizerTensors {
    public let parameter: Tensor
    public let gradient: Tensor
    public let slots: [Tensor]

    /// - Parameters:
    ///   - parameter: updated in place.
    ///   - gradient: the same shape.
    ///   - slots: the optimizer's state tensors, each the same shape.
    public init(parameter: Tensor, gradient: Tensor, slots: [Tensor]) {
        self.parameter = parameter
        self.gradient = gradient
        self.slots = slots
    }
}

extension Backend {
    /// One launch per tensor: what a backend without a multi-tensor kernel does (the CPU reference).
    public func adamUpdate(_ tensors: [OptimizerTensors], step: Int, hyperparameters: AdamHyperparameters) throws {
        for t in tensors {
            guard t.slots.count == 2 else {
                throw GlassboxError.invalidArgument(operation: "adam", reason: "\(t.slots.count) state tensors; Adam keeps 2 (m and v)")
            }
            try adamUpdate(parameter: t.parameter, gradient: t.gradient, firstMoment: t.slots[0], secondMoment: t.slots[1],
                           step: step, hyperparameters: hyperparameters)
        }
    }

    /// One launch per tensor.
    public func sgdUpdate(_ tensors: [OptimizerTensors], learningRate: Float) throws {
        for t in tensors { try sgdUpdate(parameter: t.parameter, gradient: t.gradient, learningRate: learningRate) }
    }
}
