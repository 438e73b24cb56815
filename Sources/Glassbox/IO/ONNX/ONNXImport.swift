import Foundation
import SwiftProtobuf

/// Reads an ONNX model (`torch.onnx.export`, opset 13 and newer) as a Glassbox graph that
/// computes the same function.
///
/// ONNX image models are channel-first (NCHW) and Glassbox's are channel-last (NHWC), so the
/// importer translates as it goes: convolution kernels `[out, in, kh, kw]` become
/// `[kh, kw, in, out]`, batch normalisation and concatenation act on the last axis, and a Flatten
/// of a `[C, H, W]` tensor (whose ONNX order is C, H, W) is followed by a Dense layer whose kernel
/// rows are permuted to Glassbox's H, W, C order. The input is `[N, C, H, W]` in ONNX and
/// `[H, W, C]` per sample in Glassbox; for one channel the two layouts hold the same bytes.
///
/// A graph without convolution or pooling keeps its axes (its input `[N, d1, d2, ...]` is the
/// sample shape `[d1, d2, ...]`), as ``ONNXExport`` writes such models.
///
/// Operators read: Conv, MaxPool, AveragePool, GlobalAveragePool, Gemm, MatMul by a constant
/// (with the Add of a constant bias that follows it: Dense on the last axis), Relu, LeakyRelu
/// (alpha 0.2), Sigmoid, Tanh, Softmax (last axis), Flatten, Transpose and Reshape between
/// channel-first and channel-last images, Reshape to a constant shape, Squeeze of pooled 1x1
/// images, ReduceSum and ReduceMean over one axis, Add (of two computed tensors), Add, Sub, Mul
/// and Div by constants right after a Conv or Dense (folded into its kernel and bias, as
/// TensorFlow writes batch normalisation), Concat (channels or features), BatchNormalization
/// (inference), Dropout and Identity; and the shape arithmetic around a dynamic batch. Paddings must be none or TensorFlow's `same` split; a Flatten of a
/// channel-first image must feed a Gemm. Anything else is refused with the node's name, its
/// operator, the attribute and what is supported.
public enum ONNXImport {
    /// The model in the ONNX file at `url`.
    /// - Throws: ``GlassboxError/fileAccess(path:reason:)`` when the file cannot be read;
    ///   ``GlassboxError/malformedFile(path:offset:reason:)`` for a file that does not parse, an
    ///   opset older than 13, or a node Glassbox cannot represent, naming it.
    public static func model(from url: URL) throws -> Sequential {
        try model(try FileBytes.read(url), path: url.path)
    }

    /// The model in `data`, an ONNX `ModelProto`; `path` names the file in errors.
    public static func model(_ data: Data, path: String) throws -> Sequential {
        func malformed(_ reason: String) -> GlassboxError { .malformedFile(path: path, offset: nil, reason: reason) }
        let proto: Onnx_ModelProto
        do { proto = try Onnx_ModelProto(serializedBytes: data) } catch {
            throw malformed("not an ONNX model: the protobuf does not parse (\(error))")
        }
        let opset = proto.opsetImport.first { $0.domain.isEmpty || $0.domain == "ai.onnx" }?.version ?? 0
        guard opset >= 13 else { throw malformed("opset \(opset) is not supported (13 and newer)") }
        var translator = Translator(graph: proto.graph, path: path)
        do {
            var model = try translator.translate()
            // Class names, when the file carries them (Glassbox's export writes them).
            if let text = proto.metadataProps.first(where: { $0.key == "class_names" })?.value {
                guard let names = try? JSONDecoder().decode([String].self, from: Data(text.utf8)) else {
                    throw malformed("metadata 'class_names' is not a JSON list of strings")
                }
                model.classNames = names
            }
            return model
        } catch let error as GlassboxError {
            if case .malformedFile = error { throw error }
            throw malformed("\(error)")
        }
    }
}

/// A computed tensor of the ONNX graph as Glassbox holds it.
private struct Value {
    /// The Glassbox node that computes it (`Sequential.inputName` for the model's input).
    var node: String
    /// Its ONNX shape without the batch: `[C, H, W]` for images, `[F]` for features.
    var shape: [Int]
    /// Set for the output of a Flatten of a `[C, H, W]` tensor: Glassbox holds it in H, W, C
    /// order, so the Dense layer reading it permutes its kernel rows.
    var flattenedFrom: [Int]?
    /// For a channel-first model's images transposed to channel-last (`[H, W, C]`, which is how
    /// Glassbox holds every image): a Flatten of it needs no permutation.
    var channelLast = false
    /// Set while a tensor of `shape` is seen as rows of its last axis (`[batch x positions, K]`),
    /// the way TensorFlow's exports apply a Dense layer to a tensor of rank 3 or more (Reshape,
    /// MatMul, Reshape back): Glassbox's Dense works on the last axis anyway.
    var rows = false
}

private struct Translator {
    let graph: Onnx_GraphProto
    let path: String
    var constants: [String: (dims: [Int], values: [Float])] = [:]
    var values: [String: Value] = [:]
    var nodes: [Sequential.Node] = []
    var parameters: [String: [[Float]]] = [:]
    var inputShape: [Int] = []
    var usedNames = Set<String>()
    /// Whether images are channel-first (the graph convolves or pools), as PyTorch writes them.
    let channelFirst: Bool
    /// How many nodes read each tensor (a layer's output read once may absorb a scale or shift).
    var readers: [String: Int] = [:]
    /// Shape arithmetic folded at import (`x.view(x.size(0), -1)`): integer vectors, nil where the
    /// value is the batch size, which is known only at run time.
    var shapes: [String: [Int?]] = [:]

