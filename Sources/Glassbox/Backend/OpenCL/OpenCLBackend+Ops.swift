/// The ops of ``Backend`` as kernel launches; shapes are checked by the same ``ShapeChecks`` as the
/// reference, and each launch's work-item layout is written beside its kernel in `Kernels/`.
extension OpenCLBackend {
    public func gemm(_ a: Tensor, _ b: Tensor, into c: Tensor, transposeA: Bool, transposeB: Bool,
                     bias: Tensor?, accumulate: Bool) throws {
        try gemm(a, b, into: c, transposeA: transposeA, transposeB: transposeB, bias: bias, accumulate: accumulate, relu: false)
    }

    public func denseForward(_ x: Tensor, weights: Tensor, bias: Tensor?, activation: Activation, into y: Tensor) throws {
        switch activation {
        case .linear, .relu:
            try gemm(x, weights, into: y, transposeA: false, transposeB: false, bias: bias, accumulate: false, relu: activation == .relu)
        default:
            try gemm(x, weights, into: y, transposeA: false, transposeB: false, bias: bias, accumulate: false, relu: false)
            try activation.apply(self, y, into: y)
        }
    }

    /// With ``KernelTuning/denseBackwardFused``, two launches for `linear` and `relu`:
    /// `dW = x^T dZ`, whose first row block also writes `dZ = dY * (y > 0)` and the bias gradient
    /// (the column sums of dZ) as it loads dY, then `dx = dZ W^T`.
    public func denseBackward(_ x: Tensor, weights: Tensor, output y: Tensor, activation: Activation, gradOutput: Tensor,
                              weightGradient: Tensor, biasGradient: Tensor, inputGradient: Tensor?) throws {
        guard tuning.denseBackwardFused == 1 && (activation == .linear || activation == .relu) else {
            try denseBackwardUnfused(x, weights: weights, output: y, activation: activation, gradOutput: gradOutput,
                                     weightGradient: weightGradient, biasGradient: biasGradient, inputGradient: inputGradient)
            return
        }
        try denseBackwardFused(x, weights: weights, output: y, activation: activation, gradOutput: gradOutput,
                               weightGradient: weightGradient, biasGradient: biasGradient, inputGradient: inputGradient)
    }

    /// The two-launch form of ``denseBackward(_:weights:output:activation:gradOutput:weightGradient:biasGradient:inputGradient:)``
    /// whatever the tuning says (`linear` or `relu` only), for benchmarks.
    func denseBackwardFused(_ x: Tensor, weights: Tensor, output y: Tensor, activation: Activation, gradOutput: Tensor,
                            weightGradient: Tensor, biasGradient: Tensor, inputGradient: Tensor?) throws {
        guard activation == .linear || activation == .relu else {
            throw GlassboxError.invalidArgument(operation: "dense backward", reason: "fuses linear and relu only, not \(activation)")
        }
        try ShapeChecks.same("dense output", gradOutput.shape, y)
        var gradZ = gradOutput
        if activation == .relu {
            gradZ = Tensor(shape: gradOutput.shape, storage: DeviceStorage(buffer: try scratch("dense.gradZ", floats: gradOutput.elementCount)))
        }
        try gemm(x, gradOutput, into: weightGradient, transposeA: true, transposeB: false, bias: nil, accumulate: false,
                 maskB: activation == .relu ? (mask: y, masked: gradZ) : nil, columnSums: biasGradient)
        if let inputGradient {
            try gemm(gradZ, weights, into: inputGradient, transposeA: false, transposeB: true, bias: nil, accumulate: false)
        }
    }

