import Foundation

/// DeepSHAP (Lundberg & Lee 2017, section 4.2, "Deep SHAP"): DeepLIFT multipliers (Shrikumar,
/// Greenside & Kundaje 2017) between the input and each image of a background set, times the
/// input's difference from that image, averaged over the background:
///
///     phi = mean over b of  m(x, b) * (x - b),     sum(phi) = f(x) - mean over b of f(b)
///
/// The multipliers come from a modified backward pass on the device, batched over the background:
/// the linear rule for Conv2D, Dense (on the last axis), the reductions and average pooling (their
/// ordinary backward), the rescale rule
/// `(y_x - y_b) / (z_x - z_b)` for element-wise activations (``Backend/deepLiftRescale(gradOutput:preactivation:referencePreactivation:output:referenceOutput:activation:into:)``),
/// and shap DeepExplainer's max-pooling rule (``Backend/deepLiftMaxPool(gradOutput:input:referenceInput:output:referenceOutput:geometry:into:)``).
/// A final softmax is handled as shap's DeepExplainer handles it (`DeepLiftSoftmax`): rewritten
/// into exp, sum and division, with a rule for each; over a multi-axis output, in the target's row.
///
/// - Complexity: two forward passes and one modified backward pass over the background (batched).
public struct DeepShap: Explainer {
    public let name = "deep"
    /// The background images (each one sample of the model's input); they shape the attribution
    /// and never appear in an explanation.
    public let background: [[Float]]

    /// - Parameter background: reference images, e.g. 100 training images drawn with a seed.
    public init(background: [[Float]]) {
        self.background = background
    }

    struct Pass {
        var inputs: [Tensor] = []
        var preactivations: [Tensor?] = []
        var outputs: [Tensor] = []
    }

    public func explain(_ request: ExplanationRequest) throws -> Explanation {
        let model = request.session.model, backend = request.session.backend
        let size = model.sampleSize, n = background.count
        guard n >= 1, background.allSatisfy({ $0.count == size }) else {
            throw GlassboxError.invalidArgument(operation: "deep", reason: "needs background images of \(size) values each")
        }
        for (index, layer) in model.layers.enumerated() {
            let supported = layer is Conv2D || layer is MaxPool2D || layer is Flatten || layer is Dense || layer is Dropout
                || layer is Reduce || layer is GlobalAveragePooling2D || layer is AveragePooling2D || layer is Reshape || layer is ActivationLayer
            guard supported else { throw GlassboxError.invalidArgument(operation: "deep", reason: "layer \(index) (\(layer.typeName)) has no DeepLIFT rule") }
            if let conv = layer as? Conv2D, conv.activation == .softmax {
                throw GlassboxError.invalidArgument(operation: "deep", reason: "softmax inside layer \(index) is not supported")
            }
            if Self.activation(of: layer) == .softmax, index != model.layers.count - 1 {
                throw GlassboxError.invalidArgument(operation: "deep", reason: "softmax is supported on the last layer only")
            }
        }
        let ((phi, fx, fb), seconds) = try timed { () -> ([Double], Double, [Double]) in
            let shape = try Shape([n] + model.inputShape)
            let xBatch = try backend.upload(Array([[Float]](repeating: request.input, count: n).joined()), shape: shape)
            let bBatch = try backend.upload(Array(background.joined()), shape: shape)
            let parameters = request.session.network.parameters
            let x = try forward(xBatch, model: model, parameters: parameters, backend: backend, batch: n)
            let b = try forward(bBatch, model: model, parameters: parameters, backend: backend, batch: n)
            let classes = model.outputCount, t = request.target
            let px = try backend.download(x.outputs.last!), pb = try backend.download(b.outputs.last!)
            let fx = Double(px[t]), fb = (0..<n).map { Double(pb[$0 * classes + t]) }
            // Multipliers of the explained output with respect to the last layer's pre-activation.
            let last = model.layers.count - 1
            var m: Tensor
            if Self.activation(of: model.layers[last]) == .softmax {
                // Softmax runs over the output's last axis: the rule applies to the target's row.
                let zx = try backend.download(x.preactivations[last]!), zb = try backend.download(b.preactivations[last]!)
                let width = model.outputShapes[last].last!, start = t / width * width
                var values = [Float](repeating: 0, count: n * classes)
                for i in 0..<n {
                    let row = (i * classes + start)..<(i * classes + start + width)
                    let rule = DeepLiftSoftmax.multipliers(logits: zx[row].map(Double.init), reference: zb[row].map(Double.init), target: t - start)
                    for j in 0..<width { values[i * classes + start + j] = Float(rule[j]) }
                }
                m = try backend.upload(values, shape: x.outputs.last!.shape)
            } else {
                var oneHot = [Float](repeating: 0, count: n * classes)
                for i in 0..<n { oneHot[i * classes + t] = 1 }
                m = try backend.upload(oneHot, shape: try Shape([n, classes]))
                m = try m.reshaped(x.outputs.last!.shape)
                m = try rescale(m, layer: model.layers[last], index: last, x: x, b: b, backend: backend)
            }
            // Back through the layers.
            for index in stride(from: last, through: 0, by: -1) {
                if index != last { m = try rescale(m, layer: model.layers[index], index: index, x: x, b: b, backend: backend) }
                m = try linearBackward(m, layer: model.layers[index], index: index, x: x, b: b, model: model,
                                       parameters: parameters, backend: backend, batch: n)
            }
            let multipliers = try backend.download(m)
            var phi = [Double](repeating: 0, count: size)
            for i in 0..<n {
                for e in 0..<size {
                    phi[e] += Double(multipliers[i * size + e]) * (Double(request.input[e]) - Double(background[i][e])) / Double(n)
                }
            }
            return (phi, fx, fb)
        }
        let channels = size / (request.width * request.height)
        let pixelMap = (0..<(request.width * request.height)).map { p in (0..<channels).reduce(0.0) { $0 + phi[p * channels + $1] } }
        let values = request.segmentation.sums(ofPixelValues: pixelMap)
        let base = fb.reduce(0, +) / Double(fb.count)
        var explanation = Explanation(method: name, target: request.target, baseValue: base, prediction: fx, values: values,
                                      pixelMap: pixelMap, samples: 2 * background.count, seconds: seconds)
        explanation.metrics["efficiency_gap"] = explanation.efficiencyGap
        explanation.metrics["background_size"] = Double(background.count)
        return explanation
    }

