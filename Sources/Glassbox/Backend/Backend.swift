/// The operations Glassbox's layers, training loop and explainers are built from.
///
/// ``CPUBackend`` is the reference: plain loops that accumulate in Double. ``OpenCLBackend`` runs
/// the same functions as OpenCL kernels; the test suite checks the two against each other on
/// every op. Code above this protocol never touches OpenCL.
///
/// Conventions: tensors are row-major; images are NHWC and convolution kernels HWIO (Keras's
/// layouts); class labels are class indices stored as floats. Every op writes all of its output
/// (no op relies on an output being zeroed first) and throws ``GlassboxError`` naming both shapes
/// when operands do not fit, before any work is queued.
public protocol Backend: AnyObject {
    /// A short human-readable name: `cpu-reference` or `opencl: <device name>`.
    var name: String { get }

    // MARK: Memory

    /// A tensor of `shape` with unspecified contents.
    func makeTensor(shape: Shape) throws -> Tensor
    /// Overwrites `tensor` with `values`.
    func write(_ values: [Float], into tensor: Tensor) throws
    /// The tensor's values (waits for queued work that writes it).
    func download(_ tensor: Tensor) throws -> [Float]
    /// Sets every element of `tensor` to `value`.
    func fill(_ tensor: Tensor, with value: Float) throws
    /// Waits until all queued work has finished (for timing; downloads wait by themselves).
    func synchronize() throws

    // MARK: Dense algebra

    /// `y = activation(x w + bias)`: a Dense layer's forward pass over rows `x [m, k]`, weights
    /// `w [k, n]`, bias `[n]`. ``OpenCLBackend`` runs `linear` and `relu` as one GEMM launch with
    /// the activation in its epilogue; the default is ``gemm(_:_:into:transposeA:transposeB:bias:accumulate:)``
    /// followed by the activation in place.
    func denseForward(_ x: Tensor, weights: Tensor, bias: Tensor?, activation: Activation, into y: Tensor) throws
    /// The backward pass of ``denseForward(_:weights:bias:activation:into:)`` from its output `y [m, n]`
    /// and `gradOutput` (dL/dy, `[m, n]`): with `dZ = gradOutput` through the activation's
    /// derivative, `weightGradient = x^T dZ` (`[k, n]`), `biasGradient = 1^T dZ` (`[n]`) and, when
    /// given, `inputGradient = dZ w^T` (`[m, k]`). `gradOutput` may be overwritten with `dZ`.
    /// ``OpenCLBackend`` runs `linear` and `relu` as two GEMM launches (the relu derivative applied
    /// as `gradOutput` is loaded, the bias gradient summed inside the weight-gradient GEMM).
    func denseBackward(_ x: Tensor, weights: Tensor, output y: Tensor, activation: Activation, gradOutput: Tensor,
                       weightGradient: Tensor, biasGradient: Tensor, inputGradient: Tensor?) throws

    /// `c = op(a) op(b) (+ bias per column) (+ c when accumulate)`, with `op(x)` = x or its transpose.
    /// Shapes: `op(a)` is `[M, K]`, `op(b)` is `[K, N]`, `c` is `[M, N]`, `bias` is `[N]`.
    /// - Complexity: 2 M N K floating-point operations.
    func gemm(_ a: Tensor, _ b: Tensor, into c: Tensor, transposeA: Bool, transposeB: Bool,
              bias: Tensor?, accumulate: Bool) throws
    /// `y[r, c] = x[r, c] + bias[c]`, with `bias` as long as the last dimension of `x`.
    func biasAdd(_ x: Tensor, bias: Tensor, into y: Tensor) throws

    // MARK: Activations

