extension OpenCLBackend {
    /// The 13 integer sizes every conv kernel takes first (`CONV_SHAPE_ARGS` in `conv2d.cl`).
    private func shapeArguments(_ g: Conv2DGeometry) -> [KernelArgument] {
        [g.batch, g.inputHeight, g.inputWidth, g.inputChannels, g.kernelHeight, g.kernelWidth, g.outputChannels,
         g.outputHeight, g.outputWidth, g.strideHeight, g.strideWidth, g.padTop, g.padLeft].map { .int($0) }
    }

    public func conv2dPoolForward(input: Tensor, kernel: Tensor, bias: Tensor?, geometry g: Conv2DGeometry, pool: Pool2DGeometry?,
                                  activation: Activation, into output: Tensor) throws {
        try ShapeChecks.conv2dOperands(input, kernel, bias, g)
        try ShapeChecks.conv2dPool(g, pool, activation, output)
        guard g.outputChannels % 16 == 0 else {
            // No specialised kernel for this channel count: the three ops one after another.
            let convolved = pool == nil ? output : try makeTensor(shape: g.outputShape)
            try conv2dForward(input: input, kernel: kernel, bias: bias, geometry: g, into: convolved)
            try activation.apply(self, convolved)
            if let pool { try maxPool2dForward(input: convolved, geometry: pool, into: output) }
            return
        }
        try launchSpecialized(input: input, kernel: kernel, bias: bias, geometry: g, pool: pool, activation: activation, into: output)
    }

    /// One launch of `conv2d_pool_forward_specialized` that also writes the activations
    /// (`S_KEEP`) when the output channels come in 16s; else the three ops.
    public func conv2dActivationPoolForward(input: Tensor, kernel: Tensor, bias: Tensor?, geometry g: Conv2DGeometry, pool: Pool2DGeometry,
                                            activation: Activation, activations: Tensor, into output: Tensor) throws {
        try ShapeChecks.conv2dOperands(input, kernel, bias, g)
        try ShapeChecks.conv2dActivationPool(g, pool, activation, activations, output)
        guard g.outputChannels % 16 == 0 else {
            try conv2dActivationPoolForwardUnfused(input: input, kernel: kernel, bias: bias, geometry: g, pool: pool,
                                                   activation: activation, activations: activations, into: output)
            return
        }
        try launchSpecialized(input: input, kernel: kernel, bias: bias, geometry: g, pool: pool, activation: activation,
                              activations: activations, into: output)
    }

    /// `conv2d_pool_forward_specialized` with the geometry as compile-time constants; with
    /// `activations`, the pooling windows tile the convolution's output.
    private func launchSpecialized(input: Tensor, kernel: Tensor, bias: Tensor?, geometry g: Conv2DGeometry, pool: Pool2DGeometry?,
                                   activation: Activation, activations: Tensor? = nil, into output: Tensor) throws {
        let activationCode: Int
        switch activation {
        case .linear: activationCode = 0
        case .relu: activationCode = 1
        case .sigmoid: activationCode = 2
        case .tanh: activationCode = 3
        case .leakyRelu: activationCode = 4
        case .softmax: throw GlassboxError.invalidArgument(operation: "conv2d_pool", reason: "softmax cannot be fused")
        }
        let bounds = g.padTop > 0 || g.padLeft > 0 || (g.outputHeight - 1) * g.strideHeight + g.kernelHeight > g.inputHeight
            || (g.outputWidth - 1) * g.strideWidth + g.kernelWidth > g.inputWidth
        let blocks = g.outputChannels % (16 * tuning.convBlocks) == 0 ? tuning.convBlocks : 1
        let rowLength = pool?.outputWidth ?? g.outputWidth
        let run = min(tuning.convRun, rowLength)
        let defines: [(String, Int)] = [
            ("S_H", g.inputHeight), ("S_W", g.inputWidth), ("S_CI", g.inputChannels), ("S_CO", g.outputChannels),
            ("S_KH", g.kernelHeight), ("S_KW", g.kernelWidth), ("S_SH", g.strideHeight), ("S_SW", g.strideWidth),
            ("S_PT", g.padTop), ("S_PL", g.padLeft),
            ("S_PH", pool?.poolHeight ?? 1), ("S_PW", pool?.poolWidth ?? 1),
            ("S_QSH", pool?.strideHeight ?? 1), ("S_QSW", pool?.strideWidth ?? 1),
            ("S_QH", pool?.outputHeight ?? g.outputHeight), ("S_QW", pool?.outputWidth ?? g.outputWidth),
            ("S_ACTIVATION", activationCode), ("S_BOUNDS", bounds ? 1 : 0),
            ("S_LEAKY_MILLI", Int((Activation.leakyReluSlope * 1000).rounded())),
            ("S_KEEP", activations == nil ? 0 : 1), ("S_OH", g.outputHeight), ("S_OW", g.outputWidth), ("S_BLOCKS", blocks),
            ("S_RUN", run),
        ]
        let runs = g.batch * (pool?.outputHeight ?? g.outputHeight) * ((rowLength + run - 1) / run)
        try launch("conv2d_pool_forward_specialized", file: "conv2d", defines: defines,
                   global: [runs * g.outputChannels / (16 * blocks)], local: [tuning.convGroup],
                   [.int(g.batch), .buffer(try buffer(input, "conv2d")), .buffer(try buffer(kernel, "conv2d")),
                    .buffer(try bias.map { try buffer($0, "conv2d") } ?? placeholder), .flag(bias != nil),
                    .buffer(try buffer(output, "conv2d")),
                    .buffer(try activations.map { try buffer($0, "conv2d") } ?? placeholder)])
    }