    /// A forward pass keeping every layer's input, pre-activation and output.
    func forward(_ input: Tensor, model: Sequential, parameters: [[Tensor]], backend: any Backend, batch: Int) throws -> Pass {
        var pass = Pass()
        var current = input
        for (index, layer) in model.layers.enumerated() {
            pass.inputs.append(current)
            var preactivation: Tensor?
            switch layer {
            case let conv as Conv2D:
                let g = try conv.geometry(Array(current.shape.dimensions.dropFirst()), batch: batch)
                let z = try backend.makeTensor(shape: g.outputShape)
                try backend.conv2dForward(input: current, kernel: parameters[index][0], bias: parameters[index][1], geometry: g, into: z)
                preactivation = z
                current = try activate(z, conv.activation, backend: backend)
            case let pool as MaxPool2D:
                let g = try pool.geometry(Array(current.shape.dimensions.dropFirst()), batch: batch)
                let y = try backend.makeTensor(shape: g.outputShape)
                try backend.maxPool2dForward(input: current, geometry: g, into: y)
                current = y
            case is Flatten:
                current = try current.reshaped(try Shape([batch, current.elementCount / batch]))
            case let dense as Dense:
                // On the last axis: rows = every position of every sample.
                let inputs = current.shape.dimensions.last!, rows = current.elementCount / inputs
                let z = try backend.makeTensor(shape: try Shape([rows, dense.units]))
                try backend.gemm(try current.reshaped(try Shape([rows, inputs])), parameters[index][0], into: z, bias: parameters[index][1])
                let shaped = try z.reshaped(try Shape([batch] + model.outputShapes[index]))
                preactivation = shaped
                current = try activate(shaped, dense.activation, backend: backend)
            case let reduce as Reduce:
                let (outer, axis, inner) = try reduce.extents(Array(current.shape.dimensions.dropFirst()), batch: batch)
                let y = try backend.makeTensor(shape: try Shape([batch] + model.outputShapes[index]))
                try backend.reduceAxis(current, outer: outer, axis: axis, inner: inner, mean: reduce.kind == .mean, into: y)
                current = y
            case is GlobalAveragePooling2D:
                let d = current.shape.dimensions
                let y = try backend.makeTensor(shape: try Shape([batch, d[3]]))
                try backend.reduceAxis(current, outer: batch, axis: d[1] * d[2], inner: d[3], mean: true, into: y)
                current = y
            case let pool as AveragePooling2D:
                let g = try pool.windows.geometry(Array(current.shape.dimensions.dropFirst()), batch: batch)
                let y = try backend.makeTensor(shape: g.outputShape)
                try backend.averagePool2dForward(input: current, geometry: g, into: y)
                current = y
            case is Reshape:
                current = try current.reshaped(try Shape([batch] + model.outputShapes[index]))
            case let layer as ActivationLayer:
                preactivation = current
                current = try activate(current, layer.activation, backend: backend)
            default:
                break   // Dropout: the identity at inference
            }
            pass.preactivations.append(preactivation)
            pass.outputs.append(current)
        }
        return pass
    }