    /// `y = max(x, 0)`.
    func relu(_ x: Tensor, into y: Tensor) throws
    /// `gradInput = gradOutput` where `input > 0`, else 0.
    func reluBackward(gradOutput: Tensor, input: Tensor, into gradInput: Tensor) throws
    /// `y = 1 / (1 + exp(-x))`.
    /// `y = x` where `x > 0`, else `slope x` (Keras's `leaky_relu`; `slope` > 0).
    func leakyRelu(_ x: Tensor, slope: Float, into y: Tensor) throws
    /// The gradient of ``leakyRelu(_:slope:into:)`` from its output (positive exactly where the
    /// input is); `gradInput` may be `gradOutput`.
    func leakyReluBackward(gradOutput: Tensor, output: Tensor, slope: Float, into gradInput: Tensor) throws
    func sigmoid(_ x: Tensor, into y: Tensor) throws
    /// `gradInput = gradOutput * y * (1 - y)`, from the forward output `y`.
    func sigmoidBackward(gradOutput: Tensor, output: Tensor, into gradInput: Tensor) throws
    /// `y = tanh(x)`.
    func tanh(_ x: Tensor, into y: Tensor) throws
    /// `gradInput = gradOutput * (1 - y^2)`, from the forward output `y`.
    func tanhBackward(gradOutput: Tensor, output: Tensor, into gradInput: Tensor) throws
    /// Inverted dropout: each element is zeroed with probability `rate` and the rest are scaled by
    /// `1 / (1 - rate)`. The mask is a fixed function of `(seed, element index)` (see
    /// ``DropoutMask``), the same on every backend; the backward pass is this op applied to the
    /// gradient with the same seed.
    func dropout(_ x: Tensor, into y: Tensor, rate: Float, seed: UInt32) throws
    /// Row-wise softmax over the last dimension of a `[rows, classes]` tensor.
    func softmax(_ logits: Tensor, into probabilities: Tensor) throws
    /// The gradient of the logits given the gradient of the softmax probabilities.
    func softmaxBackward(probabilities: Tensor, gradOutput: Tensor, into gradLogits: Tensor) throws

    // MARK: Convolution and pooling

    /// 2-D convolution (cross-correlation), NHWC input, HWIO kernel, optional bias `[CO]`.
    /// - Complexity: ``Conv2DGeometry/forwardFLOPs``.
    func conv2dForward(input: Tensor, kernel: Tensor, bias: Tensor?, geometry: Conv2DGeometry, into output: Tensor) throws
    /// Inference's fused convolution block: `maxpool(activation(conv2d(input) + bias))`, written
    /// straight to the pooled `output` without materialising the convolution. `pool` describes
    /// pooling of the convolution's output; `nil` means no pooling. The activation must be
    /// monotonic (linear, relu, sigmoid or tanh), so that pooling and activation commute.
    func conv2dPoolForward(input: Tensor, kernel: Tensor, bias: Tensor?, geometry: Conv2DGeometry, pool: Pool2DGeometry?,
                           activation: Activation, into output: Tensor) throws
    /// Training's fused convolution block: `activations = activation(conv2d(input) + bias)` and
    /// `output = maxpool(activations)` in one op, keeping the activations that the pooling's and
    /// the activation's backward passes read. `pool` must tile the convolution's output (stride =
    /// window, no remainder) and the activation be monotonic, as for
    /// ``conv2dPoolForward(input:kernel:bias:geometry:pool:activation:into:)``.
    func conv2dActivationPoolForward(input: Tensor, kernel: Tensor, bias: Tensor?, geometry: Conv2DGeometry, pool: Pool2DGeometry,
                                     activation: Activation, activations: Tensor, into output: Tensor) throws
    /// The gradient of the convolution's input.
    func conv2dBackwardInput(gradOutput: Tensor, kernel: Tensor, geometry: Conv2DGeometry, into gradInput: Tensor) throws
    /// The gradients of the kernel and (when given) of the bias, summed over the batch.
    func conv2dBackwardKernel(input: Tensor, gradOutput: Tensor, geometry: Conv2DGeometry,
                              kernelGradient: Tensor, biasGradient: Tensor?) throws
    /// Max pooling over `valid` windows.
    func maxPool2dForward(input: Tensor, geometry: Pool2DGeometry, into output: Tensor) throws
    /// Routes each window's gradient to its first maximal input element (row-major window order).
    func maxPool2dBackward(input: Tensor, gradOutput: Tensor, geometry: Pool2DGeometry, into gradInput: Tensor) throws
    /// ``maxPool2dBackward(input:gradOutput:geometry:into:)`` followed by the backward pass of the
    /// relu whose outputs `input` holds: the gradient reaches the first maximal element only where
    /// that element is positive, which gives the gradient of the relu's input.
    func maxPool2dReluBackward(input: Tensor, gradOutput: Tensor, geometry: Pool2DGeometry, into gradInput: Tensor) throws
    /// The kernel and (when given) bias gradients of a convolution whose relu outputs
    /// (`activations`) a max pooling alone reads, from the pooling output's gradient, when the
    /// convolution's input gradient is not wanted (a first layer in training): the same as
    /// ``maxPool2dReluBackward(input:gradOutput:geometry:into:)`` into `scratch` (the
    /// convolution's output shape) followed by
    /// ``conv2dBackwardKernel(input:gradOutput:geometry:kernelGradient:biasGradient:)``, whose
    /// result it overwrites.
    func conv2dKernelGradientThroughMaxPoolRelu(input: Tensor, activations: Tensor, gradOutput: Tensor, geometry: Conv2DGeometry,
                                                pool: Pool2DGeometry, scratch: Tensor, kernelGradient: Tensor, biasGradient: Tensor?) throws
    /// Average pooling over `valid` windows, NHWC: each output is its window's mean.
    func averagePool2dForward(input: Tensor, geometry: Pool2DGeometry, into output: Tensor) throws
    /// Spreads each output gradient evenly over its window (summing where windows overlap).
    func averagePool2dBackward(gradOutput: Tensor, geometry: Pool2DGeometry, into gradInput: Tensor) throws

