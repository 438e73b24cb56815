import Foundation

extension CPUBackend {
    public func relu(_ x: Tensor, into y: Tensor) throws {
        try ShapeChecks.same("relu output", x.shape, y)
        let x = try host(x, "relu"), y = try host(y, "relu")
        for i in 0..<x.count where i < y.count { y[i] = max(x[i], 0) }
    }

    public func reluBackward(gradOutput: Tensor, input: Tensor, into gradInput: Tensor) throws {
        try ShapeChecks.same("relu backward", gradOutput.shape, input, gradInput)
        let g = try host(gradOutput, "relu backward"), x = try host(input, "relu backward")
        let gi = try host(gradInput, "relu backward")
        for i in 0..<gradOutput.elementCount { gi[i] = x[i] > 0 ? g[i] : 0 }
    }

    public func leakyRelu(_ x: Tensor, slope: Float, into y: Tensor) throws {
        try ShapeChecks.same("leaky relu output", x.shape, y)
        let x = try host(x, "leaky relu"), y = try host(y, "leaky relu")
        for i in 0..<x.count where i < y.count { y[i] = x[i] > 0 ? x[i] : x[i].isNaN ? x[i] : slope * x[i] }
    }

    public func leakyReluBackward(gradOutput: Tensor, output: Tensor, slope: Float, into gradInput: Tensor) throws {
        try ShapeChecks.same("leaky relu backward", gradOutput.shape, output, gradInput)
        let g = try host(gradOutput, "leaky relu backward"), y = try host(output, "leaky relu backward")
        let gi = try host(gradInput, "leaky relu backward")
        for i in 0..<gradOutput.elementCount { gi[i] = y[i] > 0 ? g[i] : slope * g[i] }
    }

    public func sigmoid(_ x: Tensor, into y: Tensor) throws {
        try ShapeChecks.same("sigmoid output", x.shape, y)
        let x = try host(x, "sigmoid"), y = try host(y, "sigmoid")
        for i in 0..<x.count where i < y.count { y[i] = Float(1 / (1 + exp(-Double(x[i])))) }
    }

    public func sigmoidBackward(gradOutput: Tensor, output: Tensor, into gradInput: Tensor) throws {
        try ShapeChecks.same("sigmoid backward", gradOutput.shape, output, gradInput)
        let g = try host(gradOutput, "sigmoid backward"), y = try host(output, "sigmoid backward")
        let gi = try host(gradInput, "sigmoid backward")
        for i in 0..<gradOutput.elementCount { gi[i] = Float(Double(g[i]) * Double(y[i]) * (1 - Double(y[i]))) }
    }

    public func tanh(_ x: Tensor, into y: Tensor) throws {
        try ShapeChecks.same("tanh output", x.shape, y)
        let x = try host(x, "tanh"), y = try host(y, "tanh")
        for i in 0..<x.count where i < y.count { y[i] = Float(Foundation.tanh(Double(x[i]))) }
    }

    public func tanhBackward(gradOutput: Tensor, output: Tensor, into gradInput: Tensor) throws {
        try ShapeChecks.same("tanh backward", gradOutput.shape, output, gradInput)
        let g = try host(gradOutput, "tanh backward"), y = try host(output, "tanh backward")
        let gi = try host(gradInput, "tanh backward")
        for i in 0..<gradOutput.elementCount { gi[i] = Float(Double(g[i]) * (1 - Double(y[i]) * Double(y[i]))) }
    }

    public func dropout(_ x: Tensor, into y: Tensor, rate: Float, seed: UInt32) throws {
        try ShapeChecks.same("dropout output", x.shape, y)
        let mask = try DropoutMask(rate: rate, seed: seed)
        let x = try host(x, "dropout"), y = try host(y, "dropout")
        for i in 0..<min(x.count, y.count) { y[i] = mask.keeps(i) ? x[i] * mask.scale : 0 }
    }

    public func softmax(_ logits: Tensor, into probabilities: Tensor) throws {
        let (rows, classes) = try ShapeChecks.matrix("softmax logits", logits)
        try ShapeChecks.same("softmax output", logits.shape, probabilities)
        let z = try host(logits, "softmax"), p = try host(probabilities, "softmax")
        for row in 0..<rows {
            let values = (0..<classes).map { Double(z[row * classes + $0]) }
            let largest = values.max()!
            let total = values.reduce(0.0) { $0 + exp($1 - largest) }
            for c in 0..<classes { p[row * classes + c] = Float(exp(values[c] - largest) / total) }
        }
    }

    public func softmaxBackward(probabilities: Tensor, gradOutput: Tensor, into gradLogits: Tensor) throws {
        let (rows, classes) = try ShapeChecks.matrix("softmax backward probabilities", probabilities)
        try ShapeChecks.same("softmax backward", probabilities.shape, gradOutput, gradLogits)
        let p = try host(probabilities, "softmax backward"), g = try host(gradOutput, "softmax backward")
        let gl = try host(gradLogits, "softmax backward")
        for row in 0..<rows {
            var dot = 0.0
            for c in 0..<classes { dot += Double(g[row * classes + c]) * Double(p[row * classes + c]) }
            for c in 0..<classes {
                let i = row * classes + c
                gl[i] = Float(Double(p[i]) * (Double(g[i]) - dot))
            }
        }
    }
}
