extension Backend {
    /// The loss head as three ops (the CPU reference): the fused loss, a sum, an accuracy count.
    public func softmaxCrossEntropyTotals(logits: Tensor, labels: Tensor, losses: Tensor, gradLogits: Tensor?, scale: Float,
                                          lossTotal: Tensor, correctTotal: Tensor) throws {
        try softmaxCrossEntropy(logits: logits, labels: labels, losses: losses, gradLogits: gradLogits, scale: scale)
        try sum(losses, into: lossTotal, accumulate: true)
        try accuracyCount(logits: logits, labels: labels, into: correctTotal, accumulate: true)
    }
}
