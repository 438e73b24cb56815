import Foundation

extension Sequential {
    /// Chooses the optimizer and loss, as Keras's `compile`, and resets training progress.
    /// - Parameters:
    ///   - optimizer: Adam (Keras's defaults) or SGD.
    ///   - loss: the loss on the last layer's output.
    ///   - seed: orders the per-epoch shuffles and dropout masks.
    /// - Throws: ``GlassboxError/invalidArgument(operation:reason:)`` when the loss does not fit
    ///   the last layer (cross-entropy on probabilities needs a final softmax).
    public mutating func compile(optimizer: Optimizer = .adam, loss: Loss = .sparseCategoricalCrossentropy, seed: UInt64 = 0) throws {
        try checkLossFits(loss, operation: "compile")
        training = TrainingState(optimizer: optimizer, loss: loss, seed: seed)
    }

    /// Throws unless `loss` fits the model's last layer (checked again by `fit`, for a state
    /// loaded from a file rather than set by `compile`).
    public func checkLossFits(_ loss: Loss, operation: String) throws {
        switch loss {
        case .sparseCategoricalCrossentropy(let fromLogits):
            if !fromLogits && !endsInSoftmax {
                throw GlassboxError.invalidArgument(operation: operation,
                    reason: "sparse categorical cross-entropy on probabilities needs a last layer with softmax activation (or fromLogits: true)")
            }
            if fromLogits && endsInSoftmax {
                throw GlassboxError.invalidArgument(operation: operation, reason: "fromLogits: true needs a last layer without softmax")
            }
        }
    }