    init(graph: Onnx_GraphProto, path: String) {
        self.graph = graph; self.path = path
        channelFirst = graph.node.contains { ["Conv", "MaxPool", "AveragePool", "GlobalAveragePool"].contains($0.opType) }
        for node in graph.node { for input in node.input { readers[input, default: 0] += 1 } }
        for output in graph.output { readers[output.name, default: 0] += 1 }
    }

    /// An Add, Sub, Mul or Div by a constant (one value, or one per channel or unit). Folded into
    /// the layer before it when that is a linear Conv, Dense or BatchNormalization whose output
    /// nothing else reads (batch normalisation in inference is a Mul and an Add in TensorFlow's
    /// exports; a bias after a MatMul is an Add). Anywhere else (after an activation, say) it
    /// becomes a per-channel affine layer: a BatchNormalization with mean 0 and variance
    /// 1 - epsilon, which later constants fold into.
    mutating func foldAffine(_ node: Onnx_NodeProto) throws {
        let constantFirst = constants[node.input[0]] != nil
        let computed = constantFirst ? node.input[1] : node.input[0]
        let (operandDims, operand) = constants[constantFirst ? node.input[0] : node.input[1]]!
        let x = try value(node, constantFirst ? 1 : 0)
        guard !(constantFirst && ["Sub", "Div"].contains(node.opType)) else {
            throw refuse(node, "a constant divided by or minus a tensor is not supported")
        }
        let last = nodes.indices.last.flatMap { nodes[$0].name == x.node && readers[computed] == 1 ? $0 : nil }
        let foldable = last.map { index -> Bool in
            let layer = nodes[index].layer
            return (layer as? Conv2D)?.activation == .linear || (layer as? Dense)?.activation == .linear || layer is BatchNormalization
        } ?? false
        // The channel (or unit) axis: Glassbox's last axis, ONNX's axis 1 for channel-first images.
        let imageFirst = channelFirst && x.shape.count == 3 && !x.channelLast
        let channels = imageFirst ? x.shape[0] : (x.shape.last ?? 1)
        let significant = Array(operandDims.drop { $0 == 1 })
        let perChannel = operand.count == 1
            || operand.count == channels && (imageFirst ? significant == [channels, 1, 1] || significant == [channels] && x.shape == [channels, 1, 1]
                                                        : significant == [channels])
        guard perChannel, x.flattenedFrom == nil || operand.count == 1 else {
            throw refuse(node, "the constant of shape \(operandDims) is not one value or one per channel (\(channels)) of \(x.shape)")
        }
        func at(_ unit: Int) -> Float { operand.count == 1 ? operand[0] : operand[unit] }
        let scale: (Int) -> Float = { unit in node.opType == "Mul" ? at(unit) : node.opType == "Div" ? 1 / at(unit) : 1 }
        let shift: (Int) -> Float = { unit in node.opType == "Add" ? at(unit) : node.opType == "Sub" ? -at(unit) : 0 }
        guard let index = last, foldable else {
            // A layer of its own: y = gamma * x + beta (mean 0, and variance + epsilon exactly 1).
            let layer = try BatchNormalization(epsilon: 1.0 / 1024)
            let gamma = (0..<channels).map(scale), beta = (0..<channels).map(shift)
            try add(node, layer, from: [x], parameters: [gamma, beta, [Float](repeating: 0, count: channels), [Float](repeating: 1 - layer.epsilon, count: channels)],
                    shape: x.shape, flattenedFrom: x.flattenedFrom, channelLast: x.channelLast)
            values[node.output[0]]?.rows = x.rows
            return
        }
        let name = nodes[index].name
        let units = (nodes[index].layer as? Conv2D)?.filters ?? (nodes[index].layer as? Dense)?.units ?? parameters[name]![0].count
        guard operand.count == 1 || operand.count == units else {
            throw refuse(node, "the constant has \(operand.count) values, not 1 or one per channel (\(units))")
        }
        var tensors = parameters[name]!
        if nodes[index].layer is BatchNormalization {
            // gamma (x - mean) / sqrt(variance + epsilon) + beta, scaled then shifted.
            for u in 0..<units {
                tensors[0][u] *= scale(u)
                tensors[1][u] = tensors[1][u] * scale(u) + shift(u)
            }
        } else {
            for i in tensors[0].indices { tensors[0][i] *= scale(i % units) }
            for u in 0..<units { tensors[1][u] = tensors[1][u] * scale(u) + shift(u) }
        }
        parameters[name] = tensors
        values[node.output[0]] = x
    }

    func refuse(_ node: Onnx_NodeProto, _ reason: String) -> GlassboxError {
        .malformedFile(path: path, offset: nil, reason: "node '\(node.name)' (\(node.opType)): \(reason)")
    }

