extension CPUBackend {
    /// `output[n, oh, ow, co] = bias[co] + sum_{kh, kw, ci} input[n, oh*sh + kh - pt, ow*sw + kw - pl, ci]
    /// * kernel[kh, kw, ci, co]`, zero outside the input.
    public func conv2dForward(input: Tensor, kernel: Tensor, bias: Tensor?, geometry g: Conv2DGeometry, into output: Tensor) throws {
        try ShapeChecks.conv2dForward(input, kernel, bias, g, output)
        let x = try host(input, "conv2d"), w = try host(kernel, "conv2d"), y = try host(output, "conv2d")
        let b = try bias.map { try host($0, "conv2d") }
        parallelFor(g.batch * g.outputHeight, work: Int(g.forwardFLOPs)) { nh in
            let n = nh / g.outputHeight, oh = nh % g.outputHeight
            for ow in 0..<g.outputWidth {
                for co in 0..<g.outputChannels {
                    var total = b.map { Double($0[co]) } ?? 0
                    for kh in 0..<g.kernelHeight {
                        for kw in 0..<g.kernelWidth {
                            guard let pixel = inputPixel(g, n, oh, ow, kh, kw) else { continue }
                            for ci in 0..<g.inputChannels {
                                total += Double(x[pixel + ci]) * Double(w[kernelIndex(g, kh, kw, ci, co)])
                            }
                        }
                    }
                    y[outputIndex(g, n, oh, ow, co)] = Float(total)
                }
            }
        }
    }

    /// Scatters each output gradient back through the window that produced it. The batch is split
    /// across cores; within an image the order is fixed, so the result is deterministic.
    public func conv2dBackwardInput(gradOutput: Tensor, kernel: Tensor, geometry g: Conv2DGeometry, into gradInput: Tensor) throws {
        try ShapeChecks.conv2dBackwardInput(gradOutput, kernel, g, gradInput)
        let gy = try host(gradOutput, "conv2d backward"), w = try host(kernel, "conv2d backward")
        let gx = try host(gradInput, "conv2d backward")
        let imageSize = g.inputHeight * g.inputWidth * g.inputChannels
        parallelFor(g.batch, work: Int(g.forwardFLOPs)) { n in
            var sums = [Double](repeating: 0, count: imageSize)
            for oh in 0..<g.outputHeight {
                for ow in 0..<g.outputWidth {
                    for kh in 0..<g.kernelHeight {
                        for kw in 0..<g.kernelWidth {
                            guard let pixel = inputPixel(g, n, oh, ow, kh, kw) else { continue }
                            for ci in 0..<g.inputChannels {
                                for co in 0..<g.outputChannels {
                                    sums[pixel - n * imageSize + ci] +=
                                        Double(gy[outputIndex(g, n, oh, ow, co)]) * Double(w[kernelIndex(g, kh, kw, ci, co)])
                                }
                            }
                        }
                    }
                }
            }
            for i in 0..<imageSize { gx[n * imageSize + i] = Float(sums[i]) }
        }
    }

    /// `kernelGradient[kh, kw, ci, co] = sum_{n, oh, ow} input[n, ih, iw, ci] * gradOutput[n, oh, ow, co]`
    /// and `biasGradient[co] = sum_{n, oh, ow} gradOutput[n, oh, ow, co]`.
    public func conv2dBackwardKernel(input: Tensor, gradOutput: Tensor, geometry g: Conv2DGeometry,
                                     kernelGradient: Tensor, biasGradient: Tensor?) throws {
        try ShapeChecks.conv2dBackwardKernel(input, gradOutput, g, kernelGradient, biasGradient)
        let x = try host(input, "conv2d backward"), gy = try host(gradOutput, "conv2d backward")
        let gw = try host(kernelGradient, "conv2d backward")
        let gb = try biasGradient.map { try host($0, "conv2d backward") }
        let kernelRows = g.kernelHeight * g.kernelWidth * g.inputChannels
        parallelFor(kernelRows, work: Int(g.forwardFLOPs)) { row in
            let ci = row % g.inputChannels, kw = (row / g.inputChannels) % g.kernelWidth
            let kh = row / (g.inputChannels * g.kernelWidth)
            var sums = [Double](repeating: 0, count: g.outputChannels)
            for n in 0..<g.batch {
                for oh in 0..<g.outputHeight {
                    for ow in 0..<g.outputWidth {
                        guard let pixel = inputPixel(g, n, oh, ow, kh, kw) else { continue }
                        let value = Double(x[pixel + ci])
                        for co in 0..<g.outputChannels { sums[co] += value * Double(gy[outputIndex(g, n, oh, ow, co)]) }
                    }
                }
            }
            for co in 0..<g.outputChannels { gw[row * g.outputChannels + co] = Float(sums[co]) }
        }
        if let gb {
            for co in 0..<g.outputChannels {
                var total = 0.0
                for position in 0..<(g.batch * g.outputHeight * g.outputWidth) { total += Double(gy[position * g.outputChannels + co]) }
                gb[co] = Float(total)
            }
        }
    }

    /// The flat index of channel 0 of the input pixel under kernel tap (kh, kw) of output (oh, ow),
    /// or nil when it falls in the zero padding.
    private func inputPixel(_ g: Conv2DGeometry, _ n: Int, _ oh: Int, _ ow: Int, _ kh: Int, _ kw: Int) -> Int? {
        let ih = oh * g.strideHeight + kh - g.padTop, iw = ow * g.strideWidth + kw - g.padLeft
        guard ih >= 0, ih < g.inputHeight, iw >= 0, iw < g.inputWidth else { return nil }
        return ((n * g.inputHeight + ih) * g.inputWidth + iw) * g.inputChannels
    }

    private func kernelIndex(_ g: Conv2DGeometry, _ kh: Int, _ kw: Int, _ ci: Int, _ co: Int) -> Int {
        ((kh * g.kernelWidth + kw) * g.inputChannels + ci) * g.outputChannels + co
    }

    private func outputIndex(_ g: Conv2DGeometry, _ n: Int, _ oh: Int, _ ow: Int, _ co: Int) -> Int {
        ((n * g.outputHeight + oh) * g.outputWidth + ow) * g.outputChannels + co
    }
}