    public func conv2dForward(input: Tensor, kernel: Tensor, bias: Tensor?, geometry g: Conv2DGeometry, into output: Tensor) throws {
        try ShapeChecks.conv2dForward(input, kernel, bias, g, output)
        if g.outputChannels % 16 == 0 {
            try launchSpecialized(input: input, kernel: kernel, bias: bias, geometry: g, pool: nil, activation: .linear, into: output)
            return
        }
        let arguments = shapeArguments(g) + [
            .buffer(try buffer(input, "conv2d")), .buffer(try buffer(kernel, "conv2d")),
            .buffer(try bias.map { try buffer($0, "conv2d") } ?? placeholder), .flag(bias != nil),
            .buffer(try buffer(output, "conv2d")),
        ]
        switch variant {
        case .cpu:
            let pixels = tuning.convPixels
            try launch("conv2d_forward_blocked", file: "conv2d",
                       global: [(g.outputChannels + 15) / 16, (g.outputWidth + pixels - 1) / pixels, g.batch * g.outputHeight],
                       local: [1, 1, 8], arguments)
        case .gpu:
            try launch("conv2d_forward_direct", file: "conv2d",
                       global: [g.outputChannels, g.outputWidth, g.batch * g.outputHeight], local: [32, 4, 1], arguments)
        }
    }

    public func conv2dBackwardInput(gradOutput: Tensor, kernel: Tensor, geometry g: Conv2DGeometry, into gradInput: Tensor) throws {
        try ShapeChecks.conv2dBackwardInput(gradOutput, kernel, g, gradInput)
        let arguments = shapeArguments(g) + [.buffer(try buffer(gradOutput, "conv2d backward")),
                                             .buffer(try buffer(kernel, "conv2d backward")),
                                             .buffer(try buffer(gradInput, "conv2d backward"))]
        if variant == .cpu && g.strideHeight == 1 && g.strideWidth == 1 {
            let pixels = tuning.convInputPixels
            try launch("conv2d_backward_input_rows", file: "conv2d",
                       global: [g.inputChannels, (g.inputWidth + pixels - 1) / pixels, g.batch * g.inputHeight], local: [1, 1, 8], arguments)
        } else {
            try launch("conv2d_backward_input", file: "conv2d", global: [g.inputChannels, g.inputWidth, g.batch * g.inputHeight],
                       local: variant == .gpu ? [1, 32, 1] : [1, 1, 8], arguments)
        }
    }

    public func conv2dBackwardKernel(input: Tensor, gradOutput: Tensor, geometry g: Conv2DGeometry,
                                     kernelGradient: Tensor, biasGradient: Tensor?) throws {
        try ShapeChecks.conv2dBackwardKernel(input, gradOutput, g, kernelGradient, biasGradient)
        let rows = g.kernelHeight * g.kernelWidth * g.inputChannels + 1
        let positions = g.batch * g.outputHeight * g.outputWidth
        let chunks = (positions + tuning.convReduceChunk - 1) / tuning.convReduceChunk
        let partials = try scratch("conv2d.kernelPartials", floats: chunks * rows * g.outputChannels)
        let rowBlocks = (rows + tuning.convGradRows - 1) / tuning.convGradRows
        try launch("conv2d_backward_kernel_partial", file: "conv2d", global: [(g.outputChannels + 15) / 16, rowBlocks, chunks],
                   local: [1, 1, tuning.convBackwardGroup],
                   shapeArguments(g) + [.buffer(try buffer(input, "conv2d backward")),
                                        .buffer(try buffer(gradOutput, "conv2d backward")), .buffer(partials)])
        try reduceKernelPartials(partials, chunks: chunks, geometry: g, kernelGradient: kernelGradient, biasGradient: biasGradient)
    }

