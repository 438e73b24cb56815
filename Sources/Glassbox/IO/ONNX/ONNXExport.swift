import Foundation
import SwiftProtobuf

/// Writes a Glassbox model as an ONNX model (opset 17) that computes the same outputs, so that
/// ONNX Runtime (or any ONNX runtime) can serve a model trained here.
///
/// Image models are written channel-first, as PyTorch writes them: the input is `[N, C, H, W]`
/// (for one channel, the same bytes as Glassbox's `[N, H, W, 1]`), kernels `[out, in, kh, kw]`,
/// and the Gemm after a Flatten has its rows permuted from Glassbox's H, W, C order to ONNX's
/// C, H, W. Models without convolution or pooling (the seed's functional model) keep their axes:
/// Dense on the last axis is a MatMul and an Add, the reductions are ReduceSum/ReduceMean. A final
/// softmax is a Softmax node over the last axis; class names go into the metadata as
/// `class_names` (a JSON list). ``ONNXImport`` reads what this writes.
public enum ONNXExport {
    /// The model as ONNX protobuf bytes.
    /// - Throws: ``GlassboxError/invalidArgument(operation:reason:)`` naming a layer that has no
    ///   ONNX form here (a Dense or reduction applied to an image tensor of a convolutional model).
    public static func data(_ model: Sequential) throws -> Data {
        var writer = Writer(model: model)
        return try writer.write().serializedData()
    }

    /// Writes the model to `url` atomically.
    public static func write(_ model: Sequential, to url: URL) throws {
        try AtomicFile.write(try data(model), to: url)
    }

    /// Whether the exported model takes its images channel-first (`[N, C, H, W]`): it has
    /// convolutions or pooling. Other models keep Glassbox's axes.
    public static func isChannelFirst(_ model: Sequential) -> Bool {
        model.inputShape.count == 3
            && model.layers.contains { $0 is Conv2D || $0 is MaxPool2D || $0 is AveragePooling2D || $0 is GlobalAveragePooling2D }
    }

    /// The exported model's input shape without the batch: `[C, H, W]` for channel-first images,
    /// else the model's own input shape.
    public static func inputShape(of model: Sequential) -> [Int] {
        let input = model.inputShape
        return isChannelFirst(model) ? [input[2], input[0], input[1]] : input
    }
}

private struct Writer {
    let model: Sequential
    var graph = Onnx_GraphProto()
    var counter = 0

    init(model: Sequential) { self.model = model }

    /// Whether the model's image tensors are written channel-first (it has convolutions or pooling).
    var channelFirst: Bool { ONNXExport.isChannelFirst(model) }

    func refuse(_ index: Int, _ reason: String) -> GlassboxError {
        .invalidArgument(operation: "export layer \(index) '\(model.layerNames[index])' (\(model.layers[index].typeName))", reason: reason)
    }

    mutating func fresh(_ stem: String) -> String {
        counter += 1
        return "\(stem)_\(counter)"
    }

    /// Adds an initializer: float32 values, or int64 ones (shapes and axes).
    mutating func initializer(_ name: String, _ dims: [Int], _ fill: (inout Onnx_TensorProto) -> Void) -> String {
        var tensor = Onnx_TensorProto()
        tensor.name = name
        tensor.dims = dims.map(Int64.init)
        fill(&tensor)
        graph.initializer.append(tensor)
        return name
    }

    mutating func constant(_ name: String, _ dims: [Int], _ values: [Float]) -> String {
        initializer(name, dims) { tensor in
            tensor.dataType = 1
            var raw = Data(capacity: values.count * 4)
            for value in values { withUnsafeBytes(of: value.bitPattern.littleEndian) { raw.append(contentsOf: $0) } }
            tensor.rawData = raw
        }
    }

    mutating func integers(_ name: String, _ values: [Int]) -> String {
        initializer(name, [values.count]) { tensor in
            tensor.dataType = 7
            tensor.int64Data = values.map(Int64.init)
        }
    }

    @discardableResult
    mutating func node(_ op: String, _ inputs: [String], name: String, attributes: [Onnx_AttributeProto] = []) -> String {
        var node = Onnx_NodeProto()
        node.opType = op
        node.name = name
        node.input = inputs
        node.output = [name]
        node.attribute = attributes
        graph.node.append(node)
        return name
    }

    static func ints(_ name: String, _ values: [Int]) -> Onnx_AttributeProto {
        var attribute = Onnx_AttributeProto()
        attribute.name = name
        attribute.type = .ints
        attribute.ints = values.map(Int64.init)
        return attribute
    }