    // MARK: DeepLIFT (DeepSHAP's modified backward pass)

    /// DeepLIFT's rescale rule for an element-wise activation between inputs and references:
    /// `gradInput = gradOutput * (y - yRef) / (z - zRef)`, or `gradOutput * g'(z)` where
    /// `|z - zRef| < 1e-6` (Shrikumar et al. 2017, section 3.5.1). Softmax is not element-wise
    /// and is refused. The reference side (`referencePreactivation`, `referenceOutput`) may hold
    /// one sample of the batch, repeated over it (DeepSHAP's one input against n background
    /// images); the rule is symmetric in the two sides except for the derivative fallback.
    func deepLiftRescale(gradOutput: Tensor, preactivation: Tensor, referencePreactivation: Tensor, output: Tensor,
                         referenceOutput: Tensor, activation: Activation, into gradInput: Tensor) throws
    /// DeepLIFT's max-pooling rule as shap's DeepExplainer applies it: with `c = max(out, outRef)`,
    /// `gradInput = (poolGrad_at_input(m (c - outRef)) + poolGrad_at_reference(m (out - c))) / (in - inRef)`,
    /// 0 where `|in - inRef| < 1e-7`. `referenceInput` and `referenceOutput` may hold one sample
    /// of the batch, repeated over it; the rule is symmetric in the two sides.
    func deepLiftMaxPool(gradOutput: Tensor, input: Tensor, referenceInput: Tensor, output: Tensor, referenceOutput: Tensor,
                         geometry: Pool2DGeometry, into gradInput: Tensor) throws
    /// ``deepLiftMaxPool(gradOutput:input:referenceInput:output:referenceOutput:geometry:into:)``
    /// followed by ``deepLiftRescale(gradOutput:preactivation:referencePreactivation:output:referenceOutput:activation:into:)``
    /// for the relu whose outputs the pooling read (`input`, `referenceInput`) and whose inputs
    /// are `preactivation` and `referencePreactivation`: the multipliers of the relu's input.
    /// DeepSHAP's Conv2D + relu + MaxPool2D block; one pass where a backend can fuse it.
    func deepLiftMaxPoolRelu(gradOutput: Tensor, input: Tensor, referenceInput: Tensor, preactivation: Tensor,
                             referencePreactivation: Tensor, output: Tensor, referenceOutput: Tensor,
                             geometry: Pool2DGeometry, into gradInput: Tensor) throws
    /// DeepSHAP's whole Conv2D + relu + MaxPool2D block:
    /// ``deepLiftMaxPoolRelu(gradOutput:input:referenceInput:preactivation:referencePreactivation:output:referenceOutput:geometry:into:)``
    /// into `scratch` (the convolution's output shape), then the convolution's linear rule (its
    /// input gradient with `kernel`) into `gradInput`, the multipliers of the convolution's input.
    /// A backend that fuses the two may leave `scratch` untouched.
    func deepLiftConvReluMaxPool(gradOutput: Tensor, input: Tensor, referenceInput: Tensor, preactivation: Tensor,
                                 referencePreactivation: Tensor, output: Tensor, referenceOutput: Tensor, pool: Pool2DGeometry,
                                 kernel: Tensor, convolution: Conv2DGeometry, scratch: Tensor, into gradInput: Tensor) throws

    // MARK: Perturbations