    /// `conv2d_backward_kernel_reduce`: the sum over chunks of `[chunks, KH*KW*CI + 1, CO]`
    /// partials into the kernel's gradient (and the last row into the bias's).
    private func reduceKernelPartials(_ partials: Buffer, chunks: Int, geometry g: Conv2DGeometry, kernelGradient: Tensor,
                                      biasGradient: Tensor?) throws {
        let rows = g.kernelHeight * g.kernelWidth * g.inputChannels + 1
        try launch("conv2d_backward_kernel_reduce", file: "conv2d", global: [g.outputChannels, rows], local: [variant == .gpu ? 32 : 16, 1],
                   [.int(rows), .int(g.outputChannels), .int(chunks), .buffer(partials),
                    .buffer(try buffer(kernelGradient, "conv2d backward")),
                    .buffer(try biasGradient.map { try buffer($0, "conv2d backward") } ?? placeholder),
                    .flag(biasGradient != nil)])
    }

    /// One launch of `conv_pool_kernel_grad_partial` (then the partials' sum) on the CPU variant,
    /// for a stride-1 convolution with filters in 16s, pooling windows that tile its output, at
    /// most 31 kernel taps and an input patch under a window of at most 64 values; else the two ops.
    public func conv2dKernelGradientThroughMaxPoolRelu(input: Tensor, activations: Tensor, gradOutput: Tensor, geometry g: Conv2DGeometry,
                                                       pool: Pool2DGeometry, scratch: Tensor, kernelGradient: Tensor,
                                                       biasGradient: Tensor?) throws {
        try ShapeChecks.conv2dBackwardKernel(input, scratch, g, kernelGradient, biasGradient)
        try ShapeChecks.poolBackward(activations, gradOutput, pool, scratch)
        let taps = g.kernelHeight * g.kernelWidth * g.inputChannels
        let patch = (pool.poolHeight + g.kernelHeight - 1) * (pool.poolWidth + g.kernelWidth - 1) * g.inputChannels
        guard variant == .cpu, g.strideHeight == 1, g.strideWidth == 1, g.outputChannels % 16 == 0, pool.inputShape == g.outputShape,
              pool.padding == .valid, pool.windowsTileInput, taps < 32, patch <= 64 else {
            try conv2dKernelGradientThroughMaxPoolReluUnfused(input: input, activations: activations, gradOutput: gradOutput, geometry: g,
                                                              pool: pool, scratch: scratch, kernelGradient: kernelGradient,
                                                              biasGradient: biasGradient)
            return
        }
        let positions = g.batch * pool.outputHeight * pool.outputWidth
        let chunk = max(1, tuning.convReduceChunk / (pool.poolHeight * pool.poolWidth))
        let chunks = (positions + chunk - 1) / chunk
        let partials = try self.scratch("conv2d.kernelPartials", floats: chunks * (taps + 1) * g.outputChannels)
        // The patch under a window reaches the padding, or past the input, only with padding.
        let bounds = g.padTop > 0 || g.padLeft > 0 || g.outputHeight + g.kernelHeight - 1 > g.inputHeight
            || g.outputWidth + g.kernelWidth - 1 > g.inputWidth
        let defines: [(String, Int)] = [
            ("G_H", g.inputHeight), ("G_W", g.inputWidth), ("G_CI", g.inputChannels), ("G_CO", g.outputChannels),
            ("G_KH", g.kernelHeight), ("G_KW", g.kernelWidth), ("G_PT", g.padTop), ("G_PL", g.padLeft),
            ("G_OH", g.outputHeight), ("G_OW", g.outputWidth), ("G_PH", pool.poolHeight), ("G_PW", pool.poolWidth),
            ("G_QH", pool.outputHeight), ("G_QW", pool.outputWidth), ("G_CHUNK", chunk), ("G_BOUNDS", bounds ? 1 : 0),
        ]
        try launch("conv_pool_kernel_grad_partial", file: "conv2d", defines: defines, global: [g.outputChannels / 16, chunks],
                   local: [1, tuning.convBackwardGroup],
                   [.int(g.batch), .buffer(try buffer(input, "conv2d backward")), .buffer(try buffer(activations, "conv2d backward")),
                    .buffer(try buffer(gradOutput, "conv2d backward")), .buffer(partials)])
        try reduceKernelPartials(partials, chunks: chunks, geometry: g, kernelGradient: kernelGradient, biasGradient: biasGradient)
    }

