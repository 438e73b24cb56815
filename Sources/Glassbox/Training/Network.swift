/// A ``Sequential`` model's parameters on one backend, and its layer runners per batch size.
/// Parameters, activations and gradients stay on the device between steps.
final class Network {
    let backend: any Backend
    let model: Sequential
    let parameters: [[Tensor]]
    private var stacks: [Int: Stack] = [:]

    /// The runners and buffers for one batch size.
    final class Stack {
        let batchSize: Int
        let runners: [any LayerRunner]
        let input: Tensor
        let labels: Tensor
        let losses: Tensor
        let gradLogits: Tensor
        let probabilities: Tensor
        init(batchSize: Int, runners: [any LayerRunner], input: Tensor, labels: Tensor, losses: Tensor,
             gradLogits: Tensor, probabilities: Tensor) {
            self.batchSize = batchSize; self.runners = runners; self.input = input; self.labels = labels
            self.losses = losses; self.gradLogits = gradLogits; self.probabilities = probabilities
        }
    }

    init(model: Sequential, backend: any Backend) throws {
        self.model = model
        self.backend = backend
        parameters = try zip(model.parameterShapes, model.parameters).map { shapes, values in
            try zip(shapes, values).map { try backend.upload($1, shape: $0) }
        }
    }

    /// Frees the buffers of every batch size (after running out of device memory).
    func removeStacks() { stacks = [:] }

    func stack(batchSize: Int) throws -> Stack {
        if let stack = stacks[batchSize] { return stack }
        var shape = model.inputShape
        var runners: [any LayerRunner] = []
        for (index, layer) in model.layers.enumerated() {
            runners.append(try layer.makeRunner(backend: backend, inputShape: shape, batchSize: batchSize,
                                                isOutputLayer: index == model.layers.count - 1))
            shape = model.outputShapes[index]
        }
        let classes = model.outputCount
        let stack = Stack(batchSize: batchSize, runners: runners,
                          input: try backend.makeTensor(shape: try Shape([batchSize] + model.inputShape)),
                          labels: try backend.makeTensor(shape: try Shape([batchSize])),
                          losses: try backend.makeTensor(shape: try Shape([batchSize])),
                          gradLogits: try backend.makeTensor(shape: try Shape([batchSize, classes])),
                          probabilities: try backend.makeTensor(shape: try Shape([batchSize, classes])))
        stacks[batchSize] = stack
        return stack
    }

    /// Runs the layers on `stack.input`; returns every layer's input and output. The last output
    /// is the logits when the model ends in softmax (which the caller applies or fuses).
    /// In inference, a Conv2D followed by a MaxPool2D runs as one fused op
    /// (``Backend/conv2dPoolForward(input:kernel:bias:geometry:pool:activation:into:)``); the
    /// convolution's own output is then not computed, and its entry in `outputs` is the pooled one.
    func forward(_ stack: Stack, training: Bool, seed: UInt32, fuse: Bool = true) throws -> (inputs: [Tensor], outputs: [Tensor]) {
        var inputs: [Tensor] = [], outputs: [Tensor] = []
        var current = stack.input
        var index = 0
        while index < stack.runners.count {
            inputs.append(current)
            if !training, fuse, index + 1 < stack.runners.count,
               let conv = stack.runners[index] as? Conv2D.Runner, let pool = stack.runners[index + 1] as? MaxPool2D.Runner,
               conv.activation != .softmax {
                try backend.conv2dPoolForward(input: current, kernel: parameters[index][0], bias: parameters[index][1],
                                              geometry: conv.geometry, pool: pool.geometry, activation: conv.activation, into: pool.output)
                current = pool.output
                outputs.append(current)
                inputs.append(current)
                outputs.append(current)
                index += 2
                continue
            }
            current = try stack.runners[index].forward(current, parameters: parameters[index], training: training,
                                                       seed: Self.layerSeed(seed, layer: index))
            outputs.append(current)
            index += 1
        }
        return (inputs, outputs)
    }

    /// The model's final output as a `[batch, outputs]` matrix: probabilities when the model ends
    /// in softmax (applied here, over the output's last axis, as Keras does: a `(28, 10)` output
    /// gives 28 rows of 10 probabilities), else the raw outputs.
    func predictions(_ stack: Stack, output: Tensor) throws -> Tensor {
        let matrix = try output.reshaped(try Shape([stack.batchSize, model.outputCount]))
        guard model.endsInSoftmax else { return matrix }
        let last = model.outputShapes.last!.last!
        let rows = try Shape([stack.batchSize * model.outputCount / last, last])
        try backend.softmax(try matrix.reshaped(rows), into: try stack.probabilities.reshaped(rows))
        return stack.probabilities
    }

    /// Back-propagates `gradLogits` through every layer, writing the parameter gradients; with
    /// `inputGradient`, also through the first layer, returning the gradient of the input.
    @discardableResult
    func backward(_ stack: Stack, inputs: [Tensor], outputs: [Tensor], gradient: Tensor, gradients: [[Tensor]], seed: UInt32,
                  inputGradient: Bool = false) throws -> Tensor? {
        var current: Tensor? = try gradient.reshaped(outputs.last!.shape)
        for index in stride(from: stack.runners.count - 1, through: 0, by: -1) {
            guard let gradOutput = current else { break }
            current = try stack.runners[index].backward(input: inputs[index], output: outputs[index], gradOutput: gradOutput,
                                                        parameters: parameters[index], parameterGradients: gradients[index],
                                                        needInputGradient: index > 0 || inputGradient, seed: Self.layerSeed(seed, layer: index))
        }
        return current
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