    /// Trains on `x` (`n` samples of ``inputShape``, row-major) with class labels `y`, as Keras's
    /// `fit`: each epoch shuffles the samples (from the seed given to `compile` and the epoch's
    /// number), runs mini-batches of `batchSize` (the last one smaller when `n` is no multiple),
    /// and updates the parameters after each. Everything stays on `backend` during the run; the
    /// parameters and optimizer state come back to the host at the end of every epoch.
    ///
    /// - Parameters:
    ///   - x: the samples, back to back in the model's input shape.
    ///   - y: one class index per sample.
    ///   - batchSize: samples per step.
    ///   - validation: data to evaluate after each epoch, if any.
    ///   - backend: where training runs.
    ///   - progressInterval: the least seconds between `progress` calls.
    ///   - epochs: the epoch to train up to, counting those already done (Keras's `epochs` with
    ///     `initial_epoch` at the epochs completed), so a resumed model continues its count.
    ///   - progress: called during an epoch, at most every `progressInterval` seconds and after its
    ///     last step (each call reads two numbers back from the device).
    ///   - onEpochEnd: called after each epoch with its report and the model as it is then (for
    ///     checkpoints); an error it throws stops training.
    ///   - communicator: the ranks training together, data-parallel (Horovod's scheme): every
    ///     rank must hold the same model (broadcast it from rank 0 first) and data, and draws the
    ///     same shuffle; each step splits its global batch of `batchSize` samples over the ranks
    ///     (``Shard/range(of:)``), each rank computes the gradient of its part scaled by
    ///     `1 / batchSize`, an allreduce sums them, and every rank applies the same optimizer
    ///     step, so the result does not depend on the number of ranks beyond summation order.
    ///     Epoch losses and accuracies are summed over the ranks; validation runs on rank 0 only.
    ///     Dropout masks and batch-normalization statistics are drawn per rank's part (so those
    ///     layers differ with the rank count, as in Horovod without synchronised batch norm).
    ///   - checkNumerics: after which steps to check that the loss is finite; when it is not,
    ///     training stops with ``GlassboxError/nonFinite(_:)`` naming the step and the first
    ///     gradient or parameter tensor holding NaN or infinity. Inputs and starting parameters are
    ///     always checked, and every epoch's loss.
    /// - Returns: one report per epoch trained.
    /// - Throws: ``GlassboxError`` for data that does not fit the model or labels outside the
    ///   classes, and anything the backend throws.
    /// - Complexity: per epoch, forward and backward passes over `n` samples (about 3x the
    ///   forward FLOPs).
    @discardableResult
    public mutating func fit(x: [Float], y: [Float], epochs: Int, batchSize: Int = 32, validation: Validation = .none,
                             backend: any Backend, progressInterval: Double = 0.1,
                             checkNumerics: NumericsCheck = .firstSteps(100),
                             communicator: any Communicator = SingleProcess(),
                             progress: ((StepProgress) -> Void)? = nil,
                             onEpochEnd: ((EpochReport, Sequential) throws -> Void)? = nil) throws -> [EpochReport] {
        guard var state = training else {
            throw GlassboxError.invalidArgument(operation: "fit", reason: "call compile(optimizer:loss:) before fit")
        }
        try checkLossFits(state.loss, operation: "fit")
        guard batchSize >= 1 else { throw GlassboxError.invalidArgument(operation: "fit", reason: "batch size \(batchSize) must be at least 1") }
        guard epochs >= 1 else { throw GlassboxError.invalidArgument(operation: "fit", reason: "epochs \(epochs) must be at least 1") }
        var (trainX, trainY) = (x, y)
        let count = try checkSamples(x: x, y: y, operation: "fit")
        var validationData: (x: [Float], y: [Float])?
        switch validation {
        case .none: break
        case .split(let fraction):
            guard fraction > 0, fraction < 1 else {
                throw GlassboxError.invalidArgument(operation: "fit", reason: "validation split \(fraction) must be between 0 and 1")
            }
            let held = Int((Double(count) * fraction).rounded(.down))
            let kept = count - held
            guard held >= 1, kept >= 1 else {
                throw GlassboxError.invalidArgument(operation: "fit", reason: "validation split \(fraction) of \(count) samples leaves an empty set")
            }
            let size = sampleSize
            validationData = (Array(x[(kept * size)...]), Array(y[kept...]))
            trainX = Array(x[..<(kept * size)])
            trainY = Array(y[..<kept])
        case .data(let vx, let vy):
            _ = try checkSamples(x: vx, y: vy, operation: "fit validation data")
            validationData = (vx, vy)
        }

        try Self.checkFinite(trainX, what: "training input", sampleSize: sampleSize)
        if let validationData { try Self.checkFinite(validationData.x, what: "validation input", sampleSize: sampleSize) }
        try checkParametersFinite()
        try checkOptimizerStateFinite(state)
        let network = try Network(model: self, backend: backend)
        let gradients = try parameterShapes.map { try $0.map { try backend.makeTensor(shape: $0) } }
        let slots: [[[Tensor]]] = try parameterShapes.enumerated().map { layer, shapes in
            try shapes.enumerated().map { index, shape in
                try (0..<(layers[layer].isTrainable(parameter: index) ? state.optimizer.slotCount : 0)).map { slot in
                    if state.slots.indices.contains(layer), state.slots[layer].indices.contains(index),
                       state.slots[layer][index].indices.contains(slot) {
                        return try backend.upload(state.slots[layer][index][slot], shape: shape)
                    }
                    return try backend.makeTensor(shape: shape, filledWith: 0)
                }
            }
        }
        // Every trained tensor with its gradient and state: one optimizer call per step.
        let updates = layers.indices.flatMap { layer in
            network.parameters[layer].indices.filter { layers[layer].isTrainable(parameter: $0) }.map { index in
                OptimizerTensors(parameter: network.parameters[layer][index], gradient: gradients[layer][index], slots: slots[layer][index])
            }
        }
        let lossTotal = try backend.makeTensor(shape: [1]), correctTotal = try backend.makeTensor(shape: [1])
        let parameterSum = try backend.makeTensor(shape: [1])
        let samples = trainY.count
        let steps = (samples + batchSize - 1) / batchSize
        let size = sampleSize
        var staging = [Float](repeating: 0, count: batchSize * size)
        var labelStaging = [Float](repeating: 0, count: batchSize)
        var reports: [EpochReport] = []
        let runStartStep = state.step
        // Every trained gradient back to back, for the allreduce of a data-parallel step.
        var gradientBuffer = [Float](repeating: 0, count: communicator.size > 1 ? updates.reduce(0) { $0 + $1.gradient.elementCount } : 0)

        while state.epochsCompleted < epochs {
            let epoch = state.epochsCompleted + 1
            let start = Date()
            var lastProgress = start
            try backend.fill(lossTotal, with: 0)
            try backend.fill(correctTotal, with: 0)
            let order = Self.shuffledOrder(count: samples, seed: state.seed, epoch: epoch)
            var seen = 0
            var communicationSeconds = 0.0
            for step in 0..<steps {
                let first = step * batchSize
                let rows = min(batchSize, samples - first)
                // This rank's part of the global batch (all of it in a one-rank job).
                let part = communicator.share(of: rows)
                state.step += 1
                let seed = UInt32(truncatingIfNeeded: state.seed &* 0x9E37_79B9_7F4A_7C15 &+ UInt64(state.step))
                if part.isEmpty {
                    for update in updates { try backend.fill(update.gradient, with: 0) }
                } else {
                    let local = part.count
                    let stack = try network.stack(batchSize: local)
                    for row in 0..<local {
                        let sample = order[first + part.lowerBound + row]
                        staging.withUnsafeMutableBufferPointer { target in
                            trainX.withUnsafeBufferPointer { source in
                                (target.baseAddress! + row * size).update(from: source.baseAddress! + sample * size, count: size)
                            }
                        }
                        labelStaging[row] = trainY[sample]
                    }
                    try backend.write(local == batchSize ? staging : Array(staging[..<(local * size)]), into: stack.input)
                    try backend.write(local == batchSize ? labelStaging : Array(labelStaging[..<local]), into: stack.labels)
                    let activations = try network.forward(stack, training: true, seed: seed)
                    try network.head.crossEntropy(logits: activations.outputs.last!, labels: stack.labels, batch: local, losses: stack.losses,
                                                  gradient: stack.gradLogits, scale: 1 / Float(rows), lossTotal: lossTotal,
                                                  correctTotal: correctTotal, backend: backend)
                    try network.backward(stack, activations: activations, gradient: stack.gradLogits, gradients: gradients, seed: seed)
                }
                seen += part.count
                if communicator.size > 1 {
                    try backend.synchronize()   // the step's own compute ends here, not in the timed part
                    let started = Date()
                    try Self.sumGradients(updates, over: communicator, backend: backend, buffer: &gradientBuffer)
                    communicationSeconds += Date().timeIntervalSince(started)
                }
                try state.optimizer.update(backend, updates, step: state.step)
                if checkNumerics.covers(step: state.step - runStartStep) {
                    try checkStep(state.step, epoch: epoch, loss: lossTotal, network: network, gradients: gradients, scratch: parameterSum)
                }
                if let progress, step == steps - 1 || Date().timeIntervalSince(lastProgress) >= progressInterval {
                    lastProgress = Date()
                    // This rank's own samples so far (a collective here would tie ranks to timing).
                    let seen = Double(max(seen, 1))
                    progress(StepProgress(epoch: epoch, epochs: epochs, step: step + 1, steps: steps,
                                          loss: Double(try backend.download(lossTotal)[0]) / seen,
                                          accuracy: Double(try backend.download(correctTotal)[0]) / seen,
                                          seconds: lastProgress.timeIntervalSince(start)))
                }
            }
            var totals = [Double(try backend.download(lossTotal)[0]), Double(try backend.download(correctTotal)[0])]
            try communicator.allreduceSum(&totals)
            let loss = totals[0] / Double(samples)
            guard loss.isFinite else { throw try nonFiniteError(step: state.step, epoch: epoch, network: network, gradients: gradients) }
            let accuracy = totals[1] / Double(samples)
            let seconds = Date().timeIntervalSince(start)
            let trained = try network.downloadParameters()
            state.slots = try slots.map { try $0.map { try $0.map { try backend.download($0) } } }
            // A device whose kernels let NaN through where the loss hides it (max-based ops
            // drop NaN) still never hands back, or checkpoints, non-finite weights.
            try checkFinite(parameters: trained, context: "after epoch \(epoch)")
            try checkOptimizerStateFinite(state, context: "after epoch \(epoch)")
            parameters = trained
            state.epochsCompleted = epoch
            state.batchSize = batchSize
            training = state
            var validationResult: (loss: Double, accuracy: Double)?
            if let validationData, communicator.isRoot {
                validationResult = try evaluate(x: validationData.x, y: validationData.y, batchSize: max(batchSize, 256),
                                                network: network)
            }
            var report = EpochReport(epoch: epoch, loss: loss, accuracy: accuracy, validationLoss: validationResult?.loss,
                                     validationAccuracy: validationResult?.accuracy, seconds: seconds, steps: steps)
            report.communicationSeconds = communicationSeconds
            reports.append(report)
            try onEpochEnd?(report, self)
        }
        return reports
    }