    mutating func translate() throws -> Sequential {
        for tensor in graph.initializer { constants[tensor.name] = try floats(tensor) }
        guard let input = graph.input.first(where: { constants[$0.name] == nil }) else {
            throw GlassboxError.malformedFile(path: path, offset: nil, reason: "the graph has no input besides its initializers")
        }
        let dims = input.type.tensorType.shape.dim.map { $0.dimValue }
        let sample = Array(dims.dropFirst()).map(Int.init)
        guard dims.count >= 2, dims.count <= 5, !(channelFirst && dims.count != 4), sample.allSatisfy({ $0 >= 1 && $0 <= 1 << 24 }) else {
            throw GlassboxError.malformedFile(path: path, offset: nil,
                reason: "input '\(input.name)' has shape \(dims): Glassbox reads images [N, C, H, W] and samples [N, d1, ...] with known sizes")
        }
        // TensorFlow's exports keep a channel-last input [N, H, W, C] and turn it channel-first
        // with a Transpose (or, for one channel, a Reshape) before the first convolution.
        let reader = graph.node.first { $0.input.contains(input.name) }
        let nhwcInput = channelFirst && sample.count == 3 && reader.map { node in
            node.opType == "Transpose" && ints(node, "perm") == [0, 3, 1, 2]
                || node.opType == "Reshape" && sample[2] == 1 && node.input.count > 1
                    && constants[node.input[1]].map { $0.values.map { Int($0) } == [-1, 1, sample[0], sample[1]] } == true
        } == true
        inputShape = channelFirst && !nhwcInput ? [sample[1], sample[2], sample[0]] : sample
        values[input.name] = Value(node: Sequential.inputName, shape: sample, channelLast: !channelFirst || nhwcInput)
        for node in graph.node { try translate(node) }
        guard let output = graph.output.first, graph.output.count == 1, let last = values[output.name] else {
            throw GlassboxError.malformedFile(path: path, offset: nil, reason: "the graph must have one output computed by its nodes")
        }
        guard last.flattenedFrom == nil else {
            throw GlassboxError.malformedFile(path: path, offset: nil,
                reason: "the output '\(output.name)' is a flattened channel-first image, which Glassbox would give in another order")
        }
        guard last.node == nodes.last?.name else {
            throw GlassboxError.malformedFile(path: path, offset: nil, reason: "the output '\(output.name)' is not computed by the graph's last node")
        }
        var model = try Sequential(inputShape: inputShape, seed: 0, nodes: nodes)
        try model.setParameters(try nodes.indices.map { index in
            let expected = model.parameterShapes[index]
            let given = parameters[nodes[index].name] ?? []
            guard given.count == expected.count, zip(given, expected).allSatisfy({ $0.count == $1.elementCount }) else {
                throw GlassboxError.malformedFile(path: path, offset: nil,
                    reason: "node '\(nodes[index].name)': the initializers do not fit the layer's parameters \(expected)")
            }
            return given
        })
        return model
    }

