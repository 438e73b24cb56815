import Foundation

/// DeepSHAP (Lundberg & Lee 2017, section 4.2, "Deep SHAP"): DeepLIFT multipliers (Shrikumar,
/// Greenside & Kundaje 2017) between the input and each image of a background set, times the
/// input's difference from that image, averaged over the background:
///
///     phi = mean over b of  m(x, b) * (x - b),     sum(phi) = f(x) - mean over b of f(b)
///
/// The multipliers come from a modified backward pass over the model's graph on the device,
/// batched over the background: each layer's runner applies its own rule (`DeepLiftRule`): the
/// rescale rule `(y_x - y_b) / (z_x - z_b)` for element-wise activations (of Conv2D, Dense and
/// Activation layers), shap DeepExplainer's max-pooling rule; layers linear in their input at
/// inference (Flatten, Reshape, the reductions, average pooling, batch normalisation, Dropout,
/// Add, Concatenate) use their ordinary backward pass, and branches sum their multipliers as
/// gradients do. A final softmax is handled as shap's DeepExplainer handles it
/// (`DeepLiftSoftmax`): rewritten into exp, sum and division, with a rule for each; over a
/// multi-axis output, in the target's row.
///
/// The background's forward pass depends only on the model and the background, so it is kept
/// (device buffers and outputs) for the next explanation on the same ``InferenceSession``. The
/// explained input runs forward once, not once per background image: the rules are symmetric in
/// the input and the reference, so the modified backward pass runs on the background's batch with
/// the input's activations repeated over it inside the rule kernels.
///
/// The values are a mean over the background, so their standard errors are the standard errors
/// of that mean, `sd / sqrt(n)` over the n images' per-segment attributions (n - 1 degrees of
/// freedom): the spread a different random background of the same size would give.
///
/// - Complexity: a forward pass of the input alone, the background's forward pass (once per
///   session), and one modified backward pass over the background (batched).
public struct DeepShap: Explainer {
    public let name = "deep"
    /// The background images (each one sample of the model's input); they shape the attribution
    /// and never appear in an explanation.
    public let background: [[Float]]
    /// The background's forward pass, kept for the session it ran on.
    private let kept = KeptReferences()
    /// What is explained on a model that ends in softmax (elsewhere the output itself).
    public var output: Output

    /// The output DeepSHAP explains on a softmax model.
    public enum Output: String, Sendable, CaseIterable {
        /// The target's probability, through shap's softmax rule (`DeepLiftSoftmax`).
        case probability
        /// The target's logit (the softmax's input): the values add up to the logit's change.
        case logit
    }

    /// - Parameters:
    ///   - background: reference images, e.g. 100 training images drawn with a seed.
    ///   - output: on a softmax model, the probability (shap's choice) or the logit.
    public init(background: [[Float]], output: Output = .probability) {
        self.background = background
        self.output = output
    }

    /// The background's stack and activations on one session (held weakly: a new session, even
    /// at the same address, never finds another's buffers).
    final class KeptReferences: @unchecked Sendable {
        private let lock = NSLock()
        private weak var session: InferenceSession?
        private var references: (stack: Network.Stack, activations: Network.Activations, outputs: [Float])?

        /// The kept pass for `session`, or `make()`'s result, kept for next time.
        func references(for session: InferenceSession, make: () throws -> (Network.Stack, Network.Activations, [Float]))
            rethrows -> (stack: Network.Stack, activations: Network.Activations, outputs: [Float], reused: Bool) {
            lock.lock(); defer { lock.unlock() }
            if let references, self.session === session { return (references.stack, references.activations, references.outputs, true) }
            let made = try make()
            self.session = session
            references = made
            return (made.0, made.1, made.2, false)
        }
    }