    /// Sums every trained tensor's gradient over the ranks, in place: one allreduce of all of
    /// them back to back (in `buffer`, which holds as many floats) per step.
    static func sumGradients(_ updates: [OptimizerTensors], over communicator: any Communicator, backend: any Backend,
                             buffer: inout [Float]) throws {
        var offset = 0
        for update in updates {
            let values = try backend.download(update.gradient)
            buffer.replaceSubrange(offset..<(offset + values.count), with: values)
            offset += values.count
        }
        try communicator.allreduceSum(&buffer)
        offset = 0
        for update in updates {
            let count = update.gradient.elementCount
            try backend.write(Array(buffer[offset..<(offset + count)]), into: update.gradient)
            offset += count
        }
    }

    /// The number of floats in one sample.
    public var sampleSize: Int { inputShape.reduce(1, *) }

    /// Checks that `x` holds whole samples, one label each, and that every label names a class.
    /// - Returns: the number of samples.
    func checkSamples(x: [Float], y: [Float], operation: String) throws -> Int {
        guard outputShapes.last!.count == 1 else {
            throw GlassboxError.invalidArgument(operation: operation,
                reason: "the model outputs \(outputShapes.last!) per sample, and one class label per sample fits only an output of one class vector; "
                    + "end the model with Flatten and Dense (or reduce the extra axes) to train it on these labels")
        }
        let size = sampleSize
        guard x.count % size == 0 else {
            throw GlassboxError.invalidArgument(operation: operation,
                reason: "\(x.count) input values are not a whole number of samples of shape \(inputShape) (\(size) values each)")
        }
        let count = x.count / size
        guard count >= 1 else { throw GlassboxError.invalidArgument(operation: operation, reason: "no samples") }
        guard y.count == count else {
            throw GlassboxError.invalidArgument(operation: operation, reason: "\(count) samples but \(y.count) labels")
        }
        let classes = outputCount
        if let bad = y.firstIndex(where: { CPUBackend.classIndex($0, classes: classes) == nil }) {
            throw GlassboxError.invalidArgument(operation: operation,
                reason: "label \(y[bad].isFinite && y[bad] == y[bad].rounded() && abs(y[bad]) < 1e9 ? String(Int(y[bad])) : "\(y[bad])") of sample \(bad) "
                    + "is not a class of the model (it has \(classes) outputs: 0 to \(classes - 1))")
        }
        return count
    }

    /// The sample order of one epoch: a Fisher-Yates shuffle from a generator seeded by the
    /// training seed and the epoch number alone, so a resumed run draws the same orders.
    static func shuffledOrder(count: Int, seed: UInt64, epoch: Int) -> [Int] {
        var generator = SeededGenerator(seed: seed ^ (UInt64(epoch) &* 0xD1B5_4A32_D192_ED03))
        var order = Array(0..<count)
        if count > 1 {
            for i in stride(from: count - 1, to: 0, by: -1) {
                order.swapAt(i, Int(generator.next() % UInt64(i + 1)))
            }
        }
        return order
    }
}