    /// The GEMM launch; `relu` applies max(0, x) in the kernel's epilogue, after bias and accumulation.
    /// `maskB` zeroes the elements of B where `mask` (laid out as B) is not > 0 and writes the masked
    /// B to `masked`; `columnSums` receives the column sums of the (masked) B, `[N]`.
    private func gemm(_ a: Tensor, _ b: Tensor, into c: Tensor, transposeA: Bool, transposeB: Bool,
                      bias: Tensor?, accumulate: Bool, relu: Bool = false,
                      maskB: (mask: Tensor, masked: Tensor)? = nil, columnSums: Tensor? = nil) throws {
        let (m, n, k) = try ShapeChecks.gemm(a, b, c, transposeA: transposeA, transposeB: transposeB, bias: bias)
        if let maskB { try ShapeChecks.same("gemm mask of B", b.shape, maskB.mask, maskB.masked) }
        if let columnSums { try ShapeChecks.same("gemm column sums", try Shape([n]), columnSums) }
        let epilogue = (bias != nil ? 1 : 0) | (relu ? 2 : 0)   // EPILOGUE_BIAS, EPILOGUE_RELU in Kernels/gemm.cl
        // MASK_B, SUM_B (GEMM_FUSED): a program of their own, so plain products keep theirs unchanged.
        let fused = (maskB != nil ? 1 : 0) | (columnSums != nil ? 2 : 0)
        let fusedDefines = fused == 0 ? [] : [("GEMM_FUSED", fused)]
        guard fused == 0 || !transposeB else {
            throw GlassboxError.invalidArgument(operation: "gemm", reason: "B's mask and column sums need B untransposed")
        }
        let optional = { (tensor: Tensor?) throws -> KernelArgument in .buffer(try tensor.map { try self.buffer($0, "gemm") } ?? self.placeholder) }
        let epilogueArguments: [KernelArgument] = [try optional(bias), .int(epilogue), try optional(maskB?.mask), try optional(maskB?.masked),
                                                   try optional(columnSums), .float(1), .float(accumulate ? 1 : 0)]
        // Fewer than 16 columns (a classifier's last layer) leave gemm_blocked's float16 columns
        // empty and take its scalar edge path: from largeRows rows (inference and perturbation
        // batches, where that path costs more than the extra transpose launch) as dot products of
        // rows instead, with B transposed.
        let narrow = variant == .cpu && !transposeA && !transposeB && fused == 0 && n < 16 && k >= 16 && m >= KernelTuning.largeRows
        // Dot products of rows need a long k to pay for their horizontal sums. With a short one
        // and enough rows to pay for transposing B (a training batch's input gradient dY W^T, and
        // DeepSHAP's multipliers through a Dense layer, m W^T over its units, for 100 background
        // images), B is transposed for gemm_blocked.
        let (rows, vectors) = blockedTile(m: m, n: n)
        let shortDotProducts = k <= KernelTuning.shortInnerDimension && n >= 16 * vectors && m >= KernelTuning.shortInnerMinimumRows
        if variant == .cpu && transposeB && !transposeA && shortDotProducts {
            // B's panels transposed inside the kernel, no transposed copy of B in global memory.
            let tile = blockedTile(m: min(m, KernelTuning.largeRows - 1), n: n)
            if n % (16 * tile.vectors) == 0 && k * 16 * tile.vectors <= KernelTuning.panelFloats {
                let rowsPerItem = tile.rows * ((KernelTuning.panelRows + tile.rows - 1) / tile.rows)
                try launch("gemm_panel_nt", file: "gemm", defines: [("GEMM_ROWS", tile.rows), ("GEMM_VECTORS", tile.vectors)],
                           global: [n / (16 * tile.vectors), (m + rowsPerItem - 1) / rowsPerItem], local: [1, 1],
                           [.int(m), .int(n), .int(k), .buffer(try buffer(a, "gemm")), .int(k), .buffer(try buffer(b, "gemm")), .int(k),
                            .buffer(try buffer(c, "gemm")), .int(n)] + epilogueArguments + [.int(rowsPerItem)])
                return
            }
        }
        if variant == .cpu && ((transposeB && !transposeA && !shortDotProducts) || narrow) {
            // Rows of A and of the stored B are both contiguous in k: dot products, no transpose.
            var bRows = try buffer(b, "gemm")
            if narrow {
                let transposed = try scratch("gemm.narrowB", floats: k * n)
                try transpose(rows: k, columns: n, bRows, into: transposed)
                bRows = transposed
            }
            try launch("gemm_blocked_nt", file: "gemm", global: [(n + tuning.ntColumns - 1) / tuning.ntColumns, (m + tuning.ntRows - 1) / tuning.ntRows],
                       local: [1, 1], [.int(m), .int(n), .int(k), .buffer(try buffer(a, "gemm")), .int(k),
                                       .buffer(bRows), .int(k), .buffer(try buffer(c, "gemm")), .int(n)] + epilogueArguments)
            return
        }
        var bBuffer = try buffer(b, "gemm")
        var (bRowStride, bColStride) = transposeB ? (1, k) : (n, 1)
        if variant == .cpu && transposeB {
            // gemm_blocked loads rows of B with vload16: give it B laid out [K, N].
            let transposed = try scratch("gemm.transposedB", floats: k * n)
            try transpose(rows: n, columns: k, bBuffer, into: transposed)
            bBuffer = transposed
            (bRowStride, bColStride) = (n, 1)
        }
        let (aRowStride, aColStride) = transposeA ? (1, m) : (k, 1)
        let arguments: [KernelArgument] = [
            .int(m), .int(n), .int(k),
            .buffer(try buffer(a, "gemm")), .int(aRowStride), .int(aColStride),
            .buffer(bBuffer), .int(bRowStride), .int(bColStride),
            .buffer(try buffer(c, "gemm")), .int(n),
        ] + epilogueArguments
        switch variant {
        case .cpu:
            let columns = 16 * vectors
            try launch("gemm_blocked", file: "gemm", defines: [("GEMM_ROWS", rows), ("GEMM_VECTORS", vectors)] + fusedDefines,
                       global: [(n + columns - 1) / columns, (m + rows - 1) / rows], local: [1, tuning.gemmGroup], arguments)
        case .gpu:
            try launch("gemm_tiled", file: "gemm", defines: fusedDefines, global: [n, m], local: [tuning.gemmTile, tuning.gemmTile], arguments)
        }
    }

