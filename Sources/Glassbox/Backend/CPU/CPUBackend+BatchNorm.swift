import Foundation

/// Batch normalisation over the last axis (the reference twins of `Kernels/batchnorm.cl`), in
/// Double.
extension CPUBackend {
    public func batchNormStatistics(_ x: Tensor, channels: Int, mean: Tensor, variance: Tensor) throws {
        try ShapeChecks.batchNorm(x, channels: channels, [("mean", mean), ("variance", variance)])
        let v = try host(x, "batch norm statistics"), m = try host(mean, "batch norm statistics"), s = try host(variance, "batch norm statistics")
        let rows = x.elementCount / channels
        for c in 0..<channels {
            var total = 0.0
            for r in 0..<rows { total += Double(v[r * channels + c]) }
            let average = total / Double(rows)
            var squares = 0.0
            for r in 0..<rows { let d = Double(v[r * channels + c]) - average; squares += d * d }
            m[c] = Float(average)
            s[c] = Float(squares / Double(rows))
        }
    }

    public func batchNormForward(_ x: Tensor, mean: Tensor, variance: Tensor, gamma: Tensor, beta: Tensor, epsilon: Float,
                                 into y: Tensor) throws {
        let channels = gamma.elementCount
        try ShapeChecks.batchNormForward(x, mean, variance, gamma, beta, y)
        let v = try host(x, "batch norm"), m = try host(mean, "batch norm"), s = try host(variance, "batch norm")
        let g = try host(gamma, "batch norm"), b = try host(beta, "batch norm"), out = try host(y, "batch norm")
        for i in 0..<x.elementCount {
            let c = i % channels
            out[i] = Float(Double(g[c]) * (Double(v[i]) - Double(m[c])) / (Double(s[c]) + Double(epsilon)).squareRoot() + Double(b[c]))
        }
    }

    public func batchNormBackward(gradOutput: Tensor, input: Tensor, mean: Tensor, variance: Tensor, gamma: Tensor, epsilon: Float,
                                  gradInput: Tensor, gradGamma: Tensor, gradBeta: Tensor) throws {
        let channels = gamma.elementCount
        try ShapeChecks.batchNormBackward(gradOutput, input, mean, variance, gamma, gradInput, gradGamma, gradBeta)
        let g = try host(gradOutput, "batch norm backward"), x = try host(input, "batch norm backward")
        let m = try host(mean, "batch norm backward"), s = try host(variance, "batch norm backward"), w = try host(gamma, "batch norm backward")
        let gx = try host(gradInput, "batch norm backward"), gg = try host(gradGamma, "batch norm backward"), gb = try host(gradBeta, "batch norm backward")
        let rows = input.elementCount / channels
        for c in 0..<channels {
            let inverse = 1 / (Double(s[c]) + Double(epsilon)).squareRoot()
            var sumG = 0.0, sumGX = 0.0
            for r in 0..<rows {
                let i = r * channels + c
                sumG += Double(g[i])
                sumGX += Double(g[i]) * (Double(x[i]) - Double(m[c])) * inverse
            }
            gg[c] = Float(sumGX)
            gb[c] = Float(sumG)
            for r in 0..<rows {
                let i = r * channels + c
                let xhat = (Double(x[i]) - Double(m[c])) * inverse
                gx[i] = Float(Double(w[c]) * inverse / Double(rows) * (Double(rows) * Double(g[i]) - sumG - xhat * sumGX))
            }
        }
    }

    public func movingAverage(_ moving: Tensor, toward value: Tensor, momentum: Float) throws {
        try ShapeChecks.count("moving average", value, moving.elementCount, "\(moving.shape)")
        let m = try host(moving, "moving average"), v = try host(value, "moving average")
        for i in 0..<moving.elementCount { m[i] = Float(Double(momentum) * Double(m[i]) + (1 - Double(momentum)) * Double(v[i])) }
    }
}
