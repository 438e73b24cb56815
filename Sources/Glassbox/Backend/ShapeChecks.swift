/// Shape validation shared by every backend, so both reject the same operands with the same words.
enum ShapeChecks {
    static func same(_ operation: String, _ expected: Shape, _ tensors: Tensor...) throws {
        for tensor in tensors where tensor.shape != expected {
            throw GlassboxError.shapeMismatch(operation: operation, expected: expected.description, actual: tensor.shape)
        }
    }

    static func rank(_ operation: String, _ tensor: Tensor, _ rank: Int, _ meaning: String) throws {
        guard tensor.shape.rank == rank else {
            throw GlassboxError.shapeMismatch(operation: operation, expected: "\(meaning) (rank \(rank))", actual: tensor.shape)
        }
    }

    static func count(_ operation: String, _ tensor: Tensor, _ count: Int, _ meaning: String) throws {
        guard tensor.elementCount == count else {
            throw GlassboxError.shapeMismatch(operation: operation, expected: "\(meaning) (\(count) elements)", actual: tensor.shape)
        }
    }

    /// Returns (M, N, K) of `op(a)[M, K] x op(b)[K, N] -> c[M, N]`.
    static func gemm(_ a: Tensor, _ b: Tensor, _ c: Tensor, transposeA: Bool, transposeB: Bool,
                     bias: Tensor?) throws -> (m: Int, n: Int, k: Int) {
        try rank("gemm a", a, 2, transposeA ? "[K, M]" : "[M, K]")
        try rank("gemm b", b, 2, transposeB ? "[N, K]" : "[K, N]")
        try rank("gemm c", c, 2, "[M, N]")
        let (m, k) = transposeA ? (a.shape[1], a.shape[0]) : (a.shape[0], a.shape[1])
        let (kb, n) = transposeB ? (b.shape[1], b.shape[0]) : (b.shape[0], b.shape[1])
        guard k == kb else {
            throw GlassboxError.shapeMismatch(operation: "gemm b",
                expected: "inner dimension \(k) to match a \(a.shape)\(transposeA ? " (transposed)" : "")", actual: b.shape)
        }
        try same("gemm c", [m, n], c)
        if let bias { try same("gemm bias", [n], bias) }
        return (m, n, k)
    }

    /// Returns (rows, columns) of a rank-2 `[rows, columns]` tensor.
    static func matrix(_ operation: String, _ x: Tensor) throws -> (rows: Int, columns: Int) {
        try rank(operation, x, 2, "[rows, classes]")
        return (x.shape[0], x.shape[1])
    }

    /// Returns (rows, columns) for `bias_add`: columns is the last dimension of `x`.
    static func biasAdd(_ x: Tensor, _ bias: Tensor, _ y: Tensor) throws -> (rows: Int, columns: Int) {
        let columns = x.shape.dimensions.last!
        try same("bias_add bias", [columns], bias)
        try same("bias_add output", x.shape, y)
        return (x.elementCount / columns, columns)
    }

    static func conv2dForward(_ input: Tensor, _ kernel: Tensor, _ bias: Tensor?, _ g: Conv2DGeometry, _ output: Tensor) throws {
        try conv2dOperands(input, kernel, bias, g)
        try same("conv2d output", g.outputShape, output)
    }

    static func conv2dOperands(_ input: Tensor, _ kernel: Tensor, _ bias: Tensor?, _ g: Conv2DGeometry) throws {
        try same("conv2d input", g.inputShape, input)
        try same("conv2d kernel", g.kernelShape, kernel)
        if let bias { try same("conv2d bias", [g.outputChannels], bias) }
    }

    static func conv2dBackwardInput(_ gradOutput: Tensor, _ kernel: Tensor, _ g: Conv2DGeometry, _ gradInput: Tensor) throws {
        try same("conv2d backward gradOutput", g.outputShape, gradOutput)
        try same("conv2d backward kernel", g.kernelShape, kernel)
        try same("conv2d backward gradInput", g.inputShape, gradInput)
    }

    static func conv2dBackwardKernel(_ input: Tensor, _ gradOutput: Tensor, _ g: Conv2DGeometry,
                                     _ kernelGradient: Tensor, _ biasGradient: Tensor?) throws {
        try same("conv2d backward input", g.inputShape, input)
        try same("conv2d backward gradOutput", g.outputShape, gradOutput)
        try same("conv2d backward kernelGradient", g.kernelShape, kernelGradient)
        if let biasGradient { try same("conv2d backward biasGradient", [g.outputChannels], biasGradient) }
    }