    /// `gemm_blocked`'s register tile for an m x n product: the tuned rows and float16 column
    /// vectors of its size class, never more rows than the product has (one image: one row, not
    /// eight of which seven are thrown away), and the vectors halved until 16 times them divides
    /// n (5408 columns: 2 vectors, not 8 with the last 32 columns on the scalar path).
    private func blockedTile(m: Int, n: Int) -> (rows: Int, vectors: Int) {
        let large = m >= KernelTuning.largeRows
        var vectors = large ? tuning.gemmVectorsLarge : tuning.gemmVectors
        while vectors > 1 && n % (16 * vectors) != 0 { vectors /= 2 }
        return (min(large ? tuning.gemmRowsLarge : tuning.gemmRows, m), vectors)
    }

    /// `output` (columns x rows) = `input` (rows x columns)^T, both row-major.
    private func transpose(rows: Int, columns: Int, _ input: Buffer, into output: Buffer) throws {
        try launch("transpose", file: "gemm", global: [(columns + 15) / 16, (rows + 15) / 16], local: [1, 1],
                   [.int(rows), .int(columns), .buffer(input), .buffer(output)])
    }

    public func biasAdd(_ x: Tensor, bias: Tensor, into y: Tensor) throws {
        let (_, columns) = try ShapeChecks.biasAdd(x, bias, y)
        try launch1D("bias_add", file: "elementwise", count: x.elementCount,
                     [.int(x.elementCount), .int(columns), .buffer(try buffer(x, "bias_add")),
                      .buffer(try buffer(bias, "bias_add")), .buffer(try buffer(y, "bias_add"))])
    }

    public func relu(_ x: Tensor, into y: Tensor) throws {
        try elementwise("relu_forward", x, y)
    }

    public func reluBackward(gradOutput: Tensor, input: Tensor, into gradInput: Tensor) throws {
        try elementwiseBackward("relu_backward", gradOutput, input, gradInput)
    }

    public func leakyRelu(_ x: Tensor, slope: Float, into y: Tensor) throws {
        try ShapeChecks.same("leaky relu output", x.shape, y)
        try launch1D("leaky_relu_forward", file: "elementwise", count: x.elementCount,
                     [.int(x.elementCount), .float(slope), .buffer(try buffer(x, "leaky relu")), .buffer(try buffer(y, "leaky relu"))])
    }

    public func leakyReluBackward(gradOutput: Tensor, output: Tensor, slope: Float, into gradInput: Tensor) throws {
        try ShapeChecks.same("leaky relu backward", gradOutput.shape, output, gradInput)
        try launch1D("leaky_relu_backward", file: "elementwise", count: gradOutput.elementCount,
                     [.int(gradOutput.elementCount), .float(slope), .buffer(try buffer(gradOutput, "leaky relu backward")),
                      .buffer(try buffer(output, "leaky relu backward")), .buffer(try buffer(gradInput, "leaky relu backward"))])
    }