    /// Expands coalitions into model inputs: for each mask `masks[i]` (bit `s` set = segment `s`
    /// present, up to 64 segments) and each baseline row `k`, `output[i * K + k]` is `input` where
    /// the pixel's segment is present and baseline row `k` elsewhere. `input` holds one sample
    /// (`sampleSize` floats, pixels of `channels` values each) and `baseline` K samples (one: a
    /// baseline image; many: the background rows of interventional SHAP); `segments` holds each
    /// pixel's segment id (0...63, as floats); `output` holds `masks.count * K` samples.
    func expandMasks(_ masks: [UInt64], input: Tensor, baseline: Tensor, segments: Tensor, into output: Tensor) throws

    /// The segment-table sweep (the explainers' `SegmentTable`): for each mask, `output[i] = bias +
    /// sum over groups g of table[g.offset + code_g(masks[i])]`, where `code_g` packs the mask's
    /// bits of group g's segments (bit t for `g.segments[t]`). `table` is `[rows, units]`,
    /// `bias` `[units]`, `output` `[masks.count, units]`; `units` must be a multiple of 16.
    func segmentTableSweep(_ masks: [UInt64], table: Tensor, groups: [MaskedRowGroup], bias: Tensor, into output: Tensor) throws

    /// The segment table's rows (the explainers' `SegmentTable` build): part `k` is the sum, over
    /// the positions `p` of group `layout.partGroups[k]` and the channels `c`, of
    /// `features[layout.partImages[k], p * channels + c] * weights[p * channels + c, :]`, and row
    /// `r` of `table` is the sum of the parts `layout.rowParts[r]`. `features` holds one row of
    /// features per image (its first dimension), `weights` is `[features per image, units]`,
    /// `table` `[layout.rows, units]`; `units` must be a multiple of 16.
    func segmentTableRows(features: Tensor, weights: Tensor, layout: SegmentTableLayout, into table: Tensor) throws

    // MARK: Loss, optimizers, metrics

    /// Fused sparse softmax cross-entropy: `losses[r] = logsumexp(z_r) - z_r[label_r]` and, when
    /// `gradLogits` is given, `gradLogits = scale * (softmax(z) - onehot(label))`. Stable for any
    /// finite logits. A label outside `0..<classes` or not an integer gives NaN for its row.
    func softmaxCrossEntropy(logits: Tensor, labels: Tensor, losses: Tensor, gradLogits: Tensor?, scale: Float) throws
    /// ``softmaxCrossEntropy(logits:labels:losses:gradLogits:scale:)``, then the rows' losses
    /// added to `lossTotal` (`[1]`) and the rows whose argmax is their label counted into
    /// `correctTotal` (`[1]`): a training step's loss head, in one launch on OpenCL.
    func softmaxCrossEntropyTotals(logits: Tensor, labels: Tensor, losses: Tensor, gradLogits: Tensor?, scale: Float,
                                   lossTotal: Tensor, correctTotal: Tensor) throws
    /// One Adam step in place on `parameter` and its moments; `step` counts from 1.
    func adamUpdate(parameter: Tensor, gradient: Tensor, firstMoment: Tensor, secondMoment: Tensor,
                    step: Int, hyperparameters: AdamHyperparameters) throws
    /// `parameter -= learningRate * gradient`, in place.
    func sgdUpdate(parameter: Tensor, gradient: Tensor, learningRate: Float) throws
    /// One Adam step on every tensor of `tensors` (each as ``adamUpdate(parameter:gradient:firstMoment:secondMoment:step:hyperparameters:)``),
    /// in as few launches as the backend can (a whole model's step in one launch on OpenCL).
    func adamUpdate(_ tensors: [OptimizerTensors], step: Int, hyperparameters: AdamHyperparameters) throws
    /// One SGD step on every tensor of `tensors`, in as few launches as the backend can.
    func sgdUpdate(_ tensors: [OptimizerTensors], learningRate: Float) throws
    /// The first index of each row's maximum, as floats: `[rows, classes] -> [rows]`.
    func argmax(_ x: Tensor, into indices: Tensor) throws
    /// How many rows' argmax equals their label, into a `[1]` tensor (added to it when `accumulate`).
    func accuracyCount(logits: Tensor, labels: Tensor, into count: Tensor, accumulate: Bool) throws
    /// The sum of all elements, into a `[1]` tensor (added to it when `accumulate`), so that
    /// running totals stay on the device.
    func sum(_ x: Tensor, into result: Tensor, accumulate: Bool) throws