    static func int(_ name: String, _ value: Int) -> Onnx_AttributeProto {
        var attribute = Onnx_AttributeProto()
        attribute.name = name
        attribute.type = .int
        attribute.i = Int64(value)
        return attribute
    }

    static func float(_ name: String, _ value: Float) -> Onnx_AttributeProto {
        var attribute = Onnx_AttributeProto()
        attribute.name = name
        attribute.type = .float
        attribute.f = value
        return attribute
    }

    static func valueInfo(_ name: String, _ dims: [Int?]) -> Onnx_ValueInfoProto {
        var info = Onnx_ValueInfoProto()
        info.name = name
        var tensor = Onnx_TypeProto.Tensor()
        tensor.elemType = 1
        var shape = Onnx_TensorShapeProto()
        shape.dim = dims.map { size in
            var dimension = Onnx_TensorShapeProto.Dimension()
            if let size { dimension.dimValue = Int64(size) } else { dimension.dimParam = "batch" }
            return dimension
        }
        tensor.shape = shape
        info.type.tensorType = tensor
        return info
    }

    /// ONNX pads `[top, left, bottom, right]` of TensorFlow's `same` (or none) for a window.
    static func pads(_ padding: Padding, input: [Int], window: [Int], strides: [Int]) -> [Int] {
        guard padding == .same else { return [0, 0, 0, 0] }
        let split = (0..<2).map { axis -> (Int, Int) in
            let output = (input[axis] + strides[axis] - 1) / strides[axis]
            let total = max((output - 1) * strides[axis] + window[axis] - input[axis], 0)
            return (total / 2, total - total / 2)
        }
        return [split[0].0, split[1].0, split[0].1, split[1].1]
    }

    /// The activation node after a layer (none for linear; the model's final softmax is the head's).
    mutating func activate(_ input: String, _ activation: Activation, name: String) -> String {
        switch activation {
        case .linear: return input
        case .relu: return node("Relu", [input], name: name)
        case .sigmoid: return node("Sigmoid", [input], name: name)
        case .tanh: return node("Tanh", [input], name: name)
        case .leakyRelu: return node("LeakyRelu", [input], name: name, attributes: [Self.float("alpha", Activation.leakyReluSlope)])
        case .softmax: return node("Softmax", [input], name: name, attributes: [Self.int("axis", -1)])
        }
    }

