extension Sequential {
    /// The model's outputs for `x` (`n` samples, row-major): `n x classes` probabilities when the
    /// model ends in softmax. Samples run in batches of `batchSize`, so memory stays bounded.
    /// - Throws: ``GlassboxError`` when `x` is not a whole number of samples.
    /// - Complexity: one forward pass per sample.
    public func predict(_ x: [Float], batchSize: Int = 1024, backend: any Backend) throws -> [Float] {
        try InferenceSession(model: self, backend: backend).predict(x, batchSize: batchSize)
    }

    /// Mean loss and accuracy over `x` and labels `y`, as Keras's `evaluate`.
    /// - Throws: ``GlassboxError`` for data that does not fit, or without ``compile(optimizer:loss:seed:)``.
    public func evaluate(x: [Float], y: [Float], batchSize: Int = 256, backend: any Backend) throws -> (loss: Double, accuracy: Double) {
        try evaluate(x: x, y: y, batchSize: batchSize, network: try Network(model: self, backend: backend))
    }

    func evaluate(x: [Float], y: [Float], batchSize: Int, network: Network) throws -> (loss: Double, accuracy: Double) {
        let count = try checkSamples(x: x, y: y, operation: "evaluate")
        guard endsInSoftmax || training?.loss == .sparseCategoricalCrossentropy(fromLogits: true) else {
            throw GlassboxError.invalidArgument(operation: "evaluate",
                reason: "the loss needs a model ending in softmax, or one compiled with fromLogits: true")
        }
        let backend = network.backend
        let size = sampleSize
        let lossTotal = try backend.makeTensor(shape: [1], filledWith: 0)
        let correctTotal = try backend.makeTensor(shape: [1], filledWith: 0)
        var first = 0
        while first < count {
            let rows = min(batchSize, count - first)
            let stack = try network.stack(batchSize: rows)
            try backend.write(Array(x[(first * size)..<((first + rows) * size)]), into: stack.input)
            try backend.write(Array(y[first..<(first + rows)]), into: stack.labels)
            let outputs = try network.forward(stack, training: false, seed: 0).outputs
            try network.head.crossEntropy(logits: outputs.last!, labels: stack.labels, batch: rows, losses: stack.losses, gradient: nil,
                                          scale: 1, lossTotal: lossTotal, correctTotal: correctTotal, backend: backend)
            first += rows
        }
        let loss = Double(try backend.download(lossTotal)[0]) / Double(count)
        guard loss.isFinite else {
            throw GlassboxError.nonFinite("evaluate: the loss over \(count) samples is \(loss): the model's outputs overflow float32 "
                + "(finite weights too large for its arithmetic); retrain, or check the model file")
        }
        return (loss, Double(try backend.download(correctTotal)[0]) / Double(count))
    }
}

/// A model loaded onto a backend for repeated inference: the parameters are uploaded once and
/// the buffers of each batch size are kept, so many calls (an explainer's perturbation sweeps, a
/// benchmark) pay for setup once.
public final class InferenceSession {
    public let model: Sequential
    public var backend: any Backend { network.backend }
    let network: Network

    /// Uploads the model's parameters to `backend`.
    /// - Throws: ``GlassboxError/nonFinite(_:)`` naming a parameter tensor that holds NaN or
    ///   infinity, which would make every output NaN.
    public init(model: Sequential, backend: any Backend) throws {
        try model.checkParametersFinite()
        self.model = model
        network = try Network(model: model, backend: backend)
    }

    private var parameterGradients: [[Tensor]]?

    /// The gradient of output `targets[i]` (the class probability when the model ends in softmax)
    /// with respect to sample `i` of `x`, for every sample: the backward kernels run with the
    /// output gradient one-hot at the target, through the softmax when there is one.
    /// - Returns: one gradient per input value, laid out like `x`.
    /// - Throws: ``GlassboxError`` for a bad sample count or a target outside the classes.
    /// - Complexity: one forward and one backward pass per sample.
    public func gradients(_ x: [Float], targets: [Int], batchSize: Int = 256) throws -> [Float] {
        let size = model.sampleSize, classes = model.outputCount
        guard !x.isEmpty, x.count % size == 0, x.count / size == targets.count else {
            throw GlassboxError.invalidArgument(operation: "gradients",
                reason: "\(x.count) input values and \(targets.count) targets do not make whole samples of shape \(model.inputShape)")
        }
        if let bad = targets.first(where: { !(0..<classes).contains($0) }) {
            throw GlassboxError.invalidArgument(operation: "gradients", reason: "target class \(bad) is not in 0..<\(classes)")
        }
        if parameterGradients == nil {
            parameterGradients = try model.parameterShapes.map { try $0.map { try backend.makeTensor(shape: $0) } }
        }
        var result: [Float] = []
        result.reserveCapacity(x.count)
        var first = 0
        while first < targets.count {
            let rows = min(batchSize, targets.count - first)
            let stack = try network.stack(batchSize: rows)
            try backend.write(Array(x[(first * size)..<((first + rows) * size)]), into: stack.input)
            let activations = try network.forward(stack, training: false, seed: 0, fuse: false)
            var oneHot = [Float](repeating: 0, count: rows * classes)
            for row in 0..<rows { oneHot[row * classes + targets[first + row]] = 1 }
            try backend.write(oneHot, into: stack.gradLogits)
            // Back through the head's softmax, if any, to the last layer's output.
            try network.head.backward(stack.gradLogits, probabilities: try network.predictions(stack, output: activations.outputs.last!),
                                      batch: rows, backend: backend)
            let gradient = try network.backward(stack, activations: activations, gradient: stack.gradLogits,
                                                gradients: parameterGradients!, seed: 0, inputGradient: true)
            result += try backend.download(gradient!)
            first += rows
        }
        return result
    }

    /// The model's outputs for `x` (`n` samples, row-major): `n x classes` probabilities when the
    /// model ends in softmax. Samples run in batches of `batchSize`, so memory stays bounded.
    /// - Throws: ``GlassboxError`` when `x` is not a whole, non-zero number of samples.
    /// - Complexity: one forward pass per sample.
    public func predict(_ x: [Float], batchSize: Int = 1024) throws -> [Float] {
        let size = model.sampleSize
        guard !x.isEmpty, x.count % size == 0 else {
            throw GlassboxError.invalidArgument(operation: "predict",
                reason: "\(x.count) input values are not a whole, non-zero number of samples of shape \(model.inputShape)")
        }
        guard batchSize >= 1 else { throw GlassboxError.invalidArgument(operation: "predict", reason: "batch size must be at least 1") }
        try Sequential.checkFinite(x, what: "input", sampleSize: size)
        let count = x.count / size
        var result: [Float] = []
        result.reserveCapacity(count * model.outputCount)
        var first = 0
        while first < count {
            let rows = min(batchSize, count - first)
            let stack = try network.stack(batchSize: rows)
            try backend.write(rows == count ? x : Array(x[(first * size)..<((first + rows) * size)]), into: stack.input)
            let outputs = try network.forward(stack, training: false, seed: 0).outputs
            let batch = try backend.download(try network.predictions(stack, output: outputs.last!))
            // Finite weights can still overflow float32 on the way: never hand back NaN as an answer.
            if let bad = NonFiniteSearch.firstIndex(in: batch) {
                throw GlassboxError.nonFinite("the model's output for sample \(first + bad / model.outputCount) is \(batch[bad]) "
                    + "(output \(bad % model.outputCount)): its arithmetic overflows float32 with these weights and this input")
            }
            result += batch
            first += rows
        }
        return result
    }
}