    public func sigmoid(_ x: Tensor, into y: Tensor) throws {
        try elementwise("sigmoid_forward", x, y)
    }

    public func sigmoidBackward(gradOutput: Tensor, output: Tensor, into gradInput: Tensor) throws {
        try elementwiseBackward("sigmoid_backward", gradOutput, output, gradInput)
    }

    public func tanh(_ x: Tensor, into y: Tensor) throws {
        try elementwise("tanh_forward", x, y)
    }

    public func tanhBackward(gradOutput: Tensor, output: Tensor, into gradInput: Tensor) throws {
        try elementwiseBackward("tanh_backward", gradOutput, output, gradInput)
    }

    public func dropout(_ x: Tensor, into y: Tensor, rate: Float, seed: UInt32) throws {
        try ShapeChecks.same("dropout output", x.shape, y)
        let mask = try DropoutMask(rate: rate, seed: seed)
        try launch1D("dropout_forward", file: "elementwise", count: x.elementCount,
                     [.int(x.elementCount), .buffer(try buffer(x, "dropout")), .buffer(try buffer(y, "dropout")),
                      .uint(mask.seed), .uint(mask.threshold), .float(mask.scale)])
    }

    /// `y = f(x)` element-wise by kernel `name(count, x, y)`.
    private func elementwise(_ name: String, _ x: Tensor, _ y: Tensor) throws {
        try ShapeChecks.same("\(name) output", x.shape, y)
        try launch1D(name, file: "elementwise", count: x.elementCount,
                     [.int(x.elementCount), .buffer(try buffer(x, name)), .buffer(try buffer(y, name))])
    }

    /// `gradInput = gradOutput * f'(...)` by kernel `name(count, gradOutput, saved, gradInput)`.
    private func elementwiseBackward(_ name: String, _ gradOutput: Tensor, _ saved: Tensor, _ gradInput: Tensor) throws {
        try ShapeChecks.same(name, gradOutput.shape, saved, gradInput)
        try launch1D(name, file: "elementwise", count: gradOutput.elementCount,
                     [.int(gradOutput.elementCount), .buffer(try buffer(gradOutput, name)),
                      .buffer(try buffer(saved, name)), .buffer(try buffer(gradInput, name))])
    }

    public func softmax(_ logits: Tensor, into probabilities: Tensor) throws {
        let (rows, classes) = try ShapeChecks.matrix("softmax logits", logits)
        try ShapeChecks.same("softmax output", logits.shape, probabilities)
        try launch1D("softmax_forward", file: "loss", count: rows,
                     [.int(rows), .int(classes), .buffer(try buffer(logits, "softmax")), .buffer(try buffer(probabilities, "softmax"))])
    }

    public func softmaxBackward(probabilities: Tensor, gradOutput: Tensor, into gradLogits: Tensor) throws {
        let (rows, classes) = try ShapeChecks.matrix("softmax backward probabilities", probabilities)
        try ShapeChecks.same("softmax backward", probabilities.shape, gradOutput, gradLogits)
        try launch1D("softmax_backward", file: "loss", count: rows,
                     [.int(rows), .int(classes), .buffer(try buffer(probabilities, "softmax backward")),
                      .buffer(try buffer(gradOutput, "softmax backward")), .buffer(try buffer(gradLogits, "softmax backward"))])
    }

    public func softmaxCrossEntropy(logits: Tensor, labels: Tensor, losses: Tensor, gradLogits: Tensor?, scale: Float) throws {
        let (rows, classes) = try ShapeChecks.crossEntropy(logits, labels, losses, gradLogits)
        try launch1D("softmax_cross_entropy", file: "loss", count: rows,
                     [.int(rows), .int(classes), .buffer(try buffer(logits, "softmax_cross_entropy")),
                      .buffer(try buffer(labels, "softmax_cross_entropy")), .float(scale),
                      .buffer(try buffer(losses, "softmax_cross_entropy")),
                      .buffer(try gradLogits.map { try buffer($0, "softmax_cross_entropy") } ?? placeholder),
                      .flag(gradLogits != nil)])
    }

