extension CPUBackend {
    public func averagePool2dForward(input: Tensor, geometry g: Pool2DGeometry, into output: Tensor) throws {
        try ShapeChecks.pool(input, g, output)
        let x = try host(input, "avgpool2d"), y = try host(output, "avgpool2d")
        let area = Double(g.poolHeight * g.poolWidth)
        for n in 0..<g.batch {
            for oh in 0..<g.outputHeight {
                for ow in 0..<g.outputWidth {
                    for c in 0..<g.channels {
                        var total = 0.0
                        for ph in 0..<g.poolHeight {
                            for pw in 0..<g.poolWidth {
                                total += Double(x[((n * g.inputHeight + oh * g.strideHeight + ph) * g.inputWidth + ow * g.strideWidth + pw) * g.channels + c])
                            }
                        }
                        y[((n * g.outputHeight + oh) * g.outputWidth + ow) * g.channels + c] = Float(total / area)
                    }
                }
            }
        }
    }

    public func averagePool2dBackward(gradOutput: Tensor, geometry g: Pool2DGeometry, into gradInput: Tensor) throws {
        try ShapeChecks.same("avgpool2d backward gradOutput", g.outputShape, gradOutput)
        try ShapeChecks.same("avgpool2d backward gradInput", g.inputShape, gradInput)
        let gy = try host(gradOutput, "avgpool2d backward"), gx = try host(gradInput, "avgpool2d backward")
        let area = Double(g.poolHeight * g.poolWidth)
        var sums = [Double](repeating: 0, count: gradInput.elementCount)
        for n in 0..<g.batch {
            for oh in 0..<g.outputHeight {
                for ow in 0..<g.outputWidth {
                    for c in 0..<g.channels {
                        let share = Double(gy[((n * g.outputHeight + oh) * g.outputWidth + ow) * g.channels + c]) / area
                        for ph in 0..<g.poolHeight {
                            for pw in 0..<g.poolWidth {
                                sums[((n * g.inputHeight + oh * g.strideHeight + ph) * g.inputWidth + ow * g.strideWidth + pw) * g.channels + c] += share
                            }
                        }
                    }
                }
            }
        }
        for i in 0..<sums.count { gx[i] = Float(sums[i]) }
    }
}