    /// The element-wise activation a layer ends in (linear for none).
    static func activation(of layer: any Layer) -> Activation {
        (layer as? Conv2D)?.activation ?? (layer as? Dense)?.activation ?? (layer as? ActivationLayer)?.activation ?? .linear
    }

    func activate(_ z: Tensor, _ activation: Activation, backend: any Backend) throws -> Tensor {
        guard activation != .linear else { return z }
        let y = try backend.makeTensor(shape: z.shape)
        try activation.apply(backend, z, into: y)
        return y
    }

    /// Multipliers of a layer's output to multipliers of its pre-activation (the rescale rule).
    func rescale(_ m: Tensor, layer: any Layer, index: Int, x: Pass, b: Pass, backend: any Backend) throws -> Tensor {
        let activation = Self.activation(of: layer)
        guard activation != .linear, let zx = x.preactivations[index], let zb = b.preactivations[index] else { return m }
        let result = try backend.makeTensor(shape: m.shape)
        try backend.deepLiftRescale(gradOutput: m, preactivation: zx, referencePreactivation: zb, output: x.outputs[index],
                                    referenceOutput: b.outputs[index], activation: activation, into: result)
        return result
    }

    /// Multipliers of a layer's pre-activation (or output, for pooling) to those of its input.
    func linearBackward(_ m: Tensor, layer: any Layer, index: Int, x: Pass, b: Pass, model: Sequential, parameters: [[Tensor]],
                        backend: any Backend, batch: Int) throws -> Tensor {
        let inputShape = x.inputs[index].shape
        switch layer {
        case let conv as Conv2D:
            let g = try conv.geometry(Array(inputShape.dimensions.dropFirst()), batch: batch)
            let result = try backend.makeTensor(shape: g.inputShape)
            try backend.conv2dBackwardInput(gradOutput: m, kernel: parameters[index][0], geometry: g, into: result)
            return result
        case let pool as MaxPool2D:
            let g = try pool.geometry(Array(inputShape.dimensions.dropFirst()), batch: batch)
            let result = try backend.makeTensor(shape: g.inputShape)
            try backend.deepLiftMaxPool(gradOutput: m, input: x.inputs[index], referenceInput: b.inputs[index], output: x.outputs[index],
                                        referenceOutput: b.outputs[index], geometry: g, into: result)
            return result
        case let dense as Dense:
            let inputs = inputShape.dimensions.last!, rows = inputShape.elementCount / inputs
            let result = try backend.makeTensor(shape: try Shape([rows, inputs]))
            try backend.gemm(try m.reshaped(try Shape([rows, dense.units])), parameters[index][0], into: result, transposeB: true)
            return try result.reshaped(inputShape)
        case let reduce as Reduce:   // linear: the gradient, broadcast back
            let (outer, axis, inner) = try reduce.extents(Array(inputShape.dimensions.dropFirst()), batch: batch)
            let result = try backend.makeTensor(shape: inputShape)
            try backend.reduceAxisBackward(gradOutput: m, outer: outer, axis: axis, inner: inner, mean: reduce.kind == .mean, into: result)
            return result
        case is GlobalAveragePooling2D:
            let d = inputShape.dimensions
            let result = try backend.makeTensor(shape: inputShape)
            try backend.reduceAxisBackward(gradOutput: m, outer: batch, axis: d[1] * d[2], inner: d[3], mean: true, into: result)
            return result
        case let pool as AveragePooling2D:
            let g = try pool.windows.geometry(Array(inputShape.dimensions.dropFirst()), batch: batch)
            let result = try backend.makeTensor(shape: inputShape)
            try backend.averagePool2dBackward(gradOutput: m, geometry: g, into: result)
            return result
        default:
            return try m.reshaped(inputShape)   // Flatten, Dropout
        }
    }
}
