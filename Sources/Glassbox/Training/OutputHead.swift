/// The head on a model's last layer: what its outputs become, and the loss training takes from
/// them. A final softmax belongs to the head, not to the layer (the layer's runner is made with
/// `isOutputLayer` and leaves it out), so that training fuses it with the cross-entropy and the
/// gradient explainers and DeepSHAP see the logits; the head applies it over the output's last
/// axis, as Keras does (a `(28, 10)` output gives 28 rows of 10 probabilities).
struct OutputHead: Sendable {
    /// Values per sample of the model's output.
    let outputCount: Int
    /// The width of the rows a final softmax normalises (the output's last axis); nil without one.
    let softmaxWidth: Int?

    init(_ model: Sequential) {
        outputCount = model.outputCount
        softmaxWidth = model.endsInSoftmax ? model.outputShapes.last!.last! : nil
    }

    /// The output as rows of the softmax (`[batch x outputs / width, width]`).
    private func rows(_ x: Tensor, batch: Int, width: Int) throws -> Tensor {
        try x.reshaped(try Shape([batch * outputCount / width, width]))
    }

    /// The model's predictions from the last layer's `output` (`batch` samples), as a
    /// `[batch, outputs]` matrix: probabilities written into `probabilities` when the head has a
    /// softmax, else the output itself.
    func predictions(_ output: Tensor, batch: Int, backend: any Backend, into probabilities: Tensor) throws -> Tensor {
        let matrix = try output.reshaped(try Shape([batch, outputCount]))
        guard let width = softmaxWidth else { return matrix }
        try backend.softmax(try rows(matrix, batch: batch, width: width), into: try rows(probabilities, batch: batch, width: width))
        return try probabilities.reshaped(matrix.shape)
    }

    /// Turns the gradient of the predictions into the gradient of the last layer's output, in
    /// place: back through the softmax (given its `probabilities`), or unchanged without one.
    func backward(_ gradient: Tensor, probabilities: Tensor, batch: Int, backend: any Backend) throws {
        guard let width = softmaxWidth else { return }
        let gradientRows = try rows(gradient, batch: batch, width: width)
        try backend.softmaxBackward(probabilities: try rows(probabilities, batch: batch, width: width), gradOutput: gradientRows, into: gradientRows)
    }

    /// Sparse categorical cross-entropy of one batch (softmax fused with the loss, over the
    /// logits the last layer outputs): each sample's loss into `losses`, the logits' gradient
    /// times `scale` into `gradient` when given, and the running sums of the loss and of the
    /// samples whose largest logit is their label added to `lossTotal` and `correctTotal`.
    func crossEntropy(logits output: Tensor, labels: Tensor, batch: Int, losses: Tensor, gradient: Tensor?, scale: Float,
                      lossTotal: Tensor, correctTotal: Tensor, backend: any Backend) throws {
        let logits = try output.reshaped(try Shape([batch, outputCount]))
        try backend.softmaxCrossEntropyTotals(logits: logits, labels: labels, losses: losses, gradLogits: gradient, scale: scale,
                                              lossTotal: lossTotal, correctTotal: correctTotal)
    }
}
