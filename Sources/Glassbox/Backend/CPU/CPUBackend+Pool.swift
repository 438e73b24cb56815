extension CPUBackend {
    public func maxPool2dForward(input: Tensor, geometry g: Pool2DGeometry, into output: Tensor) throws {
        try ShapeChecks.pool(input, g, output)
        let x = try host(input, "maxpool2d"), y = try host(output, "maxpool2d")
        for n in 0..<g.batch {
            for oh in 0..<g.outputHeight {
                for ow in 0..<g.outputWidth {
                    for c in 0..<g.channels {
                        y[((n * g.outputHeight + oh) * g.outputWidth + ow) * g.channels + c] = x[windowMaximum(g, x, n, oh, ow, c)]
                    }
                }
            }
        }
    }

    public func maxPool2dBackward(input: Tensor, gradOutput: Tensor, geometry g: Pool2DGeometry, into gradInput: Tensor) throws {
        try ShapeChecks.poolBackward(input, gradOutput, g, gradInput)
        let x = try host(input, "maxpool2d backward"), gy = try host(gradOutput, "maxpool2d backward")
        let gx = try host(gradInput, "maxpool2d backward")
        var sums = [Double](repeating: 0, count: input.elementCount)
        for n in 0..<g.batch {
            for oh in 0..<g.outputHeight {
                for ow in 0..<g.outputWidth {
                    for c in 0..<g.channels {
                        sums[windowMaximum(g, x, n, oh, ow, c)] += Double(gy[((n * g.outputHeight + oh) * g.outputWidth + ow) * g.channels + c])
                    }
                }
            }
        }
        for i in 0..<sums.count { gx[i] = Float(sums[i]) }
    }

    /// The flat index of the first largest element of a window inside the input, in row-major
    /// window order.
    private func windowMaximum(_ g: Pool2DGeometry, _ x: UnsafeMutableBufferPointer<Float>, _ n: Int, _ oh: Int, _ ow: Int, _ c: Int) -> Int {
        var best = -1
        for h in g.windowRows(oh) {
            for w in g.windowColumns(ow) {
                let index = ((n * g.inputHeight + h) * g.inputWidth + w) * g.channels + c
                if best < 0 || x[index] > x[best] { best = index }
            }
        }
        return best
    }
}

extension Pool2DGeometry {
    /// The input rows of window row `oh` (inside the input).
    func windowRows(_ oh: Int) -> Range<Int> { max(oh * strideHeight - padTop, 0)..<min(oh * strideHeight - padTop + poolHeight, inputHeight) }
    /// The input columns of window column `ow` (inside the input).
    func windowColumns(_ ow: Int) -> Range<Int> { max(ow * strideWidth - padLeft, 0)..<min(ow * strideWidth - padLeft + poolWidth, inputWidth) }
}
