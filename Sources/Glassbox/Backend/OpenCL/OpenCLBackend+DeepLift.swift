extension OpenCLBackend {
    public func deepLiftRescale(gradOutput: Tensor, preactivation: Tensor, referencePreactivation: Tensor, output: Tensor,
                                referenceOutput: Tensor, activation: Activation, into gradInput: Tensor) throws {
        try ShapeChecks.deepLiftRescale(gradOutput, preactivation, referencePreactivation, output, referenceOutput, activation, gradInput)
        let code = [Activation.linear: 0, .relu: 1, .sigmoid: 2, .tanh: 3, .leakyRelu: 4][activation] ?? 0
        // One sample of the reference repeated: sampleCount of its size over the batch.
        let count = gradOutput.elementCount, sample = referencePreactivation.elementCount
        let (sampleCount, batch, referenceBatch) = sample == count ? (count, 1, 0) : (sample, count / sample, 1)
        try launch("deeplift_rescale", file: "elementwise", global: [sampleCount, batch], local: [tuning.elementwiseGroup, 1],
                   [.int(sampleCount), .int(batch), .int(referenceBatch), .int(code), .float(Activation.leakyReluSlope),
                    .buffer(try buffer(gradOutput, "deeplift")),
                    .buffer(try buffer(preactivation, "deeplift")), .buffer(try buffer(referencePreactivation, "deeplift")),
                    .buffer(try buffer(output, "deeplift")), .buffer(try buffer(referenceOutput, "deeplift")),
                    .buffer(try buffer(gradInput, "deeplift"))])
    }

    /// The max-pool rule and the rescale rule of the relu before it in one launch of
    /// `deeplift_maxpool16` where the windows are disjoint and inside the input and the
    /// channels come in sixteens; the two rules' launches otherwise.
    public func deepLiftMaxPoolRelu(gradOutput: Tensor, input: Tensor, referenceInput: Tensor, preactivation: Tensor,
                                    referencePreactivation: Tensor, output: Tensor, referenceOutput: Tensor,
                                    geometry g: Pool2DGeometry, into gradInput: Tensor) throws {
        try ShapeChecks.deepLiftMaxPool(gradOutput, input, referenceInput, output, referenceOutput, g, gradInput)
        try ShapeChecks.deepLiftRescale(gradInput, preactivation, referencePreactivation, input, referenceInput, .relu, gradInput)
        guard try vectorPoolBackward(g, zeroing: gradInput) else {
            try deepLiftMaxPoolReluUnfused(gradOutput: gradOutput, input: input, referenceInput: referenceInput, preactivation: preactivation,
                                           referencePreactivation: referencePreactivation, output: output, referenceOutput: referenceOutput,
                                           geometry: g, into: gradInput)
            return
        }
        try launchVectorDeepLiftMaxPool(gradOutput: gradOutput, input: input, referenceInput: referenceInput, output: output,
                                        referenceOutput: referenceOutput, relu: (preactivation, referencePreactivation), geometry: g, into: gradInput)
    }

    /// One launch of `deeplift_conv_block` (CPU variant: stride-1 convolution, 16-channel
    /// blocks, pooling windows that tile its output, at most 64 kernel taps, tap sums that fit
    /// the device's local memory); else the two ops.
    public func deepLiftConvReluMaxPool(gradOutput: Tensor, input: Tensor, referenceInput: Tensor, preactivation: Tensor,
                                        referencePreactivation: Tensor, output: Tensor, referenceOutput: Tensor, pool g: Pool2DGeometry,
                                        kernel: Tensor, convolution c: Conv2DGeometry, scratch: Tensor, into gradInput: Tensor) throws {
        try ShapeChecks.deepLiftMaxPool(gradOutput, input, referenceInput, output, referenceOutput, g, scratch)
        try ShapeChecks.deepLiftRescale(scratch, preactivation, referencePreactivation, input, referenceInput, .relu, scratch)
        try ShapeChecks.conv2dBackwardInput(scratch, kernel, c, gradInput)
        let taps = c.kernelHeight * c.kernelWidth * c.inputChannels
        let tapSums = c.outputHeight * c.outputWidth * taps
        guard variant == .cpu, c.strideHeight == 1, c.strideWidth == 1, c.outputChannels % 16 == 0, g.windowsTileInput, taps <= 64,
              tapSums <= Self.convBlockTapsLimit, UInt64(tapSums * MemoryLayout<Float>.size) <= device.localMemoryBytes else {
            try deepLiftConvReluMaxPoolUnfused(gradOutput: gradOutput, input: input, referenceInput: referenceInput, preactivation: preactivation,
                                               referencePreactivation: referencePreactivation, output: output, referenceOutput: referenceOutput,
                                               pool: g, kernel: kernel, convolution: c, scratch: scratch, into: gradInput)
            return
        }
        let referenceBatch = referenceInput.elementCount == input.elementCount ? g.batch : 1
        let defines: [(String, Int)] = [
            ("D_H", c.inputHeight), ("D_W", c.inputWidth), ("D_CI", c.inputChannels), ("D_KH", c.kernelHeight), ("D_KW", c.kernelWidth),
            ("D_PT", c.padTop), ("D_PL", c.padLeft), ("D_CO", c.outputChannels), ("D_OH", c.outputHeight), ("D_OW", c.outputWidth),
            ("D_PH", g.poolHeight), ("D_PW", g.poolWidth), ("D_QH", g.outputHeight), ("D_QW", g.outputWidth),
        ]
        func buffers(_ tensors: [Tensor]) throws -> [KernelArgument] { try tensors.map { .buffer(try buffer($0, "deeplift_conv_block")) } }
        try launch("deeplift_conv_block", file: "pool", defines: defines, global: [g.batch], local: [1],
                   [.int(g.batch), .int(referenceBatch)]
                    + (try buffers([gradOutput, preactivation, referencePreactivation, output, referenceOutput, kernel, gradInput])))
    }

    /// The most floats of `deeplift_conv_block`'s local tap sums (output pixels x kernel taps): 256 KiB.
    static let convBlockTapsLimit = 65_536

    /// `deeplift_maxpool16`, with the relu's rescale rule when `relu` gives its pre-activations.
    private func launchVectorDeepLiftMaxPool(gradOutput: Tensor, input: Tensor, referenceInput: Tensor, output: Tensor, referenceOutput: Tensor,
                                             relu: (Tensor, Tensor)?, geometry g: Pool2DGeometry, into gradInput: Tensor) throws {
        let referenceBatch = referenceInput.elementCount == input.elementCount ? g.batch : 1
        func buffers(_ tensors: [Tensor]) throws -> [KernelArgument] { try tensors.map { .buffer(try buffer($0, "deeplift_maxpool")) } }
        try launch1D("deeplift_maxpool16", file: "pool", count: g.batch * g.outputHeight * g.outputWidth * g.channels / 16, local: tuning.poolGroup,
                     poolArguments(g) + [.int(referenceBatch)] + (try buffers([gradOutput, input, referenceInput, output, referenceOutput]))
                        + [.flag(relu != nil)] + (try relu.map { try buffers([$0.0, $0.1]) } ?? [.buffer(placeholder), .buffer(placeholder)])
                        + (try buffers([gradInput])))
    }

    /// One launch of `deeplift_maxpool` (Kernels/pool.cl), or of its float16 form where the
    /// windows are disjoint and inside the input (as the max-pool backward pass chooses); a
    /// one-sample reference is repeated over the batch inside the kernel.
    public func deepLiftMaxPool(gradOutput: Tensor, input: Tensor, referenceInput: Tensor, output: Tensor, referenceOutput: Tensor,
                                geometry g: Pool2DGeometry, into gradInput: Tensor) throws {
        try ShapeChecks.deepLiftMaxPool(gradOutput, input, referenceInput, output, referenceOutput, g, gradInput)
        if try vectorPoolBackward(g, zeroing: gradInput) {
            try launchVectorDeepLiftMaxPool(gradOutput: gradOutput, input: input, referenceInput: referenceInput, output: output,
                                            referenceOutput: referenceOutput, relu: nil, geometry: g, into: gradInput)
        } else {
            let referenceBatch = referenceInput.elementCount == input.elementCount ? g.batch : 1
            let arguments = poolArguments(g) + [.int(referenceBatch)] + (try [gradOutput, input, referenceInput, output, referenceOutput, gradInput].map {
                KernelArgument.buffer(try buffer($0, "deeplift_maxpool"))
            })
            try launch("deeplift_maxpool", file: "pool", global: [g.channels, g.inputWidth, g.batch * g.inputHeight],
                       local: [min(g.channels, variant == .gpu ? tuning.poolGroup : 16), 1, 1], arguments)
        }
    }
}