    static func conv2dPool(_ g: Conv2DGeometry, _ pool: Pool2DGeometry?, _ activation: Activation, _ output: Tensor) throws {
        guard activation != .softmax else {
            throw GlassboxError.invalidArgument(operation: "conv2d_pool", reason: "softmax does not commute with pooling; use a monotonic activation")
        }
        if let pool, pool.padding != .valid {
            throw GlassboxError.invalidArgument(operation: "conv2d_pool", reason: "the fused block pools `valid` windows only")
        }
        if let pool, pool.inputShape != g.outputShape {
            throw GlassboxError.shapeMismatch(operation: "conv2d_pool pooling", expected: "the convolution's output \(g.outputShape)",
                                              actual: pool.inputShape)
        }
        try same("conv2d_pool output", pool?.outputShape ?? g.outputShape, output)
    }

    static func conv2dActivationPool(_ g: Conv2DGeometry, _ pool: Pool2DGeometry, _ activation: Activation, _ activations: Tensor,
                                     _ output: Tensor) throws {
        try conv2dPool(g, pool, activation, output)
        try same("conv2d_pool activations", g.outputShape, activations)
        guard pool.windowsTileInput else {
            throw GlassboxError.invalidArgument(operation: "conv2d_pool",
                reason: "training's fused block needs pooling windows that tile the convolution's output \(g.outputShape), not \(pool.poolHeight)x\(pool.poolWidth) windows at stride \(pool.strideHeight)x\(pool.strideWidth)")
        }
    }

    /// Returns the number of channels per pixel and the number of baseline rows.
    static func expandMasks(_ masks: [UInt64], _ input: Tensor, _ baseline: Tensor, _ segments: Tensor,
                            _ output: Tensor) throws -> (channels: Int, references: Int) {
        guard input.elementCount >= 1, baseline.elementCount >= input.elementCount, baseline.elementCount % input.elementCount == 0 else {
            throw GlassboxError.shapeMismatch(operation: "expand_masks baseline",
                expected: "one or more rows of the input's \(input.elementCount) values", actual: baseline.shape)
        }
        guard segments.elementCount >= 1, input.elementCount % segments.elementCount == 0 else {
            throw GlassboxError.shapeMismatch(operation: "expand_masks segments",
                expected: "one id per pixel of the input \(input.shape)", actual: segments.shape)
        }
        let references = baseline.elementCount / input.elementCount
        try count("expand_masks output", output, masks.count * references * input.elementCount,
                  "\(masks.count) masks x \(references) baseline rows of \(input.shape)")
        return (input.elementCount / segments.elementCount, references)
    }

    /// Returns the number of units.
    static func segmentTableSweep(_ masks: [UInt64], _ table: Tensor, _ groups: [MaskedRowGroup], _ bias: Tensor, _ output: Tensor) throws -> Int {
        let (rows, units) = try matrix("segment_table_sweep table", table)
        guard units % 16 == 0 else {
            throw GlassboxError.invalidArgument(operation: "segment_table_sweep", reason: "\(units) units is no multiple of 16")
        }
        try same("segment_table_sweep bias", [units], bias)
        try count("segment_table_sweep output", output, masks.count * units, "\(masks.count) x \(units)")
        for group in groups where group.segments.count > MaskedRowGroup.maximumSegments || group.offset + (1 << group.segments.count) > rows
            || group.segments.contains(where: { !(0..<64).contains($0) }) {
            throw GlassboxError.invalidArgument(operation: "segment_table_sweep", reason: "group \(group) does not fit a table of \(rows) rows")
        }
        return units
    }

