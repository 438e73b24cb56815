/// A ``Sequential`` model's parameters on one backend, and its layer runners per batch size.
/// Parameters, activations and gradients stay on the device between steps.
final class Network {
    let backend: any Backend
    let model: Sequential
    let parameters: [[Tensor]]
    private var stacks: [Int: Stack] = [:]

    /// How a layer runs: one input, or several (a merge).
    enum Runner {
        case single(any LayerRunner)
        case merge(any MergeRunner)
    }

    /// The runners and buffers for one batch size.
    final class Stack {
        let batchSize: Int
        let runners: [Runner]
        let input: Tensor
        let labels: Tensor
        let losses: Tensor
        let gradLogits: Tensor
        let probabilities: Tensor
        init(batchSize: Int, runners: [Runner], input: Tensor, labels: Tensor, losses: Tensor,
             gradLogits: Tensor, probabilities: Tensor) {
            self.batchSize = batchSize; self.runners = runners; self.input = input; self.labels = labels
            self.losses = losses; self.gradLogits = gradLogits; self.probabilities = probabilities
        }
    }

    /// Every layer's inputs and output from one forward pass.
    struct Activations {
        var inputs: [[Tensor]]
        var outputs: [Tensor]
    }

    init(model: Sequential, backend: any Backend) throws {
        self.model = model
        self.backend = backend
        head = OutputHead(model)
        consumers = model.consumerCounts
        inputConsumers = model.layerInputs.joined().filter { $0 < 0 }.count
        parameters = try zip(model.parameterShapes, model.parameters).map { shapes, values in
            try zip(shapes, values).map { try backend.upload($1, shape: $0) }
        }
    }

    /// What the last layer's output becomes, and the loss.
    let head: OutputHead
    /// How many layers read each layer's output, and the model's input.
    let consumers: [Int]
    let inputConsumers: Int

    /// Frees the buffers of every batch size (after running out of device memory).
    func removeStacks() { stacks = [:] }

    func stack(batchSize: Int) throws -> Stack {
        if let stack = stacks[batchSize] { return stack }
        let stack = try makeStack(batchSize: batchSize)
        stacks[batchSize] = stack
        return stack
    }

    /// A stack of its own, not shared with other callers (DeepSHAP runs two side by side).
    func makeStack(batchSize: Int) throws -> Stack {
        let runners: [Runner] = try model.layers.enumerated().map { index, layer in
            let shapes = model.inputShapes(of: index)
            if let merge = layer as? MergeLayer {
                return .merge(try merge.makeMergeRunner(backend: backend, inputShapes: shapes, batchSize: batchSize))
            }
            return .single(try layer.makeRunner(backend: backend, inputShape: shapes[0], batchSize: batchSize,
                                                isOutputLayer: index == model.layers.count - 1))
        }
        let classes = model.outputCount
        return Stack(batchSize: batchSize, runners: runners,
                     input: try backend.makeTensor(shape: try Shape([batchSize] + model.inputShape)),
                     labels: try backend.makeTensor(shape: try Shape([batchSize])),
                     losses: try backend.makeTensor(shape: try Shape([batchSize])),
                     gradLogits: try backend.makeTensor(shape: try Shape([batchSize, classes])),
                     probabilities: try backend.makeTensor(shape: try Shape([batchSize, classes])))
    }

    /// Runs the layers on `stack.input` in order; returns every layer's inputs and output. The
    /// last output is the logits when the model ends in softmax (which the caller applies or
    /// fuses). In inference, a layer read only by the next one may run fused with it (a
    /// ``FusingRunner``: Conv2D with a following max pooling); the first layer's own output is
    /// then not computed, and its entry in `outputs` is the fused one.
    func forward(_ stack: Stack, training: Bool, seed: UInt32, fuse: Bool = true) throws -> Activations {
        var inputs: [[Tensor]] = [], outputs: [Tensor] = []
        var index = 0
        while index < stack.runners.count {
            let sources = model.layerInputs[index].map { $0 < 0 ? stack.input : outputs[$0] }
            inputs.append(sources)
            if fuse, index + 1 < stack.runners.count, consumers[index] == 1, model.layerInputs[index + 1] == [index],
               case .single(let first) = stack.runners[index], case .single(let second) = stack.runners[index + 1],
               let fusing = first as? FusingRunner {
                if !training, let fused = try fusing.fusedForward(sources[0], parameters: parameters[index], next: second) {
                    outputs.append(fused)
                    inputs.append([fused])
                    outputs.append(fused)
                    index += 2
                    continue
                }
                if training, let fused = try fusing.fusedTrainingForward(sources[0], parameters: parameters[index], next: second) {
                    outputs.append(fused.own)
                    inputs.append([fused.own])
                    outputs.append(fused.next)
                    index += 2
                    continue
                }
            }
            switch stack.runners[index] {
            case .single(let runner):
                outputs.append(try runner.forward(sources[0], parameters: parameters[index], training: training,
                                                  seed: Self.layerSeed(seed, layer: index)))
            case .merge(let runner):
                outputs.append(try runner.forward(sources))
            }
            index += 1
        }
        return Activations(inputs: inputs, outputs: outputs)
    }

    /// The model's final output as a `[batch, outputs]` matrix, through the ``OutputHead``:
    /// probabilities when the model ends in softmax, else the raw outputs.
    func predictions(_ stack: Stack, output: Tensor) throws -> Tensor {
        try head.predictions(output, batch: stack.batchSize, backend: backend, into: stack.probabilities)
    }

