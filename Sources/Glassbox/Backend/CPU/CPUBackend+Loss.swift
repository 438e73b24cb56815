import Foundation

extension CPUBackend {
    /// `losses[r] = logsumexp(z_r) - z_r[label_r]`, computed as `max + log(sum exp(z - max))`
    /// so that logits of any size stay finite; the gradient is `scale * (softmax(z) - onehot)`.
    public func softmaxCrossEntropy(logits: Tensor, labels: Tensor, losses: Tensor, gradLogits: Tensor?, scale: Float) throws {
        let (rows, classes) = try ShapeChecks.crossEntropy(logits, labels, losses, gradLogits)
        let z = try host(logits, "softmax_cross_entropy"), y = try host(labels, "softmax_cross_entropy")
        let loss = try host(losses, "softmax_cross_entropy")
        let grad = try gradLogits.map { try host($0, "softmax_cross_entropy") }
        for row in 0..<rows {
            let values = (0..<classes).map { Double(z[row * classes + $0]) }
            let largest = values.max()!
            let total = values.reduce(0.0) { $0 + exp($1 - largest) }
            let label = Self.classIndex(y[row], classes: classes)
            loss[row] = label.map { Float(log(total) + largest - values[$0]) } ?? .nan
            if let grad {
                for c in 0..<classes {
                    let probability = exp(values[c] - largest) / total
                    grad[row * classes + c] = label.map { Float(Double(scale) * (probability - ($0 == c ? 1 : 0))) } ?? .nan
                }
            }
        }
    }

    public func argmax(_ x: Tensor, into indices: Tensor) throws {
        let (rows, classes) = try ShapeChecks.matrix("argmax", x)
        try ShapeChecks.same("argmax output", [rows], indices)
        let values = try host(x, "argmax"), out = try host(indices, "argmax")
        for row in 0..<rows { out[row] = Float(Self.rowArgmax(values, row: row, classes: classes)) }
    }

    public func accuracyCount(logits: Tensor, labels: Tensor, into count: Tensor, accumulate: Bool) throws {
        let (rows, classes) = try ShapeChecks.matrix("accuracy logits", logits)
        try ShapeChecks.same("accuracy labels", [rows], labels)
        try ShapeChecks.same("accuracy count", [1], count)
        let values = try host(logits, "accuracy"), y = try host(labels, "accuracy"), out = try host(count, "accuracy")
        var correct = 0
        for row in 0..<rows where Float(Self.rowArgmax(values, row: row, classes: classes)) == y[row] { correct += 1 }
        out[0] = accumulate ? out[0] + Float(correct) : Float(correct)
    }

    public func sum(_ x: Tensor, into result: Tensor, accumulate: Bool) throws {
        try ShapeChecks.same("sum output", [1], result)
        let values = try host(x, "sum"), out = try host(result, "sum")
        var total = 0.0
        for i in 0..<x.elementCount { total += Double(values[i]) }
        out[0] = accumulate ? Float(Double(out[0]) + total) : Float(total)
    }

    /// The class a float label names, or nil when it is no integer in `0..<classes`.
    static func classIndex(_ label: Float, classes: Int) -> Int? {
        guard label >= 0, label < Float(classes), label.rounded(.towardZero) == label else { return nil }
        return Int(label)
    }

    static func rowArgmax(_ x: UnsafeMutableBufferPointer<Float>, row: Int, classes: Int) -> Int {
        var best = 0
        for c in 1..<max(classes, 1) where x[row * classes + c] > x[row * classes + best] { best = c }
        return best
    }
}