    /// Returns (images, features per image, units).
    static func segmentTableRows(_ features: Tensor, _ weights: Tensor, _ layout: SegmentTableLayout,
                                 _ table: Tensor) throws -> (images: Int, featureCount: Int, units: Int) {
        let (featureCount, units) = try matrix("segment_table_rows weights", weights)
        guard units % 16 == 0 else {
            throw GlassboxError.invalidArgument(operation: "segment_table_rows", reason: "\(units) units is no multiple of 16")
        }
        let images = features.shape.rank >= 1 ? features.shape[0] : 0
        guard images >= 1, features.elementCount == images * featureCount else {
            throw GlassboxError.shapeMismatch(operation: "segment_table_rows features",
                expected: "images of the weights' \(featureCount) features each", actual: features.shape)
        }
        guard layout.channels >= 1, featureCount % layout.channels == 0 else {
            throw GlassboxError.invalidArgument(operation: "segment_table_rows",
                reason: "\(featureCount) features are no whole number of positions of \(layout.channels) channels")
        }
        let positions = featureCount / layout.channels
        if let bad = layout.groupPositions.firstIndex(where: { $0.contains { !(0..<positions).contains($0) } }) {
            throw GlassboxError.invalidArgument(operation: "segment_table_rows",
                reason: "group \(bad)'s positions \(layout.groupPositions[bad]) are not all in 0..<\(positions)")
        }
        guard layout.partImages.count == layout.partGroups.count else {
            throw GlassboxError.invalidArgument(operation: "segment_table_rows",
                reason: "\(layout.partGroups.count) part groups but \(layout.partImages.count) part images")
        }
        if let bad = layout.partGroups.indices.first(where: {
            !layout.groupPositions.indices.contains(layout.partGroups[$0]) || !(0..<images).contains(layout.partImages[$0])
        }) {
            throw GlassboxError.invalidArgument(operation: "segment_table_rows",
                reason: "part \(bad) reads group \(layout.partGroups[bad]) of \(layout.groupPositions.count) and image \(layout.partImages[bad]) of \(images)")
        }
        if let bad = layout.rowParts.firstIndex(where: { $0.contains { !(0..<layout.parts).contains($0) } }) {
            throw GlassboxError.invalidArgument(operation: "segment_table_rows",
                reason: "row \(bad)'s parts \(layout.rowParts[bad]) are not all in 0..<\(layout.parts)")
        }
        try count("segment_table_rows table", table, layout.rows * units, "\(layout.rows) rows x \(units) units")
        return (images, featureCount, units)
    }

    static func deepLiftRescale(_ m: Tensor, _ zx: Tensor, _ zr: Tensor, _ yx: Tensor, _ yr: Tensor, _ activation: Activation,
                                _ gradInput: Tensor) throws {
        guard activation != .softmax else {
            throw GlassboxError.invalidArgument(operation: "deeplift_rescale", reason: "softmax is not element-wise")
        }
        try same("deeplift_rescale", m.shape, zx, yx, gradInput)
        try sampleOfBatch("deeplift_rescale reference", zr, yr, of: m)
    }

    /// `references` all hold as many elements as `whole`, or all as many as one sample of it:
    /// a count that divides its own (batch-major data, the sample repeated over the batch).
    static func sampleOfBatch(_ operation: String, _ references: Tensor..., of whole: Tensor) throws {
        for reference in references where reference.elementCount != references[0].elementCount
            || whole.elementCount % reference.elementCount != 0 {
            throw GlassboxError.shapeMismatch(operation: operation, expected: "\(whole.shape) or one sample of it", actual: reference.shape)
        }
    }

    static func deepLiftMaxPool(_ m: Tensor, _ input: Tensor, _ referenceInput: Tensor, _ output: Tensor, _ referenceOutput: Tensor,
                                _ g: Pool2DGeometry, _ gradInput: Tensor) throws {
        try same("deeplift_maxpool gradOutput", g.outputShape, m, output)
        try same("deeplift_maxpool input", g.inputShape, input, gradInput)
        // The reference side: the whole batch, or one image repeated over it.
        let whole = referenceInput.elementCount == input.elementCount
        try same("deeplift_maxpool reference input",
                 whole ? g.inputShape : try Shape([1, g.inputHeight, g.inputWidth, g.channels]), referenceInput)
        try same("deeplift_maxpool reference output",
                 whole ? g.outputShape : try Shape([1, g.outputHeight, g.outputWidth, g.channels]), referenceOutput)
    }

    static func pool(_ input: Tensor, _ g: Pool2DGeometry, _ output: Tensor) throws {
        try same("maxpool2d input", g.inputShape, input)
        try same("maxpool2d output", g.outputShape, output)
    }

