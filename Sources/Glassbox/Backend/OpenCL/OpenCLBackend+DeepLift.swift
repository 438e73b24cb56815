extension OpenCLBackend {
    public func deepLiftRescale(gradOutput: Tensor, preactivation: Tensor, referencePreactivation: Tensor, output: Tensor,
                                referenceOutput: Tensor, activation: Activation, into gradInput: Tensor) throws {
        try ShapeChecks.deepLiftRescale(gradOutput, preactivation, referencePreactivation, output, referenceOutput, activation, gradInput)
        let code = [Activation.linear: 0, .relu: 1, .sigmoid: 2, .tanh: 3, .leakyRelu: 4][activation] ?? 0
        try launch1D("deeplift_rescale", file: "elementwise", count: gradOutput.elementCount,
                     [.int(gradOutput.elementCount), .int(code), .float(Activation.leakyReluSlope), .buffer(try buffer(gradOutput, "deeplift")),
                      .buffer(try buffer(preactivation, "deeplift")), .buffer(try buffer(referencePreactivation, "deeplift")),
                      .buffer(try buffer(output, "deeplift")), .buffer(try buffer(referenceOutput, "deeplift")),
                      .buffer(try buffer(gradInput, "deeplift"))])
    }

    public func deepLiftMaxPool(gradOutput: Tensor, input: Tensor, referenceInput: Tensor, output: Tensor, referenceOutput: Tensor,
                                geometry g: Pool2DGeometry, into gradInput: Tensor) throws {
        try ShapeChecks.deepLiftMaxPool(gradOutput, input, referenceInput, output, referenceOutput, g, gradInput)
        let towardX = try makeTensor(shape: g.outputShape), towardR = try makeTensor(shape: g.outputShape)
        try launch1D("deeplift_maxpool_split", file: "elementwise", count: gradOutput.elementCount,
                     [.int(gradOutput.elementCount), .buffer(try buffer(gradOutput, "deeplift")), .buffer(try buffer(output, "deeplift")),
                      .buffer(try buffer(referenceOutput, "deeplift")), .buffer(try buffer(towardX, "deeplift")),
                      .buffer(try buffer(towardR, "deeplift"))])
        let routedX = try makeTensor(shape: g.inputShape), routedR = try makeTensor(shape: g.inputShape)
        try maxPool2dBackward(input: input, gradOutput: towardX, geometry: g, into: routedX)
        try maxPool2dBackward(input: referenceInput, gradOutput: towardR, geometry: g, into: routedR)
        try launch1D("deeplift_maxpool_combine", file: "elementwise", count: input.elementCount,
                     [.int(input.elementCount), .buffer(try buffer(routedX, "deeplift")), .buffer(try buffer(routedR, "deeplift")),
                      .buffer(try buffer(input, "deeplift")), .buffer(try buffer(referenceInput, "deeplift")),
                      .buffer(try buffer(gradInput, "deeplift"))])
    }
}