    /// `y[o, i] = sum over a of x[o, a, i]` (divided by `axis` when `mean`), for `x` viewed as
    /// `[outer, axis, inner]` and `y` as `[outer, inner]`: Keras's `reduce_sum`/`reduce_mean`
    /// over one axis.
    func reduceAxis(_ x: Tensor, outer: Int, axis: Int, inner: Int, mean: Bool, into y: Tensor) throws
    /// The gradient of ``reduceAxis(_:outer:axis:inner:mean:into:)``: `gradOutput` broadcast back
    /// over the reduced axis (divided by `axis` when `mean`).
    func reduceAxisBackward(gradOutput: Tensor, outer: Int, axis: Int, inner: Int, mean: Bool, into gradInput: Tensor) throws

    /// `c = a + b`, element-wise (`c` may be `a` or `b`): Keras's `Add`, and the sum of the
    /// gradients of a layer read by several layers.
    func add(_ a: Tensor, _ b: Tensor, into c: Tensor) throws
    /// Copies between `block`, viewed as `[outer, blockAxis, inner]`, and `whole`, viewed as
    /// `[outer, wholeAxis, inner]`, at `offset` along the middle axis: into `whole` when
    /// `toWhole` (Keras's `Concatenate`), else out of it (its backward pass).
    func copyBlock(_ block: Tensor, _ whole: Tensor, outer: Int, blockAxis: Int, wholeAxis: Int, inner: Int, offset: Int,
                   toWhole: Bool) throws

    /// Per channel of `x` viewed as `[rows, channels]`: the mean and the biased variance over the
    /// rows (batch normalisation's batch statistics).
    func batchNormStatistics(_ x: Tensor, channels: Int, mean: Tensor, variance: Tensor) throws
    /// `y = gamma (x - mean) / sqrt(variance + epsilon) + beta` per channel (the last axis).
    func batchNormForward(_ x: Tensor, mean: Tensor, variance: Tensor, gamma: Tensor, beta: Tensor, epsilon: Float,
                          into y: Tensor) throws
    /// The gradients of ``batchNormForward(_:mean:variance:gamma:beta:epsilon:into:)`` when
    /// `mean` and `variance` are the batch statistics of `input` (training): `gradGamma`,
    /// `gradBeta` and `gradInput` (Ioffe & Szegedy 2015, section 3).
    func batchNormBackward(gradOutput: Tensor, input: Tensor, mean: Tensor, variance: Tensor, gamma: Tensor, epsilon: Float,
                           gradInput: Tensor, gradGamma: Tensor, gradBeta: Tensor) throws
    /// `moving = momentum moving + (1 - momentum) value`, element-wise.
    func movingAverage(_ moving: Tensor, toward value: Tensor, momentum: Float) throws
}

extension Backend {
    public func conv2dActivationPoolForward(input: Tensor, kernel: Tensor, bias: Tensor?, geometry: Conv2DGeometry, pool: Pool2DGeometry,
                                            activation: Activation, activations: Tensor, into output: Tensor) throws {
        try conv2dActivationPoolForwardUnfused(input: input, kernel: kernel, bias: bias, geometry: geometry, pool: pool,
                                               activation: activation, activations: activations, into: output)
    }

    /// ``conv2dActivationPoolForward(input:kernel:bias:geometry:pool:activation:activations:into:)``
    /// as three ops: convolution, activation in place, max pooling.
    public func conv2dActivationPoolForwardUnfused(input: Tensor, kernel: Tensor, bias: Tensor?, geometry: Conv2DGeometry,
                                                   pool: Pool2DGeometry, activation: Activation, activations: Tensor,
                                                   into output: Tensor) throws {
        try ShapeChecks.conv2dActivationPool(geometry, pool, activation, activations, output)
        try conv2dForward(input: input, kernel: kernel, bias: bias, geometry: geometry, into: activations)
        try activation.apply(self, activations, into: activations)
        try maxPool2dForward(input: activations, geometry: pool, into: output)
    }

    public func maxPool2dReluBackward(input: Tensor, gradOutput: Tensor, geometry: Pool2DGeometry, into gradInput: Tensor) throws {
        try maxPool2dReluBackwardUnfused(input: input, gradOutput: gradOutput, geometry: geometry, into: gradInput)
    }

