extension CPUBackend {
    public func averagePool2dForward(input: Tensor, geometry g: Pool2DGeometry, into output: Tensor) throws {
        try ShapeChecks.pool(input, g, output)
        let x = try host(input, "avgpool2d"), y = try host(output, "avgpool2d")
        for n in 0..<g.batch {
            for oh in 0..<g.outputHeight {
                for ow in 0..<g.outputWidth {
                    let rows = g.windowRows(oh), columns = g.windowColumns(ow)
                    for c in 0..<g.channels {
                        var total = 0.0
                        for h in rows {
                            for w in columns { total += Double(x[((n * g.inputHeight + h) * g.inputWidth + w) * g.channels + c]) }
                        }
                        y[((n * g.outputHeight + oh) * g.outputWidth + ow) * g.channels + c] = Float(total / Double(rows.count * columns.count))
                    }
                }
            }
        }
    }

    public func averagePool2dBackward(gradOutput: Tensor, geometry g: Pool2DGeometry, into gradInput: Tensor) throws {
        try ShapeChecks.same("avgpool2d backward gradOutput", g.outputShape, gradOutput)
        try ShapeChecks.same("avgpool2d backward gradInput", g.inputShape, gradInput)
        let gy = try host(gradOutput, "avgpool2d backward"), gx = try host(gradInput, "avgpool2d backward")
        var sums = [Double](repeating: 0, count: gradInput.elementCount)
        for n in 0..<g.batch {
            for oh in 0..<g.outputHeight {
                for ow in 0..<g.outputWidth {
                    let rows = g.windowRows(oh), columns = g.windowColumns(ow)
                    for c in 0..<g.channels {
                        let share = Double(gy[((n * g.outputHeight + oh) * g.outputWidth + ow) * g.channels + c]) / Double(rows.count * columns.count)
                        for h in rows {
                            for w in columns { sums[((n * g.inputHeight + h) * g.inputWidth + w) * g.channels + c] += share }
                        }
                    }
                }
            }
        }
        for i in 0..<sums.count { gx[i] = Float(sums[i]) }
    }
}
