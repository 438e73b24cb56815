/// Batch normalisation over the last axis (`Kernels/batchnorm.cl`).
extension OpenCLBackend {
    public func batchNormStatistics(_ x: Tensor, channels: Int, mean: Tensor, variance: Tensor) throws {
        try ShapeChecks.batchNorm(x, channels: channels, [("mean", mean), ("variance", variance)])
        try launch1D("batchnorm_statistics", file: "batchnorm", count: channels, local: min(channels, 16),
                     [.int(x.elementCount / channels), .int(channels), .buffer(try buffer(x, "batch norm statistics")),
                      .buffer(try buffer(mean, "batch norm statistics")), .buffer(try buffer(variance, "batch norm statistics"))])
    }

    public func batchNormForward(_ x: Tensor, mean: Tensor, variance: Tensor, gamma: Tensor, beta: Tensor, epsilon: Float,
                                 into y: Tensor) throws {
        let channels = gamma.elementCount
        try ShapeChecks.batchNormForward(x, mean, variance, gamma, beta, y)
        try launch1D("batchnorm_forward", file: "batchnorm", count: x.elementCount,
                     [.int(x.elementCount), .int(channels), .float(epsilon), .buffer(try buffer(x, "batch norm")),
                      .buffer(try buffer(mean, "batch norm")), .buffer(try buffer(variance, "batch norm")),
                      .buffer(try buffer(gamma, "batch norm")), .buffer(try buffer(beta, "batch norm")), .buffer(try buffer(y, "batch norm"))])
    }

    public func batchNormBackward(gradOutput: Tensor, input: Tensor, mean: Tensor, variance: Tensor, gamma: Tensor, epsilon: Float,
                                  gradInput: Tensor, gradGamma: Tensor, gradBeta: Tensor) throws {
        let channels = gamma.elementCount
        try ShapeChecks.batchNormBackward(gradOutput, input, mean, variance, gamma, gradInput, gradGamma, gradBeta)
        let rows = input.elementCount / channels
        let g = try buffer(gradOutput, "batch norm backward"), x = try buffer(input, "batch norm backward")
        let m = try buffer(mean, "batch norm backward"), v = try buffer(variance, "batch norm backward")
        let gg = try buffer(gradGamma, "batch norm backward"), gb = try buffer(gradBeta, "batch norm backward")
        try launch1D("batchnorm_backward_reduce", file: "batchnorm", count: channels, local: min(channels, 16),
                     [.int(rows), .int(channels), .float(epsilon), .buffer(g), .buffer(x), .buffer(m), .buffer(v), .buffer(gg), .buffer(gb)])
        try launch1D("batchnorm_backward_input", file: "batchnorm", count: input.elementCount,
                     [.int(input.elementCount), .int(rows), .int(channels), .float(epsilon), .buffer(g), .buffer(x), .buffer(m), .buffer(v),
                      .buffer(try buffer(gamma, "batch norm backward")), .buffer(gg), .buffer(gb),
                      .buffer(try buffer(gradInput, "batch norm backward"))])
    }

    public func movingAverage(_ moving: Tensor, toward value: Tensor, momentum: Float) throws {
        try ShapeChecks.count("moving average", value, moving.elementCount, "\(moving.shape)")
        try launch1D("moving_average", file: "batchnorm", count: moving.elementCount,
                     [.int(moving.elementCount), .float(momentum), .buffer(try buffer(moving, "moving average")),
                      .buffer(try buffer(value, "moving average"))])
    }
}