    static func poolBackward(_ input: Tensor, _ gradOutput: Tensor, _ g: Pool2DGeometry, _ gradInput: Tensor) throws {
        try same("maxpool2d backward input", g.inputShape, input)
        try same("maxpool2d backward gradOutput", g.outputShape, gradOutput)
        try same("maxpool2d backward gradInput", g.inputShape, gradInput)
    }

    /// Returns (rows, classes) of the fused loss.
    static func crossEntropy(_ logits: Tensor, _ labels: Tensor, _ losses: Tensor, _ gradLogits: Tensor?) throws -> (rows: Int, classes: Int) {
        let (rows, classes) = try matrix("softmax_cross_entropy logits", logits)
        try same("softmax_cross_entropy labels", [rows], labels)
        try same("softmax_cross_entropy losses", [rows], losses)
        if let gradLogits { try same("softmax_cross_entropy gradLogits", logits.shape, gradLogits) }
        return (rows, classes)
    }

    static func adam(_ parameter: Tensor, _ gradient: Tensor, _ m: Tensor, _ v: Tensor, step: Int) throws {
        try same("adam", parameter.shape, gradient, m, v)
        guard step >= 1 else { throw GlassboxError.invalidArgument(operation: "adam", reason: "step \(step) must count from 1") }
    }

    /// `x` holds `outer * axis * inner` values and `y` `outer * inner`, all at least 1.
    static func reduceAxis(_ x: Tensor, outer: Int, axis: Int, inner: Int, _ y: Tensor) throws {
        guard outer >= 1, axis >= 1, inner >= 1 else {
            throw GlassboxError.invalidArgument(operation: "reduce axis", reason: "sizes [\(outer), \(axis), \(inner)] must be at least 1")
        }
        try count("reduce axis input", x, outer * axis * inner, "[\(outer), \(axis), \(inner)]")
        try count("reduce axis output", y, outer * inner, "[\(outer), \(inner)]")
    }

    static func add(_ a: Tensor, _ b: Tensor, _ c: Tensor) throws {
        try count("add b", b, a.elementCount, "\(a.shape)")
        try count("add c", c, a.elementCount, "\(a.shape)")
    }

    static func copyBlock(_ block: Tensor, _ whole: Tensor, outer: Int, blockAxis: Int, wholeAxis: Int, inner: Int, offset: Int) throws {
        guard outer >= 1, blockAxis >= 1, inner >= 1, offset >= 0, offset + blockAxis <= wholeAxis else {
            throw GlassboxError.invalidArgument(operation: "copy block",
                reason: "block [\(outer), \(blockAxis), \(inner)] at offset \(offset) does not fit in [\(outer), \(wholeAxis), \(inner)]")
        }
        try count("copy block", block, outer * blockAxis * inner, "[\(outer), \(blockAxis), \(inner)]")
        try count("copy block whole", whole, outer * wholeAxis * inner, "[\(outer), \(wholeAxis), \(inner)]")
    }

    static func batchNormForward(_ x: Tensor, _ mean: Tensor, _ variance: Tensor, _ gamma: Tensor, _ beta: Tensor, _ y: Tensor) throws {
        try batchNorm(x, channels: gamma.elementCount, [("mean", mean), ("variance", variance), ("beta", beta)])
        try count("batch norm output", y, x.elementCount, "\(x.shape)")
    }

    static func batchNormBackward(_ gradOutput: Tensor, _ input: Tensor, _ mean: Tensor, _ variance: Tensor, _ gamma: Tensor,
                                  _ gradInput: Tensor, _ gradGamma: Tensor, _ gradBeta: Tensor) throws {
        try batchNorm(input, channels: gamma.elementCount, [("mean", mean), ("variance", variance), ("gradGamma", gradGamma), ("gradBeta", gradBeta)])
        try count("batch norm gradOutput", gradOutput, input.elementCount, "\(input.shape)")
        try count("batch norm gradInput", gradInput, input.elementCount, "\(input.shape)")
    }

    static func batchNorm(_ x: Tensor, channels: Int, _ perChannel: [(String, Tensor)]) throws {
        guard channels >= 1, x.elementCount % channels == 0, x.elementCount >= channels else {
            throw GlassboxError.invalidArgument(operation: "batch normalization",
                reason: "\(x.elementCount) values are not whole rows of \(channels) channels")
        }
        for (name, tensor) in perChannel { try count("batch normalization \(name)", tensor, channels, "[\(channels)]") }
    }
}