    /// A tensor's values as floats (float32 data, or int64 for shapes), row-major.
    func floats(_ tensor: Onnx_TensorProto) throws -> (dims: [Int], values: [Float]) {
        let dims = tensor.dims.map(Int.init)
        guard dims.allSatisfy({ $0 >= 0 }), let count = dims.reduce(1 as Int?, { total, d in total.flatMap { $0.multipliedReportingOverflow(by: d).overflow ? nil : $0 * d } }),
              count <= 1 << 31 else {
            throw GlassboxError.malformedFile(path: path, offset: nil, reason: "initializer '\(tensor.name)' claims shape \(dims)")
        }
        switch tensor.dataType {
        case 1:   // FLOAT
            if !tensor.rawData.isEmpty {
                guard tensor.rawData.count == count * 4 else {
                    throw GlassboxError.malformedFile(path: path, offset: nil,
                        reason: "initializer '\(tensor.name)' of shape \(dims) holds \(tensor.rawData.count) bytes, not \(count * 4)")
                }
                let values = tensor.rawData.withUnsafeBytes { raw in
                    (0..<count).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) }
                }
                return (dims, values)
            }
            guard tensor.floatData.count == count else {
                throw GlassboxError.malformedFile(path: path, offset: nil,
                    reason: "initializer '\(tensor.name)' of shape \(dims) holds \(tensor.floatData.count) values, not \(count)")
            }
            return (dims, tensor.floatData)
        case 6, 7:   // INT32, INT64
            let width = tensor.dataType == 6 ? 4 : 8
            let values: [Int64] = !tensor.rawData.isEmpty ? tensor.rawData.withUnsafeBytes { raw in
                (0..<(raw.count / width)).map { width == 4 ? Int64(Int32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: Int32.self)))
                                                           : Int64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * $0, as: Int64.self)) }
            } : tensor.dataType == 6 ? tensor.int32Data.map(Int64.init) : tensor.int64Data
            guard values.count == count else {
                throw GlassboxError.malformedFile(path: path, offset: nil, reason: "initializer '\(tensor.name)' of shape \(dims) holds \(values.count) values, not \(count)")
            }
            return (dims, values.map(Float.init))
        default:
            throw GlassboxError.malformedFile(path: path, offset: nil,
                reason: "initializer '\(tensor.name)' has data type \(tensor.dataType): only float32 (1), int32 (6) and int64 (7) are read")
        }
    }

    /// A Glassbox node name for an ONNX node (its name without slashes, made unique).
    mutating func name(for node: Onnx_NodeProto) -> String {
        var base = node.name.split(separator: "/").filter { !$0.isEmpty }.joined(separator: "_")
        if base.isEmpty { base = node.opType.lowercased() }
        if base == Sequential.inputName { base += "_node" }
        var candidate = base, count = 1
        while usedNames.contains(candidate) { candidate = "\(base)_\(count)"; count += 1 }
        usedNames.insert(candidate)
        return candidate
    }

    func attribute(_ node: Onnx_NodeProto, _ name: String) -> Onnx_AttributeProto? { node.attribute.first { $0.name == name } }
    func int(_ node: Onnx_NodeProto, _ name: String, default value: Int) -> Int { attribute(node, name).map { Int($0.i) } ?? value }
    func ints(_ node: Onnx_NodeProto, _ name: String) -> [Int]? { attribute(node, name).map { $0.ints.map(Int.init) } }
    func float(_ node: Onnx_NodeProto, _ name: String, default value: Float) -> Float { attribute(node, name)?.f ?? value }

    func value(_ node: Onnx_NodeProto, _ index: Int) throws -> Value {
        guard node.input.count > index, let value = values[node.input[index]] else {
            throw refuse(node, "input \(index) ('\(node.input.count > index ? node.input[index] : "")') is not computed by an earlier node")
        }
        guard !value.rows || ["MatMul", "Reshape", "Relu", "Sigmoid", "Tanh", "LeakyRelu", "Identity", "Dropout"].contains(node.opType) else {
            throw refuse(node, "reads rows of \(value.shape)'s last axis: only a MatMul and a Reshape back are supported there")
        }
        // Glassbox holds a flattened channel-first image in another order: only what ignores the
        // order (element-wise ops, an Add of two such) or undoes it (the Dense layer) may read it.
        guard value.flattenedFrom == nil || ["Gemm", "MatMul", "Relu", "Sigmoid", "Tanh", "LeakyRelu", "Identity", "Dropout", "Add"].contains(node.opType) else {
            throw refuse(node, "reads a flattened channel-first image, whose values Glassbox holds in H, W, C order: only a Gemm or MatMul "
                + "(whose rows are permuted) and element-wise operators may follow the Flatten")
        }
        return value
    }

    func constant(_ node: Onnx_NodeProto, _ index: Int) throws -> (dims: [Int], values: [Float]) {
        guard node.input.count > index, let constant = constants[node.input[index]] else {
            throw refuse(node, "input \(index) must be an initializer (a constant)")
        }
        return constant
    }

    /// The two strides of a 2-D window (1 by default), each at least 1.
    func strides(_ node: Onnx_NodeProto) throws -> [Int] {
        let strides = ints(node, "strides") ?? [1, 1]
        guard strides.count == 2, strides.allSatisfy({ (1...Conv2DGeometry.largestSide).contains($0) }) else {
            throw refuse(node, "strides \(strides) must be two values from 1 to \(Conv2DGeometry.largestSide)")
        }
        return strides
    }

    /// `valid` or TensorFlow's `same` for the pads, kernel and strides of a spatial input `[H, W]`.
    func padding(_ node: Onnx_NodeProto, input: [Int], kernel: [Int], strides: [Int]) throws -> Padding {
        let autoPad = attribute(node, "auto_pad").map { String(decoding: $0.s, as: UTF8.self) } ?? "NOTSET"
        if autoPad == "SAME_UPPER" { return .same }
        if autoPad == "VALID" { return .valid }
        guard autoPad == "NOTSET" else { throw refuse(node, "auto_pad \(autoPad) is not supported (NOTSET, VALID, SAME_UPPER)") }
        let pads = ints(node, "pads") ?? [0, 0, 0, 0]
        guard pads.count == 4 else { throw refuse(node, "pads \(pads) are not four values") }
        if pads.allSatisfy({ $0 == 0 }) { return .valid }
        // TensorFlow's same: output ceil(in / stride), the odd pad at the end.
        let same = (0..<2).map { axis -> (Int, Int) in
            let output = (input[axis] + strides[axis] - 1) / strides[axis]
            let total = max((output - 1) * strides[axis] + kernel[axis] - input[axis], 0)
            return (total / 2, total - total / 2)
        }
        guard pads == [same[0].0, same[1].0, same[0].1, same[1].1] else {
            throw refuse(node, "pads \(pads) are neither none nor TensorFlow's 'same' (\([same[0].0, same[1].0, same[0].1, same[1].1])) for kernel \(kernel), "
                + "strides \(strides) on \(input): not representable yet")
        }
        return .same
    }

    mutating func add(_ node: Onnx_NodeProto, _ layer: any Layer, from inputs: [Value], parameters tensors: [[Float]] = [],
                      shape: [Int], flattenedFrom: [Int]? = nil, channelLast: Bool = false) throws {
        let name = name(for: node)
        nodes.append(Sequential.Node(name, layer, from: inputs.map(\.node)))
        if !tensors.isEmpty { parameters[name] = tensors }
        values[node.output[0]] = Value(node: name, shape: shape, flattenedFrom: flattenedFrom, channelLast: channelLast)
    }

    mutating func translate(_ node: Onnx_NodeProto) throws {
        guard node.domain.isEmpty || node.domain == "ai.onnx" else { throw refuse(node, "domain '\(node.domain)' is not supported") }
        guard !node.output.isEmpty else { throw refuse(node, "has no output") }
        if try foldShapeArithmetic(node) { return }
        switch node.opType {
        case "Identity", "Dropout":
            values[node.output[0]] = try value(node, 0)
        case "Relu", "Sigmoid", "Tanh", "LeakyRelu", "Softmax":
            let x = try value(node, 0)
            let activation: Activation
            switch node.opType {
            case "Relu": activation = .relu
            case "Sigmoid": activation = .sigmoid
            case "Tanh": activation = .tanh
            case "LeakyRelu":
                let alpha = float(node, "alpha", default: 0.01)
                guard abs(alpha - Activation.leakyReluSlope) < 1e-6 else {
                    throw refuse(node, "alpha \(alpha) is not supported (only \(Activation.leakyReluSlope))")
                }
                activation = .leakyRelu
            default:
                let axis = int(node, "axis", default: -1)
                guard axis == -1 || axis == x.shape.count else {
                    throw refuse(node, "softmax over axis \(axis) is not supported (the last axis, of features)")
                }
                guard x.shape.count == 1 || !channelFirst else { throw refuse(node, "softmax of an image tensor \(x.shape) is not supported") }
                activation = .softmax
            }
            // Right after a Conv or Dense whose output nothing else reads, the activation becomes
            // the layer's own (as Keras writes it), which lets a Conv2D and a following max pooling
            // run fused at inference.
            if readers[node.input[0]] == 1, let last = nodes.last, last.name == x.node, let fused = try Self.withActivation(last.layer, activation) {
                nodes[nodes.count - 1].layer = fused
                values[node.output[0]] = x
                return
            }
            try add(node, ActivationLayer(activation), from: [x], shape: x.shape, flattenedFrom: x.flattenedFrom, channelLast: x.channelLast)
            values[node.output[0]]?.rows = x.rows
        case "Conv":
            let x = try value(node, 0)
            let (wDims, w) = try constant(node, 1)
            guard x.shape.count == 3, !x.channelLast, wDims.count == 4, wDims[1] == x.shape[0] else {
                throw refuse(node, "needs an image [C, H, W] and a kernel [out, \(x.shape.first ?? 0), kh, kw], got \(x.shape) and \(wDims)")
            }
            guard (ints(node, "dilations") ?? [1, 1]).allSatisfy({ $0 == 1 }) else { throw refuse(node, "dilations other than 1 are not supported") }
            guard int(node, "group", default: 1) == 1 else { throw refuse(node, "group other than 1 is not supported") }
            let (out, inChannels, kh, kw) = (wDims[0], wDims[1], wDims[2], wDims[3])
            let strides = try strides(node)
            let padding = try padding(node, input: [x.shape[1], x.shape[2]], kernel: [kh, kw], strides: strides)
            let bias = node.input.count > 2 ? try constant(node, 2).values : [Float](repeating: 0, count: out)
            // [out, in, kh, kw] -> [kh, kw, in, out]
            var kernel = [Float](repeating: 0, count: w.count)
            for o in 0..<out { for i in 0..<inChannels { for r in 0..<kh { for c in 0..<kw {
                kernel[((r * kw + c) * inChannels + i) * out + o] = w[((o * inChannels + i) * kh + r) * kw + c]
            } } } }
            let layer = try Conv2D(filters: out, kernelSize: (kh, kw), strides: (strides[0], strides[1]), padding: padding)
            let output = try layer.outputShape(for: [x.shape[1], x.shape[2], x.shape[0]])
            try add(node, layer, from: [x], parameters: [kernel, bias], shape: [output[2], output[0], output[1]])
        case "MaxPool", "AveragePool":
            let x = try value(node, 0)
            guard x.shape.count == 3, !x.channelLast, let size = ints(node, "kernel_shape"), size.count == 2, size.allSatisfy({ $0 >= 1 }) else {
                throw refuse(node, "needs a channel-first image [C, H, W] and a 2-D kernel_shape")
            }
            guard int(node, "ceil_mode", default: 0) == 0 else { throw refuse(node, "ceil_mode 1 is not supported") }
            guard (ints(node, "dilations") ?? [1, 1]).allSatisfy({ $0 == 1 }) else { throw refuse(node, "dilations other than 1 are not supported") }
            guard node.output.count == 1 else { throw refuse(node, "the Indices output is not supported") }
            let strides = try strides(node)
            let padding = try padding(node, input: [x.shape[1], x.shape[2]], kernel: size, strides: strides)
            if node.opType == "AveragePool", padding == .same, int(node, "count_include_pad", default: 0) != 0 {
                throw refuse(node, "count_include_pad 1 is not supported (Glassbox averages what is inside the image)")
            }
            let layer: any Layer = node.opType == "MaxPool"
                ? try MaxPool2D(poolSize: (size[0], size[1]), strides: (strides[0], strides[1]), padding: padding)
                : try AveragePooling2D(poolSize: (size[0], size[1]), strides: (strides[0], strides[1]), padding: padding)
            let output = try layer.outputShape(for: [x.shape[1], x.shape[2], x.shape[0]])
            try add(node, layer, from: [x], shape: [output[2], output[0], output[1]])
        case "Squeeze" where node.input.first.flatMap({ values[$0] }) != nil:
            let x = try value(node, 0)
            let axes = node.input.count > 1 ? try integers(node, 1).compactMap { $0 } : (ints(node, "axes") ?? [])
            guard x.shape.count == 3, x.shape[1] == 1, x.shape[2] == 1, Set(axes) == [2, 3] || Set(axes) == [-1, -2] else {
                throw refuse(node, "only squeezing the 1x1 image axes of [C, 1, 1] is supported, got axes \(axes) of \(x.shape)")
            }
            try flatten(node, x)
        case "GlobalAveragePool":
            let x = try value(node, 0)
            guard x.shape.count == 3, !x.channelLast else { throw refuse(node, "needs a channel-first image [C, H, W], got \(x.shape)") }
            // ONNX keeps [C, 1, 1]; Glassbox gives [C], which a Flatten then passes through.
            try add(node, GlobalAveragePooling2D(), from: [x], shape: [x.shape[0], 1, 1])
        case "Transpose" where channelFirst && ints(node, "perm") == [0, 3, 1, 2]:
            let x = try value(node, 0)
            guard x.shape.count == 3, x.channelLast else { throw refuse(node, "perm [0, 3, 1, 2] needs a channel-last image, got \(x.shape)") }
            values[node.output[0]] = Value(node: x.node, shape: [x.shape[2], x.shape[0], x.shape[1]])
        case "Transpose":
            let x = try value(node, 0)
            guard channelFirst, x.shape.count == 3, !x.channelLast, ints(node, "perm") == [0, 2, 3, 1] else {
                throw refuse(node, "only the transposes between channel-first and channel-last images (perm [0, 2, 3, 1] and [0, 3, 1, 2]) are supported")
            }
            // Glassbox holds images channel-last already: the transpose is a relabelling.
            values[node.output[0]] = Value(node: x.node, shape: [x.shape[1], x.shape[2], x.shape[0]], channelLast: true)
        case "Flatten":
            let x = try value(node, 0)
            guard int(node, "axis", default: 1) == 1 else { throw refuse(node, "axis other than 1 is not supported") }
            try flatten(node, x)
        case "Gemm":
            let x = try value(node, 0)
            guard x.shape.count == 1 else { throw refuse(node, "needs feature rows, got \(x.shape)") }
            guard int(node, "transA", default: 0) == 0, float(node, "alpha", default: 1) == 1, float(node, "beta", default: 1) == 1 else {
                throw refuse(node, "transA, alpha and beta other than 0, 1, 1 are not supported")
            }
            let (bDims, b) = try constant(node, 1)
            let transposed = int(node, "transB", default: 0) == 1
            guard bDims.count == 2 else { throw refuse(node, "B must be a matrix, got \(bDims)") }
            let (inputs, units) = transposed ? (bDims[1], bDims[0]) : (bDims[0], bDims[1])
            guard inputs == x.shape[0] else { throw refuse(node, "B has \(inputs) rows for \(x.shape[0]) inputs") }
            var bias = [Float](repeating: 0, count: units)
            if node.input.count > 2, !node.input[2].isEmpty {
                let c = try constant(node, 2)
                guard c.values.count == units else { throw refuse(node, "C of shape \(c.dims) is not one bias per unit (\(units))") }
                bias = c.values
            }
            // Glassbox's kernel is [inputs, units], rows in Glassbox's order of the input.
            var kernel = [Float](repeating: 0, count: inputs * units)
            let order = x.flattenedFrom.map(Self.channelsLastOrder) ?? Array(0..<inputs)
            for (glassboxRow, onnxRow) in order.enumerated() {
                for u in 0..<units { kernel[glassboxRow * units + u] = transposed ? b[u * inputs + onnxRow] : b[onnxRow * units + u] }
            }
            try add(node, try Dense(units: units), from: [x], parameters: [kernel, bias], shape: [units])
        case "MatMul":
            let x = try value(node, 0)
            let (wDims, w) = try constant(node, 1)
            guard !channelFirst || x.shape.count == 1, wDims.count == 2, wDims[0] == x.shape.last else {
                throw refuse(node, "needs a constant [\(x.shape.last ?? 0), units] matrix on the last axis of \(x.shape), got \(wDims)")
            }
            let units = wDims[1]
            let order = x.flattenedFrom.map(Self.channelsLastOrder) ?? Array(0..<wDims[0])
            var kernel = [Float](repeating: 0, count: w.count)
            for (glassboxRow, onnxRow) in order.enumerated() { for u in 0..<units { kernel[glassboxRow * units + u] = w[onnxRow * units + u] } }
            try add(node, try Dense(units: units), from: [x], parameters: [kernel, [Float](repeating: 0, count: units)],
                    shape: Array(x.shape.dropLast()) + [units])
            values[node.output[0]]?.rows = x.rows
        case "Add" where node.input.count == 2 && (constants[node.input[1]] != nil || constants[node.input[0]] != nil),
             "Mul" where node.input.count == 2 && (constants[node.input[1]] != nil || constants[node.input[0]] != nil),
             "Sub" where node.input.count == 2 && constants[node.input[1]] != nil,
             "Div" where node.input.count == 2 && constants[node.input[1]] != nil:
            try foldAffine(node)
        case "ReduceSum", "ReduceMean":
            let x = try value(node, 0)
            guard !channelFirst || x.channelLast else { throw refuse(node, "reductions of channel-first images are not supported") }
            let axes = node.input.count > 1 ? try constant(node, 1).values.map { Int($0) } : (ints(node, "axes") ?? [])
            guard axes.count == 1, int(node, "keepdims", default: 1) == 0 else {
                throw refuse(node, "only one axis with keepdims 0 is supported, got axes \(axes) and keepdims \(int(node, "keepdims", default: 1))")
            }
            let layer = try Reduce(node.opType == "ReduceSum" ? .sum : .mean, axis: axes[0])
            try add(node, layer, from: [x], shape: try layer.outputShape(for: x.shape))
        case "Reshape":
            let x = try value(node, 0)
            // The batch (folded shape arithmetic) is ONNX's 0: the input's own first dimension.
            let target = try node.input.count > 1 && shapes[node.input[1]] != nil
                ? shapes[node.input[1]]!.map { $0 ?? 0 } : constant(node, 1).values.map { Int($0) }
            if channelFirst, x.channelLast, x.shape.count == 3, x.shape[2] == 1, target == [-1, 1, x.shape[0], x.shape[1]] {
                // One channel: channel-last to channel-first is a reshape.
                values[node.output[0]] = Value(node: x.node, shape: [1, x.shape[0], x.shape[1]])
                return
            }
            if x.rows {
                // Back from rows of the last axis to the tensor they came from.
                guard target.count == x.shape.count + 1, Array(target.dropFirst()) == x.shape, target[0] == 0 || target[0] == -1 else {
                    throw refuse(node, "rows of \(x.shape) reshaped to \(target): only back to [batch] + \(x.shape) is supported")
                }
                var back = x
                back.rows = false
                values[node.output[0]] = back
                return
            }
            if !channelFirst || x.channelLast, x.shape.count >= 2, target == [-1, x.shape.last!] {
                var rows = x   // TensorFlow's way to a Dense layer on the last axis
                rows.rows = true
                values[node.output[0]] = rows
                return
            }
            if channelFirst, x.shape.count == 3, target.count == 2, target[0] == 0 || target[0] == -1,
               target[1] == -1 || target[1] == x.shape.reduce(1, *) {
                return try flatten(node, x)   // x.view(x.size(0), -1), or Keras's Flatten of channel-last images
            }
            guard !channelFirst || x.shape.count == 1, target.first == -1 || target.first == 0, target.count >= 2 else {
                throw refuse(node, "only a flattening of images, or a reshape of feature rows or of a non-image model to [batch, d1, ...], is supported, got \(target)")
            }
            let layer = try Reshape(Array(target.dropFirst()))
            try add(node, layer, from: [x], shape: try layer.outputShape(for: x.shape))
        case "Add":
            let a = try value(node, 0), b = try value(node, 1)
            guard a.shape == b.shape, a.flattenedFrom == b.flattenedFrom else { throw refuse(node, "inputs of shapes \(a.shape) and \(b.shape) do not match") }
            guard a.channelLast == b.channelLast else { throw refuse(node, "inputs are in different layouts (channel-first and channel-last)") }
            try add(node, Add(), from: [a, b], shape: a.shape, flattenedFrom: a.flattenedFrom, channelLast: a.channelLast)
        case "Concat":
            guard !node.input.isEmpty else { throw refuse(node, "has no inputs") }
            let inputs = try node.input.indices.map { try value(node, $0) }
            let rank = inputs[0].shape.count + 1
            let given = int(node, "axis", default: 1)
            let axis = given < 0 ? given + rank : given
            guard (1..<rank).contains(axis), inputs.allSatisfy({ $0.flattenedFrom == nil && $0.channelLast == inputs[0].channelLast }) else {
                throw refuse(node, "axis \(given) of inputs \(inputs.map(\.shape)) is not supported")
            }
            var shape = inputs[0].shape
            shape[axis - 1] = inputs.reduce(0) { $0 + $1.shape[axis - 1] }
            if channelFirst && rank == 4 && !inputs[0].channelLast {
                // Channel-first images: ONNX's axis 1 is Glassbox's last (channel) axis.
                guard axis == 1 else { throw refuse(node, "only the channel axis 1 of images is supported, got \(given)") }
                try add(node, try Concatenate(axis: -1), from: inputs, shape: shape)
            } else {
                try add(node, try Concatenate(axis: axis), from: inputs, shape: shape, channelLast: inputs[0].channelLast)
            }
        case "BatchNormalization":
            let x = try value(node, 0)
            guard int(node, "training_mode", default: 0) == 0, node.output.count == 1 else { throw refuse(node, "training mode is not supported (inference only)") }
            guard x.shape.count == 1 || (channelFirst && x.shape.count == 3 && !x.channelLast) else {
                throw refuse(node, "normalising axis 1 of \(x.shape) is not Glassbox's channel axis (channel-first images or feature rows only)")
            }
            let tensors = try (1...4).map { try constant(node, $0).values }
            let channels = x.shape[0]
            guard tensors.allSatisfy({ $0.count == channels }) else { throw refuse(node, "scale, bias, mean and variance need \(channels) values each") }
            let layer = try BatchNormalization(momentum: float(node, "momentum", default: 0.9), epsilon: float(node, "epsilon", default: 1e-5))
            try add(node, layer, from: [x], parameters: tensors, shape: x.shape, flattenedFrom: x.flattenedFrom)
        default:
            throw refuse(node, "operator not supported (Conv, MaxPool, AveragePool, GlobalAveragePool, Gemm, MatMul, Relu, LeakyRelu, Sigmoid, "
                + "Tanh, Softmax, Flatten, Transpose, Reshape, ReduceSum, ReduceMean, Add, Concat, BatchNormalization, Dropout, Identity)")
        }
    }

    /// `layer` (a linear Conv2D or Dense) ending in `activation`, or nil for any other layer.
    static func withActivation(_ layer: any Layer, _ activation: Activation) throws -> (any Layer)? {
        if let conv = layer as? Conv2D, conv.activation == .linear {
            return try Conv2D(filters: conv.filters, kernelSize: (conv.kernelSize.height, conv.kernelSize.width),
                              strides: (conv.strides.height, conv.strides.width), padding: conv.padding, activation: activation)
        }
        if let dense = layer as? Dense, dense.activation == .linear { return try Dense(units: dense.units, activation: activation) }
        return nil
    }

    /// A Flatten to feature rows: Glassbox flattens images channel-last, so a channel-first one's
    /// values come out in another order, which the Dense layer reading them undoes.
    mutating func flatten(_ node: Onnx_NodeProto, _ x: Value) throws {
        guard x.shape.count > 1 else { values[node.output[0]] = x; return }
        let count = x.shape.reduce(1, *)
        if x.channelLast || x.shape.count != 3 {
            try add(node, Flatten(), from: [x], shape: [count])
        } else if x.shape[1] == 1 && x.shape[2] == 1 || x.shape[0] == 1 {
            // One channel, or 1x1 images: both orders agree.
            if nodes.last.map({ $0.layer is GlobalAveragePooling2D && $0.name == x.node }) == true {
                values[node.output[0]] = Value(node: x.node, shape: [count])
            } else {
                try add(node, Flatten(), from: [x], shape: [count])
            }
        } else {
            try add(node, Flatten(), from: [x], shape: [count], flattenedFrom: x.shape)
        }
    }

    /// The integer vector of a node input: folded shape arithmetic or an integer constant.
    func integers(_ node: Onnx_NodeProto, _ index: Int) throws -> [Int?] {
        guard node.input.count > index else { throw refuse(node, "input \(index) is missing") }
        if let folded = shapes[node.input[index]] { return folded }
        if let constant = constants[node.input[index]] { return constant.values.map { Int($0) } }
        throw refuse(node, "input \(index) ('\(node.input[index])') is not a constant or folded shape")
    }

    /// Folds the shape arithmetic exporters write around a dynamic batch (Constant, Shape, Gather,
    /// Unsqueeze, Squeeze, Concat, Cast, Slice on integer vectors) into constants; true when
    /// `node` was such a node.
    mutating func foldShapeArithmetic(_ node: Onnx_NodeProto) throws -> Bool {
        let output = node.output[0]
        switch node.opType {
        case "Constant":
            guard let tensor = attribute(node, "value")?.t else { throw refuse(node, "only a 'value' tensor is supported") }
            let constant = try floats(tensor)
            constants[output] = constant
            if tensor.dataType == 6 || tensor.dataType == 7 { shapes[output] = constant.values.map { Int($0) } }
        case "Shape":
            let x = try value(node, 0)
            guard attribute(node, "start") == nil, attribute(node, "end") == nil else { throw refuse(node, "start and end are not supported") }
            shapes[output] = [nil] + x.shape.map { $0 }
        case "Gather" where node.input.count == 2 && shapes[node.input[0]] != nil:
            let vector = shapes[node.input[0]]!
            guard int(node, "axis", default: 0) == 0 else { throw refuse(node, "only axis 0 of a shape is supported") }
            shapes[output] = try integers(node, 1).map { index in
                guard let index, (-vector.count..<vector.count).contains(index) else { throw refuse(node, "index \(String(describing: index)) is outside the shape \(vector)") }
                return vector[index < 0 ? index + vector.count : index]
            }
        // (`first`, not `[0]`: a node without inputs is refused later with its name, not a trap here.)
        case "Unsqueeze" where node.input.first.flatMap({ shapes[$0] }) != nil, "Squeeze" where node.input.first.flatMap({ shapes[$0] }) != nil,
             "Cast" where node.input.first.flatMap({ shapes[$0] }) != nil:
            shapes[output] = shapes[node.input[0]]   // scalars and 1-element vectors alike
        case "Concat" where !node.input.isEmpty && node.input.allSatisfy({ shapes[$0] != nil || constants[$0] != nil }):
            shapes[output] = try node.input.indices.flatMap { try integers(node, $0) }
        case "Slice" where node.input.first.flatMap({ shapes[$0] }) != nil:
            let vector = shapes[node.input[0]]!
            let starts = try integers(node, 1), ends = try integers(node, 2)
            let axes = node.input.count > 3 ? try integers(node, 3) : [0], steps = node.input.count > 4 ? try integers(node, 4) : [1]
            guard axes == [0], steps == [1], let start = starts.first ?? nil, let end = ends.first ?? nil else {
                throw refuse(node, "only a step-1 slice of a shape is supported")
            }
            let clamp = { (i: Int) in max(0, min(vector.count, i < 0 ? i + vector.count : i)) }
            shapes[output] = Array(vector[clamp(start)..<max(clamp(start), clamp(end))])
        default:
            return false
        }
        return true
    }

    /// For each position of a Glassbox (H, W, C) flattening of `[C, H, W]`, the ONNX (C, H, W)
    /// position holding the same value.
    static func channelsLastOrder(_ shape: [Int]) -> [Int] {
        let (c, h, w) = (shape[0], shape[1], shape[2])
        var order = [Int](repeating: 0, count: c * h * w)
        for y in 0..<h { for x in 0..<w { for k in 0..<c { order[(y * w + x) * c + k] = (k * h + y) * w + x } } }
        return order
    }
}