    /// One work-group of 64 (`softmax_cross_entropy_totals`) for the loss, its gradient and both
    /// totals: one launch where three ops took six.
    public func softmaxCrossEntropyTotals(logits: Tensor, labels: Tensor, losses: Tensor, gradLogits: Tensor?, scale: Float,
                                          lossTotal: Tensor, correctTotal: Tensor) throws {
        let (rows, classes) = try ShapeChecks.crossEntropy(logits, labels, losses, gradLogits)
        try ShapeChecks.same("loss total", [1], lossTotal)
        try ShapeChecks.same("accuracy count", [1], correctTotal)
        try launch("softmax_cross_entropy_totals", file: "loss", global: [64], local: [64],
                   [.int(rows), .int(classes), .buffer(try buffer(logits, "softmax_cross_entropy")),
                    .buffer(try buffer(labels, "softmax_cross_entropy")), .float(scale),
                    .buffer(try buffer(losses, "softmax_cross_entropy")),
                    .buffer(try gradLogits.map { try buffer($0, "softmax_cross_entropy") } ?? placeholder),
                    .flag(gradLogits != nil), .buffer(try buffer(lossTotal, "loss total")), .buffer(try buffer(correctTotal, "accuracy count"))])
    }

    public func adamUpdate(parameter: Tensor, gradient: Tensor, firstMoment: Tensor, secondMoment: Tensor,
                           step: Int, hyperparameters h: AdamHyperparameters) throws {
        try ShapeChecks.adam(parameter, gradient, firstMoment, secondMoment, step: step)
        try launch1D("adam_update", file: "optimizer", count: parameter.elementCount,
                     [.int(parameter.elementCount), .buffer(try buffer(parameter, "adam")), .buffer(try buffer(gradient, "adam")),
                      .buffer(try buffer(firstMoment, "adam")), .buffer(try buffer(secondMoment, "adam")),
                      .float(Float(h.stepSize(step: step))), .float(h.beta1), .float(h.beta2), .float(h.epsilon)])
    }

    /// Tensors under 65,536 elements 8 to a launch (`adam_update_multi`), larger
    /// ones alone: the reference CNN's six tensors in two launches, the table MLP's six in one.
    public func adamUpdate(_ tensors: [OptimizerTensors], step: Int, hyperparameters h: AdamHyperparameters) throws {
        for t in tensors {
            guard t.slots.count == 2 else {
                throw GlassboxError.invalidArgument(operation: "adam", reason: "\(t.slots.count) state tensors; Adam keeps 2 (m and v)")
            }
            try ShapeChecks.adam(t.parameter, t.gradient, t.slots[0], t.slots[1], step: step)
        }
        let (large, small) = Self.splitForMultiTensor(tensors)
        for t in large {
            try adamUpdate(parameter: t.parameter, gradient: t.gradient, firstMoment: t.slots[0], secondMoment: t.slots[1],
                           step: step, hyperparameters: h)
        }
        for group in small {
            let (sizes, largest) = Self.slotCounts(group)
            guard largest > 0 else { continue }
            func buffers(_ pick: (OptimizerTensors) -> Tensor) throws -> [KernelArgument] {
                try (0..<8).map { $0 < group.count ? .buffer(try buffer(pick(group[$0]), "adam")) : .buffer(placeholder) }
            }
            try launch1D("adam_update_multi", file: "optimizer", count: largest,
                         sizes + (try buffers(\.parameter)) + (try buffers(\.gradient)) + (try buffers { $0.slots[0] }) + (try buffers { $0.slots[1] })
                            + [.float(Float(h.stepSize(step: step))), .float(h.beta1), .float(h.beta2), .float(h.epsilon)])
        }
    }

    /// As ``adamUpdate(_:step:hyperparameters:)``, with `sgd_update_multi`.
    public func sgdUpdate(_ tensors: [OptimizerTensors], learningRate: Float) throws {
        for t in tensors { try ShapeChecks.same("sgd", t.parameter.shape, t.gradient) }
        let (large, small) = Self.splitForMultiTensor(tensors)
        for t in large { try sgdUpdate(parameter: t.parameter, gradient: t.gradient, learningRate: learningRate) }
        for group in small {
            let (sizes, largest) = Self.slotCounts(group)
            guard largest > 0 else { continue }
            func buffers(_ pick: (OptimizerTensors) -> Tensor) throws -> [KernelArgument] {
                try (0..<8).map { $0 < group.count ? .buffer(try buffer(pick(group[$0]), "sgd")) : .buffer(placeholder) }
            }
            try launch1D("sgd_update_multi", file: "optimizer", count: largest,
                         sizes + (try buffers(\.parameter)) + (try buffers(\.gradient)) + [.float(learningRate)])
        }
    }

