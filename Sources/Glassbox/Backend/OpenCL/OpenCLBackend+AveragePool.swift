/// Average pooling (`Kernels/pool.cl`).
extension OpenCLBackend {
    public func averagePool2dForward(input: Tensor, geometry g: Pool2DGeometry, into output: Tensor) throws {
        try ShapeChecks.pool(input, g, output)
        try launch("avgpool2d_forward", file: "pool", global: [g.channels, g.outputWidth, g.batch * g.outputHeight],
                   local: [min(g.channels, 16), 1, 1],
                   poolArguments(g) + [.buffer(try buffer(input, "avgpool2d")), .buffer(try buffer(output, "avgpool2d"))])
    }

    public func averagePool2dBackward(gradOutput: Tensor, geometry g: Pool2DGeometry, into gradInput: Tensor) throws {
        try ShapeChecks.same("avgpool2d backward gradOutput", g.outputShape, gradOutput)
        try ShapeChecks.same("avgpool2d backward gradInput", g.inputShape, gradInput)
        try launch("avgpool2d_backward", file: "pool", global: [g.channels, g.inputWidth, g.batch * g.inputHeight],
                   local: [min(g.channels, 16), 1, 1],
                   poolArguments(g) + [.buffer(try buffer(gradOutput, "avgpool2d backward")), .buffer(try buffer(gradInput, "avgpool2d backward"))])
    }
}