    mutating func write() throws -> Onnx_ModelProto {
        let imageModel = channelFirst
        graph.name = "glassbox"
        let inputDims: [Int?] = [nil] + ONNXExport.inputShape(of: model).map { $0 }
        graph.input = [Self.valueInfo("input", inputDims)]
        var names: [String] = []
        for (index, layer) in model.layers.enumerated() {
            let sources = model.layerInputs[index].map { $0 < 0 ? "input" : names[$0] }
            let inShape = model.inputShapes(of: index)[0]
            let base = model.layerNames[index].replacingOccurrences(of: " ", with: "_")
            let parameters = model.parameters[index]
            let isLast = index == model.layers.count - 1
            let output: String
            switch layer {
            case let conv as Conv2D:
                let (kh, kw, ci, co) = (conv.kernelSize.height, conv.kernelSize.width, inShape[2], conv.filters)
                var kernel = [Float](repeating: 0, count: kh * kw * ci * co)
                for o in 0..<co { for i in 0..<ci { for r in 0..<kh { for c in 0..<kw {
                    kernel[((o * ci + i) * kh + r) * kw + c] = parameters[0][((r * kw + c) * ci + i) * co + o]
                } } } }
                let w = constant(base + ".kernel", [co, ci, kh, kw], kernel), b = constant(base + ".bias", [co], parameters[1])
                let conved = node("Conv", [sources[0], w, b], name: base, attributes: [
                    Self.ints("kernel_shape", [kh, kw]), Self.ints("strides", [conv.strides.height, conv.strides.width]),
                    Self.ints("pads", Self.pads(conv.padding, input: [inShape[0], inShape[1]], window: [kh, kw],
                                                strides: [conv.strides.height, conv.strides.width]))])
                output = activate(conved, isLast && conv.activation == .softmax ? .linear : conv.activation, name: base + "_activation")
            case let pool as MaxPool2D:
                output = node("MaxPool", sources, name: base, attributes: poolAttributes(pool, inShape))
            case let pool as AveragePooling2D:
                output = node("AveragePool", sources, name: base, attributes: poolAttributes(pool.windows, inShape) + [Self.int("count_include_pad", 0)])
            case is GlobalAveragePooling2D:
                let pooled = node("GlobalAveragePool", sources, name: base)
                output = node("Flatten", [pooled], name: base + "_flatten", attributes: [Self.int("axis", 1)])
            case is Flatten:
                if imageModel && inShape.count == 3 {
                    // Glassbox flattens H, W, C: transpose back to channel-last first.
                    let transposed = node("Transpose", sources, name: base + "_to_nhwc", attributes: [Self.ints("perm", [0, 2, 3, 1])])
                    output = node("Flatten", [transposed], name: base, attributes: [Self.int("axis", 1)])
                } else {
                    output = node("Flatten", sources, name: base, attributes: [Self.int("axis", 1)])
                }
            case let dense as Dense:
                if imageModel && inShape.count > 1 { throw refuse(index, "a Dense layer on an image tensor of a convolutional model has no channel-first form") }
                let inputs = inShape.last!
                let w = constant(base + ".kernel", [inputs, dense.units], parameters[0]), b = constant(base + ".bias", [dense.units], parameters[1])
                let linear = inShape.count == 1
                    ? node("Gemm", [sources[0], w, b], name: base)
                    : node("Add", [node("MatMul", [sources[0], w], name: base + "_matmul"), b], name: base)
                output = activate(linear, isLast && dense.activation == .softmax ? .linear : dense.activation, name: base + "_activation")
            case let reduce as Reduce:
                if imageModel { throw refuse(index, "reductions of an image tensor of a convolutional model have no channel-first form here") }
                let axis = reduce.axis < 0 ? inShape.count + 1 + reduce.axis : reduce.axis
                if reduce.kind == .sum {
                    output = node("ReduceSum", [sources[0], integers(base + ".axes", [axis])], name: base, attributes: [Self.int("keepdims", 0)])
                } else {
                    output = node("ReduceMean", sources, name: base, attributes: [Self.ints("axes", [axis]), Self.int("keepdims", 0)])
                }
            case let reshape as Reshape:
                if imageModel && inShape.count == 3 { throw refuse(index, "reshaping an image tensor of a convolutional model has no channel-first form here") }
                output = node("Reshape", [sources[0], integers(base + ".shape", [-1] + (try reshape.outputShape(for: inShape)))], name: base)
            case is Dropout:
                output = node("Identity", sources, name: base)
            case let norm as BatchNormalization:
                let tensors = ["gamma", "beta", "moving_mean", "moving_variance"].enumerated().map { constant(base + "." + $1, [inShape.last!], parameters[$0]) }
                output = node("BatchNormalization", [sources[0]] + tensors, name: base, attributes: [Self.float("epsilon", norm.epsilon),
                                                                                                      Self.float("momentum", norm.momentum)])
            case let activation as ActivationLayer:
                output = activate(sources[0], isLast && activation.activation == .softmax ? .linear : activation.activation, name: base)
            case is Add:
                var sum = sources[0]
                for (position, other) in sources.dropFirst().enumerated() {
                    sum = node("Add", [sum, other], name: position == sources.count - 2 ? base : fresh(base))
                }
                output = sum
            case let concatenate as Concatenate:
                let rank = inShape.count
                let index = try concatenate.sampleAxis(rank: rank)
                // Channel-first images: Glassbox's channel axis (the last of [H, W, C]) is ONNX's 1.
                let axis = imageModel && rank == 3 ? [2, 3, 1][index] : index + 1
                output = node("Concat", sources, name: base, attributes: [Self.int("axis", axis)])
            default:
                throw refuse(index, "has no ONNX form here")
            }
            names.append(output)
        }
        var last = names.last!
        if model.endsInSoftmax { last = node("Softmax", [last], name: "probabilities", attributes: [Self.int("axis", -1)]) }
        let outputShape = model.outputShapes.last!
        graph.output = [Self.valueInfo(last, [nil] + outputShape.map { $0 })]
        var proto = Onnx_ModelProto()
        proto.irVersion = 8
        proto.producerName = "glassbox"
        var opset = Onnx_OperatorSetIdProto()
        opset.version = 17
        proto.opsetImport = [opset]
        proto.graph = graph
        if let classNames = model.classNames {
            var entry = Onnx_StringStringEntryProto()
            entry.key = "class_names"
            entry.value = String(decoding: try JSONEncoder().encode(classNames), as: UTF8.self)
            proto.metadataProps = [entry]
        }
        return proto
    }

    func poolAttributes(_ pool: MaxPool2D, _ inShape: [Int]) -> [Onnx_AttributeProto] {
        let window = [pool.poolSize.height, pool.poolSize.width], strides = [pool.strides.height, pool.strides.width]
        return [Self.ints("kernel_shape", window), Self.ints("strides", strides),
                Self.ints("pads", Self.pads(pool.padding, input: [inShape[0], inShape[1]], window: window, strides: strides))]
    }
}