    public func explain(_ request: ExplanationRequest) throws -> Explanation {
        let model = request.session.model, backend = request.session.backend
        let size = model.sampleSize, n = background.count
        guard n >= 1, background.allSatisfy({ $0.count == size }) else {
            throw GlassboxError.invalidArgument(operation: "deep", reason: "needs background images of \(size) values each")
        }
        let last = model.layers.count - 1
        for (index, layer) in model.layers.enumerated() where index != last && layer.configuration.activation == Activation.softmax.rawValue {
            throw GlassboxError.invalidArgument(operation: "deep",
                reason: "layer \(index) '\(model.layerNames[index])' (\(layer.typeName)): softmax is supported on the last layer only")
        }
        var reused = false
        var moments = RunningMoments(size: request.segmentation.count)
        let ((phi, fx, fb), seconds) = try timed { () -> ([Double], Double, [Double]) in
            let network = request.session.network
            let kept = try self.kept.references(for: request.session) {
                let bs = try network.makeStack(batchSize: n)
                for case .single(let runner) in bs.runners { try (runner as? DeepLiftRule)?.prepareForDeepLift() }
                try backend.write(Array(background.joined()), into: bs.input)
                let b = try network.forward(bs, training: false, seed: 0, fuse: false)
                return (bs, b, try backend.download(try network.predictions(bs, output: b.outputs[last])))
            }
            reused = kept.reused
            let (bs, b, pb) = (kept.stack, kept.activations, kept.outputs)
            // The explained input runs forward once (batch 1); the rules broadcast it against
            // the background's batch, so the backward pass runs on the background's runners.
            let xs = try network.makeStack(batchSize: 1)
            for case .single(let runner) in xs.runners { try (runner as? DeepLiftRule)?.prepareForDeepLift() }
            try backend.write(request.input, into: xs.input)
            let x = try network.forward(xs, training: false, seed: 0, fuse: false)
            let classes = model.outputCount, t = request.target
            let px = try backend.download(try network.predictions(xs, output: x.outputs[last]))
            var fx = Double(px[t]), fb = (0..<n).map { Double(pb[$0 * classes + t]) }
            // Multipliers of the explained output with respect to the last layer's output (the
            // logits, when the model ends in softmax: the runner leaves softmax to the model).
            var values = [Float](repeating: 0, count: n * classes)
            let softmaxWidth = network.head.softmaxWidth
            if softmaxWidth != nil, output == .logit {
                // The target's logit itself: linear at the top, so its rule is the plain one.
                let zx = try backend.download(x.outputs[last]), zb = try backend.download(b.outputs[last])
                fx = Double(zx[t])
                fb = (0..<n).map { Double(zb[$0 * classes + t]) }
                for i in 0..<n { values[i * classes + t] = 1 }
            } else if let width = softmaxWidth {
                // Softmax runs over the output's last axis: the rule applies to the target's row.
                let zx = try backend.download(x.outputs[last]), zb = try backend.download(b.outputs[last])
                let start = t / width * width
                let logits = zx[start..<(start + width)].map(Double.init)
                for i in 0..<n {
                    let row = (i * classes + start)..<(i * classes + start + width)
                    let rule = DeepLiftSoftmax.multipliers(logits: logits, reference: zb[row].map(Double.init), target: t - start)
                    for j in 0..<width { values[i * classes + start + j] = Float(rule[j]) }
                }
            } else {
                for i in 0..<n { values[i * classes + t] = 1 }
            }
            let m = try backend.upload(values, shape: b.outputs[last].shape)
            var scratch: [Int: [Tensor]] = [:]
            // Layers whose activation's rule a max pooling after them already applied, and
            // layers whose every rule it applied (its multipliers are those of their input).
            var rescaled: Set<Int> = [], applied: Set<Int> = []
            // The rules are symmetric in their two sides: the background's runner (batch n) is
            // `self`, the explained input's (batch 1) the reference.
            let multipliers = try network.propagate(bs, activations: b, gradient: m, inputGradient: true) { index, g, _ in
                switch (bs.runners[index], xs.runners[index]) {
                case (.single(let runner), .single(let explained)):
                    if applied.contains(index) { return [g] }
                    if rescaled.contains(index), let rule = runner as? PreactivationRule {
                        return [try rule.deepLiftLinearBackward(g, parameters: network.parameters[index])]
                    }
                    // Conv2D + relu + MaxPool2D: the three rules in one op, else the pool's and the relu's.
                    let sources = model.layerInputs[index]
                    if let pool = runner as? Pool2DRunner, sources.count == 1, let producer = sources.first, producer >= 0,
                       network.consumers[producer] == 1,
                       case .single(let producerRunner) = bs.runners[producer], let rule = producerRunner as? PreactivationRule,
                       case .single(let producerReference) = xs.runners[producer], let referenceRule = producerReference as? PreactivationRule {
                        if let block = try rule.deepLiftBackward(g, through: pool, poolInput: b.inputs[index][0], poolOutput: b.outputs[index],
                                                                 referencePoolInput: x.inputs[index][0], referencePoolOutput: x.outputs[index],
                                                                 reference: referenceRule, parameters: network.parameters[producer]) {
                            applied.insert(producer)
                            return [block]
                        }
                        if let fused = try pool.deepLiftBackward(g, input: b.inputs[index][0], output: b.outputs[index],
                                                                 referenceInput: x.inputs[index][0], referenceOutput: x.outputs[index],
                                                                 throughReluOf: rule, reference: referenceRule) {
                            rescaled.insert(producer)
                            return [fused]
                        }
                    }
                    if let rule = runner as? DeepLiftRule {
                        return [try rule.deepLiftBackward(g, input: b.inputs[index][0], output: b.outputs[index], reference: explained,
                                                          referenceInput: x.inputs[index][0], referenceOutput: x.outputs[index],
                                                          parameters: network.parameters[index])]
                    }
                    // Linear in the input at inference: the multipliers are the gradient.
                    if scratch[index] == nil { scratch[index] = try model.parameterShapes[index].map { try backend.makeTensor(shape: $0) } }
                    return [try runner.backward(input: b.inputs[index][0], output: b.outputs[index], gradOutput: g,
                                                parameters: network.parameters[index], parameterGradients: scratch[index]!,
                                                needInputGradient: true, seed: 0)]
                case (.merge(let runner), _):
                    return try runner.backward(gradOutput: g)
                default:
                    throw GlassboxError.invalidArgument(operation: "deep", reason: "layer \(index) runs differently on the two batches")
                }
            }
            let mValues = try backend.download(multipliers!)
            var phi = [Double](repeating: 0, count: size)
            // Each background image's attribution per segment is one draw of the mean's distribution.
            let channels = size / (request.width * request.height)
            var segmentSums = [Double](repeating: 0, count: request.segmentation.count)
            let withErrors = request.needsStandardErrors
            for i in 0..<n {
                for s in segmentSums.indices { segmentSums[s] = 0 }
                for e in 0..<size {
                    let value = Double(mValues[i * size + e]) * (Double(request.input[e]) - Double(background[i][e]))
                    phi[e] += value / Double(n)
                    if withErrors { segmentSums[request.segmentation.segmentOfPixel[e / channels]] += value }
                }
                if withErrors { moments.add(segmentSums) }
            }
            return (phi, fx, fb)
        }
        let channels = size / (request.width * request.height)
        let pixelMap = (0..<(request.width * request.height)).map { p in (0..<channels).reduce(0.0) { $0 + phi[p * channels + $1] } }
        let values = request.segmentation.sums(ofPixelValues: pixelMap)
        let base = fb.reduce(0, +) / Double(fb.count)
        var explanation = Explanation(method: name, target: request.target, baseValue: base, prediction: fx, values: values,
                                      pixelMap: pixelMap, samples: (reused ? 0 : background.count) + 1, seconds: seconds)   // images run forward
        explanation.standardErrors = moments.standardErrors
        explanation.degreesOfFreedom = n >= 2 ? Double(n - 1) : nil
        explanation.metrics["efficiency_gap"] = explanation.efficiencyGap
        explanation.metrics["background_size"] = Double(background.count)
        if output == .logit && request.session.network.head.softmaxWidth != nil { explanation.metrics["explains_logit"] = 1 }
        explanation.floorStandardErrorsAtOutputPrecision()
        return explanation
    }
}
