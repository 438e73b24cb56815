import Foundation

/// Checks that keep NaN and infinity out of training: in the inputs, the starting parameters and
/// optimizer state, the loss and parameters after a step, and everything handed back or saved.
/// Every message names the tensor (`dense.kernel`, `optimizer.dense.kernel.v`) and element.
extension Sequential {
    /// Throws naming the first sample holding NaN or infinity.
    static func checkFinite(_ values: [Float], what: String, sampleSize: Int) throws {
        if let index = NonFiniteSearch.firstIndex(in: values) {
            throw GlassboxError.nonFinite("\(what): sample \(index / sampleSize) holds \(values[index]) at value \(index % sampleSize)")
        }
    }

    /// Throws naming the first parameter tensor holding NaN or infinity.
    func checkParametersFinite() throws {
        try checkFinite(parameters: parameters, context: nil)
    }

    /// Throws naming the first tensor of `parameters` (per layer, kernel then bias) that holds NaN
    /// or infinity; `context` says when, e.g. "after epoch 3".
    func checkFinite(parameters: [[[Float]]], context: String?) throws {
        for (layer, values) in parameters.enumerated() {
            for (index, tensor) in values.enumerated() {
                if let bad = NonFiniteSearch.firstIndex(in: tensor) {
                    throw GlassboxError.nonFinite((context.map { "\($0): " } ?? "")
                        + "parameter \(parameterName(layer: layer, index: index)) holds \(tensor[bad]) at element \(bad)")
                }
            }
        }
    }

    /// Throws naming the first optimizer state tensor (Adam's moments) that holds NaN or
    /// infinity: a checkpoint's state is checked before training resumes from it.
    func checkOptimizerStateFinite(_ state: TrainingState, context: String? = nil) throws {
        for (layer, tensors) in state.slots.enumerated() {
            for (index, slots) in tensors.enumerated() {
                for (slot, values) in slots.enumerated() {
                    if let bad = NonFiniteSearch.firstIndex(in: values) {
                        let name = "optimizer.\(parameterName(layer: layer, index: index)).\(Self.slotNames[slot])"
                        throw GlassboxError.nonFinite((context.map { "\($0): " } ?? "")
                            + "optimizer state \(name) holds \(values[bad]) at element \(bad)")
                    }
                }
            }
        }
    }

    /// After an optimizer step: the loss so far, then the sum of every parameter (one number read
    /// back), must be finite.
    func checkStep(_ step: Int, epoch: Int, loss: Tensor, network: Network, gradients: [[Tensor]], scratch: Tensor) throws {
        let backend = network.backend
        guard (try backend.download(loss)[0]).isFinite else {
            throw try nonFiniteError(step: step, epoch: epoch, network: network, gradients: gradients, cause: "the loss is not finite")
        }
        try backend.fill(scratch, with: 0)
        for tensor in network.parameters.joined() { try backend.sum(tensor, into: scratch, accumulate: true) }
        guard (try backend.download(scratch)[0]).isFinite else {
            throw try nonFiniteError(step: step, epoch: epoch, network: network, gradients: gradients, cause: "the parameters are not finite")
        }
    }

    /// Names the first gradient, then parameter, tensor that is not finite after a step whose
    /// loss or parameter sum was not.
    func nonFiniteError(step: Int, epoch: Int, network: Network, gradients: [[Tensor]],
                        cause: String = "the loss is not finite") throws -> GlassboxError {
        let backend = network.backend
        let total = try backend.makeTensor(shape: [1])
        for (kind, tensors) in [("gradient of", gradients), ("parameter", network.parameters)] {
            for (layer, values) in tensors.enumerated() {
                for (index, tensor) in values.enumerated() {
                    try backend.sum(tensor, into: total)
                    let sum = try backend.download(total)[0]
                    if !sum.isFinite {
                        return .nonFinite("training step \(step) (epoch \(epoch)): \(cause); first non-finite tensor: \(kind) \(parameterName(layer: layer, index: index)) (sum \(sum)); lower the learning rate or check the data")
                    }
                }
            }
        }
        return .nonFinite("training step \(step) (epoch \(epoch)): \(cause) while gradients and parameters are; check the data and labels")
    }
}