    public func conv2dKernelGradientThroughMaxPoolRelu(input: Tensor, activations: Tensor, gradOutput: Tensor, geometry: Conv2DGeometry,
                                                       pool: Pool2DGeometry, scratch: Tensor, kernelGradient: Tensor,
                                                       biasGradient: Tensor?) throws {
        try conv2dKernelGradientThroughMaxPoolReluUnfused(input: input, activations: activations, gradOutput: gradOutput, geometry: geometry,
                                                          pool: pool, scratch: scratch, kernelGradient: kernelGradient,
                                                          biasGradient: biasGradient)
    }

    /// ``conv2dKernelGradientThroughMaxPoolRelu(input:activations:gradOutput:geometry:pool:scratch:kernelGradient:biasGradient:)``
    /// as its two ops.
    public func conv2dKernelGradientThroughMaxPoolReluUnfused(input: Tensor, activations: Tensor, gradOutput: Tensor,
                                                              geometry: Conv2DGeometry, pool: Pool2DGeometry, scratch: Tensor,
                                                              kernelGradient: Tensor, biasGradient: Tensor?) throws {
        try ShapeChecks.same("conv2d_pool backward scratch", geometry.outputShape, scratch)
        try maxPool2dReluBackward(input: activations, gradOutput: gradOutput, geometry: pool, into: scratch)
        try conv2dBackwardKernel(input: input, gradOutput: scratch, geometry: geometry, kernelGradient: kernelGradient,
                                 biasGradient: biasGradient)
    }

    /// ``maxPool2dReluBackward(input:gradOutput:geometry:into:)`` as its two ops, the relu's in place.
    public func maxPool2dReluBackwardUnfused(input: Tensor, gradOutput: Tensor, geometry: Pool2DGeometry, into gradInput: Tensor) throws {
        try maxPool2dBackward(input: input, gradOutput: gradOutput, geometry: geometry, into: gradInput)
        try reluBackward(gradOutput: gradInput, input: input, into: gradInput)
    }

    public func deepLiftMaxPoolRelu(gradOutput: Tensor, input: Tensor, referenceInput: Tensor, preactivation: Tensor,
                                    referencePreactivation: Tensor, output: Tensor, referenceOutput: Tensor,
                                    geometry: Pool2DGeometry, into gradInput: Tensor) throws {
        try deepLiftMaxPoolReluUnfused(gradOutput: gradOutput, input: input, referenceInput: referenceInput, preactivation: preactivation,
                                       referencePreactivation: referencePreactivation, output: output, referenceOutput: referenceOutput,
                                       geometry: geometry, into: gradInput)
    }

    /// ``deepLiftMaxPoolRelu(gradOutput:input:referenceInput:preactivation:referencePreactivation:output:referenceOutput:geometry:into:)``
    /// as its two rules, the rescale in place.
    public func deepLiftMaxPoolReluUnfused(gradOutput: Tensor, input: Tensor, referenceInput: Tensor, preactivation: Tensor,
                                           referencePreactivation: Tensor, output: Tensor, referenceOutput: Tensor,
                                           geometry: Pool2DGeometry, into gradInput: Tensor) throws {
        try deepLiftMaxPool(gradOutput: gradOutput, input: input, referenceInput: referenceInput, output: output,
                            referenceOutput: referenceOutput, geometry: geometry, into: gradInput)
        try deepLiftRescale(gradOutput: gradInput, preactivation: preactivation, referencePreactivation: referencePreactivation,
                            output: input, referenceOutput: referenceInput, activation: .relu, into: gradInput)
    }

    public func deepLiftConvReluMaxPool(gradOutput: Tensor, input: Tensor, referenceInput: Tensor, preactivation: Tensor,
                                        referencePreactivation: Tensor, output: Tensor, referenceOutput: Tensor, pool: Pool2DGeometry,
                                        kernel: Tensor, convolution: Conv2DGeometry, scratch: Tensor, into gradInput: Tensor) throws {
        try deepLiftConvReluMaxPoolUnfused(gradOutput: gradOutput, input: input, referenceInput: referenceInput, preactivation: preactivation,
                                           referencePreactivation: referencePreactivation, output: output, referenceOutput: referenceOutput,
                                           pool: pool, kernel: kernel, convolution: convolution, scratch: scratch, into: gradInput)
    }