    public func maxPool2dForward(input: Tensor, geometry g: Pool2DGeometry, into output: Tensor) throws {
        try ShapeChecks.pool(input, g, output)
        let arguments = poolArguments(g) + [.buffer(try buffer(input, "maxpool2d")), .buffer(try buffer(output, "maxpool2d"))]
        if variant == .cpu && g.channels % 16 == 0 && g.windowsInside {
            try launch1D("maxpool2d_forward16", file: "pool", count: g.batch * g.outputHeight * g.outputWidth * g.channels / 16,
                         local: tuning.poolGroup, arguments)
        } else {
            try launch("maxpool2d_forward", file: "pool", global: [g.channels, g.outputWidth, g.batch * g.outputHeight],
                       local: [min(g.channels, variant == .gpu ? tuning.poolGroup : 16), 1, 1], arguments)
        }
    }

    public func maxPool2dBackward(input: Tensor, gradOutput: Tensor, geometry g: Pool2DGeometry, into gradInput: Tensor) throws {
        try ShapeChecks.poolBackward(input, gradOutput, g, gradInput)
        let arguments = poolArguments(g) + [.buffer(try buffer(input, "maxpool2d backward")),
                                            .buffer(try buffer(gradOutput, "maxpool2d backward")),
                                            .buffer(try buffer(gradInput, "maxpool2d backward"))]
        if try vectorPoolBackward(g, zeroing: gradInput) {
            try launch1D("maxpool2d_backward16", file: "pool", count: g.batch * g.outputHeight * g.outputWidth * g.channels / 16,
                         local: tuning.poolGroup, arguments + [.flag(false)])
        } else {
            try launch("maxpool2d_backward", file: "pool", global: [g.channels, g.inputWidth, g.batch * g.inputHeight],
                       local: [min(g.channels, variant == .gpu ? tuning.poolGroup : 16), 1, 1], arguments)
        }
    }

    /// One launch of `maxpool2d_backward16` with its relu mask where that kernel applies; else the two ops.
    public func maxPool2dReluBackward(input: Tensor, gradOutput: Tensor, geometry g: Pool2DGeometry, into gradInput: Tensor) throws {
        try ShapeChecks.poolBackward(input, gradOutput, g, gradInput)
        guard try vectorPoolBackward(g, zeroing: gradInput) else {
            try maxPool2dReluBackwardUnfused(input: input, gradOutput: gradOutput, geometry: g, into: gradInput)
            return
        }
        try launch1D("maxpool2d_backward16", file: "pool", count: g.batch * g.outputHeight * g.outputWidth * g.channels / 16,
                     local: tuning.poolGroup,
                     poolArguments(g) + [.buffer(try buffer(input, "maxpool2d relu backward")),
                                         .buffer(try buffer(gradOutput, "maxpool2d relu backward")),
                                         .buffer(try buffer(gradInput, "maxpool2d relu backward")), .flag(true)])
    }

    /// Whether a pooling backward pass takes its float16 kernel (CPU variant, 16-channel blocks,
    /// disjoint windows inside the input); if so, zeroes `gradInput` first unless the windows
    /// tile the input (the kernel writes only elements inside windows).
    func vectorPoolBackward(_ g: Pool2DGeometry, zeroing gradInput: Tensor) throws -> Bool {
        let disjoint = g.strideHeight >= g.poolHeight && g.strideWidth >= g.poolWidth
        guard variant == .cpu && g.channels % 16 == 0 && disjoint && g.windowsInside else { return false }
        if !g.windowsTileInput { try fill(gradInput, with: 0) }
        return true
    }

    func poolArguments(_ g: Pool2DGeometry) -> [KernelArgument] {
        [g.batch, g.inputHeight, g.inputWidth, g.channels, g.poolHeight, g.poolWidth,
         g.strideHeight, g.strideWidth, g.outputHeight, g.outputWidth, g.padTop, g.padLeft].map { .int($0) }
    }
}