    /// Tensors of at least this many elements get their own launch: there the launch costs little
    /// beside the work, while the multi-tensor kernel's eight guarded statements per work-item
    /// cost more (measured on PoCL: the reference CNN's 692,352-element Dense kernel took
    /// 5.6 ms in the multi-tensor kernel against 4 ms for all six one-tensor launches).
    static let multiTensorLimit = 1 << 16

    /// The tensors that get their own launch, and the rest in groups of up to 8.
    static func splitForMultiTensor(_ tensors: [OptimizerTensors]) -> (large: [OptimizerTensors], small: [[OptimizerTensors]]) {
        let large = tensors.filter { $0.parameter.elementCount >= multiTensorLimit }
        let small = tensors.filter { $0.parameter.elementCount < multiTensorLimit }
        return (large, stride(from: 0, to: small.count, by: 8).map { Array(small[$0..<min($0 + 8, small.count)]) })
    }

    /// The multi-tensor kernels' counts for up to 8 tensors (0 for unused slots), and the largest.
    static func slotCounts(_ group: [OptimizerTensors]) -> (arguments: [KernelArgument], largest: Int) {
        let counts = group.map(\.parameter.elementCount) + [Int](repeating: 0, count: 8 - group.count)
        return (counts.map { .int($0) }, counts.max() ?? 0)
    }

    public func sgdUpdate(parameter: Tensor, gradient: Tensor, learningRate: Float) throws {
        try ShapeChecks.same("sgd", parameter.shape, gradient)
        try launch1D("sgd_update", file: "optimizer", count: parameter.elementCount,
                     [.int(parameter.elementCount), .buffer(try buffer(parameter, "sgd")),
                      .buffer(try buffer(gradient, "sgd")), .float(learningRate)])
    }

    public func argmax(_ x: Tensor, into indices: Tensor) throws {
        let (rows, classes) = try ShapeChecks.matrix("argmax", x)
        try ShapeChecks.same("argmax output", [rows], indices)
        try launch1D("argmax_rows", file: "loss", count: rows,
                     [.int(rows), .int(classes), .buffer(try buffer(x, "argmax")), .buffer(try buffer(indices, "argmax"))])
    }

    public func accuracyCount(logits: Tensor, labels: Tensor, into count: Tensor, accumulate: Bool) throws {
        let (rows, classes) = try ShapeChecks.matrix("accuracy logits", logits)
        try ShapeChecks.same("accuracy labels", [rows], labels)
        try ShapeChecks.same("accuracy count", [1], count)
        let correct = try scratch("accuracy.correct", floats: rows)
        try launch1D("correct_rows", file: "loss", count: rows,
                     [.int(rows), .int(classes), .buffer(try buffer(logits, "accuracy")),
                      .buffer(try buffer(labels, "accuracy")), .buffer(correct)])
        try sum(correct, count: rows, into: try buffer(count, "accuracy"), accumulate: accumulate)
    }

    public func sum(_ x: Tensor, into result: Tensor, accumulate: Bool) throws {
        try ShapeChecks.same("sum output", [1], result)
        try sum(try buffer(x, "sum"), count: x.elementCount, into: try buffer(result, "sum"), accumulate: accumulate)
    }

    private func sum(_ x: Buffer, count: Int, into result: Buffer, accumulate: Bool) throws {
        let chunk = tuning.sumChunk
        let chunks = (count + chunk - 1) / chunk
        let partials = try scratch("sum.partials", floats: chunks)
        try launch1D("sum_partial", file: "reduce", count: chunks,
                     [.int(count), .int(chunk), .buffer(x), .buffer(partials), .int(chunks)])
        try launch("sum_final", file: "reduce", global: [1], local: [1], [.int(chunks), .buffer(partials), .buffer(result), .flag(accumulate)])
    }
}