    /// ``deepLiftConvReluMaxPool(gradOutput:input:referenceInput:preactivation:referencePreactivation:output:referenceOutput:pool:kernel:convolution:scratch:into:)``
    /// as its two ops.
    public func deepLiftConvReluMaxPoolUnfused(gradOutput: Tensor, input: Tensor, referenceInput: Tensor, preactivation: Tensor,
                                               referencePreactivation: Tensor, output: Tensor, referenceOutput: Tensor, pool: Pool2DGeometry,
                                               kernel: Tensor, convolution: Conv2DGeometry, scratch: Tensor, into gradInput: Tensor) throws {
        try deepLiftMaxPoolRelu(gradOutput: gradOutput, input: input, referenceInput: referenceInput, preactivation: preactivation,
                                referencePreactivation: referencePreactivation, output: output, referenceOutput: referenceOutput,
                                geometry: pool, into: scratch)
        try conv2dBackwardInput(gradOutput: scratch, kernel: kernel, geometry: convolution, into: gradInput)
    }

    public func denseForward(_ x: Tensor, weights: Tensor, bias: Tensor?, activation: Activation, into y: Tensor) throws {
        try gemm(x, weights, into: y, bias: bias)
        try activation.apply(self, y, into: y)
    }

    public func denseBackward(_ x: Tensor, weights: Tensor, output y: Tensor, activation: Activation, gradOutput: Tensor,
                              weightGradient: Tensor, biasGradient: Tensor, inputGradient: Tensor?) throws {
        try denseBackwardUnfused(x, weights: weights, output: y, activation: activation, gradOutput: gradOutput,
                                 weightGradient: weightGradient, biasGradient: biasGradient, inputGradient: inputGradient)
    }

    /// ``denseBackward(_:weights:output:activation:gradOutput:weightGradient:biasGradient:inputGradient:)``
    /// as separate ops: the activation's backward pass in place, two GEMMs and a column sum.
    public func denseBackwardUnfused(_ x: Tensor, weights: Tensor, output y: Tensor, activation: Activation, gradOutput: Tensor,
                                     weightGradient: Tensor, biasGradient: Tensor, inputGradient: Tensor?) throws {
        try ShapeChecks.same("dense output", gradOutput.shape, y)
        try activation.backward(self, output: y, gradient: gradOutput)
        try gemm(x, gradOutput, into: weightGradient, transposeA: true)
        let rows = gradOutput.shape.dimensions.first ?? 1
        try reduceAxis(gradOutput, outer: 1, axis: rows, inner: gradOutput.elementCount / max(rows, 1), mean: false, into: biasGradient)
        if let inputGradient { try gemm(gradOutput, weights, into: inputGradient, transposeB: true) }
    }

    /// `c = op(a) op(b)` with the common defaults: no transposes, no bias, overwrite.
    public func gemm(_ a: Tensor, _ b: Tensor, into c: Tensor, transposeA: Bool = false, transposeB: Bool = false,
                     bias: Tensor? = nil, accumulate: Bool = false) throws {
        try gemm(a, b, into: c, transposeA: transposeA, transposeB: transposeB, bias: bias, accumulate: accumulate)
    }

    /// Copies `x` into `y` (the same number of elements).
    public func copy(_ x: Tensor, into y: Tensor) throws {
        try copyBlock(x, y, outer: 1, blockAxis: x.elementCount, wholeAxis: y.elementCount, inner: 1, offset: 0, toWhole: true)
    }

    /// The sum of all elements into a `[1]` tensor, overwriting it.
    public func sum(_ x: Tensor, into result: Tensor) throws { try sum(x, into: result, accumulate: false) }

    /// How many rows' argmax equals their label, into a `[1]` tensor, overwriting it.
    public func accuracyCount(logits: Tensor, labels: Tensor, into count: Tensor) throws {
        try accuracyCount(logits: logits, labels: labels, into: count, accumulate: false)
    }

    /// A tensor holding `values` (row-major).
    /// - Throws: ``GlassboxError/shapeMismatch(operation:expected:actual:)`` unless
    ///   `values.count == shape.elementCount`.
    public func upload(_ values: [Float], shape: Shape) throws -> Tensor {
        let tensor = try makeTensor(shape: shape)
        try write(values, into: tensor)
        return tensor
    }

    /// A tensor of `shape` filled with `value`.
    public func makeTensor(shape: Shape, filledWith value: Float) throws -> Tensor {
        let tensor = try makeTensor(shape: shape)
        try fill(tensor, with: value)
        return tensor
    }
}