    /// Back-propagates `gradient` (of the last layer's output) through every layer in reverse
    /// order, writing the parameter gradients; a layer read by several layers gets the sum of
    /// their gradients. With `inputGradient`, also returns the gradient of the model's input.
    @discardableResult
    func backward(_ stack: Stack, activations: Activations, gradient: Tensor, gradients: [[Tensor]], seed: UInt32,
                  inputGradient: Bool = false) throws -> Tensor? {
        // Layers whose activation's derivative the max pooling after them already applied.
        var activationApplied: Set<Int> = []
        return try propagate(stack, activations: activations, gradient: gradient, inputGradient: inputGradient) { index, gradOutput, needInput in
            switch stack.runners[index] {
            case .single(let runner):
                if activationApplied.contains(index), let split = runner as? ActivationSplitRunner {
                    return [try split.backward(input: activations.inputs[index][0], gradPreactivation: gradOutput, parameters: parameters[index],
                                               parameterGradients: gradients[index], needInputGradient: needInput)]
                }
                if let producer = reluBeforeMaxPool(index, stack), let pool = runner as? Pool2DRunner,
                   !inputGradient, !model.layerInputs[producer].contains(where: { $0 >= 0 }),
                   case .single(let producerRunner) = stack.runners[producer], let split = producerRunner as? ActivationSplitRunner,
                   try split.parameterGradients(through: pool, input: activations.inputs[producer][0], activations: activations.inputs[index][0],
                                                gradPooled: gradOutput, parameterGradients: gradients[producer]) {
                    // A first layer's gradients are written: nothing flows back to it, so its step never runs.
                    return [nil]
                }
                if let producer = reluBeforeMaxPool(index, stack), let pool = runner as? Pool2DRunner,
                   let gradient = try pool.backwardThroughRelu(input: activations.inputs[index][0], gradOutput: gradOutput) {
                    activationApplied.insert(producer)
                    return [gradient]
                }
                return [try runner.backward(input: activations.inputs[index][0], output: activations.outputs[index], gradOutput: gradOutput,
                                            parameters: parameters[index], parameterGradients: gradients[index],
                                            needInputGradient: needInput, seed: Self.layerSeed(seed, layer: index))]
            case .merge(let runner):
                return try runner.backward(gradOutput: gradOutput)
            }
        }
    }

    /// The layer whose relu outputs the max pooling at `index` alone reads, where that layer's
    /// runner can start its backward pass from the pre-activation's gradient; else nil.
    private func reluBeforeMaxPool(_ index: Int, _ stack: Stack) -> Int? {
        guard case .single(let runner) = stack.runners[index], let pool = runner as? Pool2DRunner, pool.kind == .max,
              model.layerInputs[index].count == 1, let producer = model.layerInputs[index].first, producer >= 0,
              consumers[producer] == 1, case .single(let producerRunner) = stack.runners[producer],
              let split = producerRunner as? ActivationSplitRunner, split.activation == .relu else { return nil }
        return producer
    }

    /// Walks the graph from the output back to the input: `step(index, g, needInput)` turns the
    /// gradient `g` of layer `index`'s output (which it may overwrite) into one per input of
    /// the layer (nil when `needInput` is false); where a layer or the model's input is read by
    /// several layers, their contributions are summed. Returns what reaches the model's input
    /// when `inputGradient`.
    func propagate(_ stack: Stack, activations: Activations, gradient: Tensor, inputGradient: Bool,
                   step: (_ index: Int, _ gradOutput: Tensor, _ needInput: Bool) throws -> [Tensor?]) throws -> Tensor? {
        let count = stack.runners.count
        var gradientOf = [Tensor?](repeating: nil, count: count + 1)   // index count: the model's input
        var arrived = [Int](repeating: 0, count: count + 1)
        gradientOf[count - 1] = try gradient.reshaped(activations.outputs[count - 1].shape)
        func deliver(_ contribution: Tensor, to source: Int) throws {
            let slot = source < 0 ? count : source
            let readers = source < 0 ? inputConsumers : consumers[source]
            arrived[slot] += 1
            // The first contribution holds the sum: no one reads a contribution once delivered
            // (the steps hand over tensors their caller may overwrite), so adding into it is safe.
            guard readers > 1, arrived[slot] > 1 else { gradientOf[slot] = contribution; return }
            let sum = gradientOf[slot]!
            try backend.add(sum, try contribution.reshaped(sum.shape), into: sum)
        }
        for index in stride(from: count - 1, through: 0, by: -1) {
            guard let gradOutput = gradientOf[index] else { continue }
            let sources = model.layerInputs[index]
            let results = try step(index, gradOutput, inputGradient || sources.contains { $0 >= 0 })
            for (source, contribution) in zip(sources, results) {
                if let contribution { try deliver(contribution, to: source) }
            }
            gradientOf[index] = nil
        }
        return inputGradient ? gradientOf[count] : nil
    }

    /// The parameters, read back from the device.
    func downloadParameters() throws -> [[[Float]]] {
        try parameters.map { try $0.map { try backend.download($0) } }
    }

    /// A per-layer seed for dropout masks, mixed from the step's seed.
    static func layerSeed(_ seed: UInt32, layer: Int) -> UInt32 {
        DropoutMask.hash(seed &+ DropoutMask.hash(UInt32(truncatingIfNeeded: layer) &+ 0x68E3_1DA4))
    }
}
