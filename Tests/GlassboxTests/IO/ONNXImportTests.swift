import Foundation
@testable import Glassbox
import GlassboxTestSupport
import XCTest

/// ONNX files exported by PyTorch (`bench/onnx_fixtures.py`): imported, they predict what PyTorch
/// and ONNX Runtime predict, on every backend; refusals name the node, operator and attribute.
final class ONNXImportTests: XCTestCase {
    func model(_ name: String) throws -> Sequential { try ONNXImport.model(from: ImportFixtures.url("\(name).onnx")) }

    /// Conv with `same` padding, max pooling, a Flatten of 8 channels (the Dense kernel's rows
    /// permuted from C, H, W to H, W, C), Gemm; a residual graph with batch normalisation, an
    /// Add, average pooling, a channel Concat and global average pooling; and `x.view(x.size(0),
    /// -1)`, whose Shape, Gather, Unsqueeze and Concat fold into a flattening.
    func testPyTorchExportsPredictWhatPyTorchAndONNXRuntimePredict() throws {
        for name in ["torch-cnn", "torch-residual", "torch-view"] {
            let model = try model(name)
            XCTAssertEqual(model.inputShape, [28, 28, 1])
            XCTAssertTrue(model.endsInSoftmax, name)
            try assertPredictsLikeItsFramework(model, name)
            // An imported model saves and loads as any other.
            let pixels = Array(try ImportFixtures.images().prefix(8 * 784))
            let loaded = try Sequential.load(try model.safetensors(), path: "\(name).safetensors")
            XCTAssertEqual(try loaded.predict(pixels, backend: CPUBackend()), try model.predict(pixels, backend: CPUBackend()))
        }
        let residual = try model("torch-residual")
        XCTAssertEqual(residual.layers.filter { $0 is BatchNormalization }.count, 2)
        XCTAssertFalse(residual.isChain)
    }

    /// The workflow's functional model made in Keras with its Lambda and exported by Keras
    /// (tf2onnx: each Dense on 28x28x1 is a Reshape to rows, a MatMul, a Reshape back and an Add,
    /// the Lambda a ReduceSum): imported, it predicts its (28, 10) output like Keras.
    func testKerasSeedModelWithItsLambdaPredictsLikeKeras() throws {
        let model = try model("keras-seed")
        try assertPredictsLikeItsFramework(model, "keras-seed")
        XCTAssertEqual(model.layers.map(\.typeName), ["Dense", "ReduceSum", "Dense"])
        XCTAssertEqual(model.layers.map { $0.configuration.activation }, ["relu", nil, "softmax"], "activations folded into their Dense layers")
    }

    /// The residual example built in Keras and exported by Keras (a channel-last input made
    /// channel-first by a Reshape, batch normalisation as Mul and Add after each convolution,
    /// folded back into it, an Add, global average pooling and a Squeeze); and a Sequential
    /// multi-channel CNN (strides, same padding, batch normalisation, Transposes around the
    /// NCHW convolutions, a Flatten of channel-last data).
    func testKerasExportsPredictLikeKeras() throws {
        for name in ["keras-residual", "keras-cnn"] {
            try assertPredictsLikeItsFramework(try model(name), name)
        }
        // The batch normalisation after the ReLU (TensorFlow's Mul and Add) is a layer of its own.
        XCTAssertEqual(try model("keras-cnn").layers.map(\.typeName), ["Conv2D", "BatchNormalization", "Conv2D", "MaxPool2D", "Flatten", "Dense"])
    }

    /// Exact Shapley values of an imported model equal those the fixture script computed from
    /// ONNX Runtime's outputs on every coalition (black baseline, Glassbox's grid cells).
    func testExactShapleyEqualsTheOneFromONNXRuntime() throws {
        for name in ["torch-cnn", "torch-residual"] {
            let expected = try XCTUnwrap(try ImportFixtures.reference(name).exact_shapley)
            let request = try ExplanationRequest(session: try InferenceSession(model: try model(name), backend: TestBackends.reference),
                                                 input: Array(try ImportFixtures.images().prefix(784)), baseline: [Float](repeating: 0, count: 784),
                                                 segmentation: try Segmentation.grid(expected.grid, width: 28, height: 28),
                                                 target: expected.target)
            let values = try ExactShapley().explain(request).values
            let worst = zip(values, expected.values).map { abs($0 - $1) }.max()!
            XCTAssertLessThan(worst, 1e-6, "\(name): largest difference \(worst)")
            XCTAssertLessThan(relativeError(values.map(Float.init), expected.values.map(Float.init)), 1e-3, name)
        }
    }

    /// DeepSHAP on an imported graph meets efficiency like a native one.
    func testDeepShapOnAnImportedModel() throws {
        let model = try model("torch-residual")
        let pixels = try ImportFixtures.rawImages().prefix(8).map { $0.map { Float($0) / 255 } }
        _ = try deepShapOnEveryBackend(model, input: pixels[0], backgrounds: Array(pixels[1...]), grid: 4, width: 28, height: 28, target: 2)
    }

    /// Files that are not ONNX, or hold what Glassbox cannot represent, are refused by name.
    func testRefusalsNameTheNodeAndTheAttribute() throws {
        let data = try Data(contentsOf: ImportFixtures.url("torch-cnn.onnx"))
        XCTAssertThrowsError(try ONNXImport.model(Data("not a protobuf at all".utf8), path: "junk.onnx")) {
            XCTAssertTrue("\($0)".contains("junk.onnx") && "\($0)".contains("not an ONNX model"), "\($0)")
        }
        XCTAssertThrowsError(try ONNXImport.model(data.prefix(data.count / 2), path: "cut.onnx")) {
            XCTAssertTrue("\($0)".contains("cut.onnx"), "\($0)")
        }
        var proto = try Onnx_ModelProto(serializedBytes: data)
        proto.opsetImport[0].version = 11
        XCTAssertThrowsError(try ONNXImport.model(try proto.serializedData(), path: "old.onnx")) {
            XCTAssertTrue("\($0)".contains("opset 11"), "\($0)")
        }
        proto = try Onnx_ModelProto(serializedBytes: data)
        var dilation = Onnx_AttributeProto()
        dilation.name = "dilations"
        dilation.type = .ints
        dilation.ints = [2, 2]
        proto.graph.node[0].attribute.removeAll { $0.name == "dilations" }
        proto.graph.node[0].attribute.append(dilation)
        XCTAssertThrowsError(try ONNXImport.model(try proto.serializedData(), path: "dilated.onnx")) {
            XCTAssertTrue("\($0)".contains("(Conv)") && "\($0)".contains("dilations"), "\($0)")
        }
        proto = try Onnx_ModelProto(serializedBytes: data)
        proto.graph.node[1].opType = "Erf"
        XCTAssertThrowsError(try ONNXImport.model(try proto.serializedData(), path: "erf.onnx")) {
            XCTAssertTrue("\($0)".contains("(Erf)") && "\($0)".contains("operator not supported"), "\($0)")
        }
        proto = try Onnx_ModelProto(serializedBytes: data)
        var strides = Onnx_AttributeProto()
        strides.name = "strides"
        strides.type = .ints
        strides.ints = [0]
        proto.graph.node[0].attribute.removeAll { $0.name == "strides" }
        proto.graph.node[0].attribute.append(strides)
        XCTAssertThrowsError(try ONNXImport.model(try proto.serializedData(), path: "strides.onnx")) {
            XCTAssertTrue("\($0)".contains("strides [0]"), "\($0)")
        }
        proto = try Onnx_ModelProto(serializedBytes: data)
        proto.graph.node[1].opType = "Concat"
        proto.graph.node[1].input = []
        XCTAssertThrowsError(try ONNXImport.model(try proto.serializedData(), path: "concat.onnx")) {
            XCTAssertTrue("\($0)".contains("(Concat): has no inputs"), "\($0)")
        }
        proto = try Onnx_ModelProto(serializedBytes: data)
        let flatten = proto.graph.node.firstIndex { $0.opType == "Flatten" }!
        proto.graph.node[flatten + 1].opType = "Softmax"   // a Softmax straight after the Flatten of 8 channels
        XCTAssertThrowsError(try ONNXImport.model(try proto.serializedData(), path: "order.onnx")) {
            XCTAssertTrue("\($0)".contains("flattened channel-first image"), "\($0)")
        }
        proto = try Onnx_ModelProto(serializedBytes: data)
        let index = proto.graph.initializer.firstIndex { $0.dims.count == 4 }!
        proto.graph.initializer[index].rawData = proto.graph.initializer[index].rawData.prefix(12)
        XCTAssertThrowsError(try ONNXImport.model(try proto.serializedData(), path: "short.onnx")) {
            XCTAssertTrue("\($0)".contains("holds 12 bytes"), "\($0)")
        }
    }
}

/// ONNX export: what Glassbox writes, Glassbox reads back as the same function (ONNX Runtime's
/// agreement is checked by `bench/onnx_fixtures.py --check-export`, recorded in BENCHMARKS.md).
final class ONNXExportTests: XCTestCase {
    static var examples: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("examples")
    }

    func testExportedModelsImportAsTheSameFunction() throws {
        var models: [(String, Sequential)] = try ["reference-cnn", "seed-functional", "residual-cnn"].map {
            ($0, try KerasArchitecture.model(from: Self.examples.appendingPathComponent("\($0).json"), seed: 5))
        }
        // A channel-first graph with a Concatenate, leaky ReLU, same pooling and an average pool.
        models.append(("graph", try Sequential(inputShape: [9, 8, 3], seed: 6, nodes: [
            .init("a", try Conv2D(filters: 4, kernelSize: 3, padding: .same, activation: .leakyRelu), from: ["input"]),
            .init("b", try Conv2D(filters: 2, kernelSize: 1, activation: .tanh), from: ["input"]),
            .init("cat", try Concatenate(), from: ["a", "b"]),
            .init("pool", try MaxPool2D(3, stride: 2, padding: .same), from: ["cat"]),
            .init("avg", try AveragePooling2D(poolSize: (2, 2), strides: (1, 1)), from: ["pool"]),
            .init("flat", Flatten(), from: ["avg"]),
            .init("out", try Dense(units: 5, activation: .softmax), from: ["flat"])])))
        var random = SeededGenerator(seed: 66)
        models[0].1.classNames = (0..<10).map { "class \($0)" }
        for (name, model) in models {
            let exported = try ONNXExport.data(model)
            let imported = try ONNXImport.model(exported, path: "\(name).onnx")
            XCTAssertEqual(imported.outputShapes.last, model.outputShapes.last, name)
            XCTAssertEqual(imported.parameterCount, model.parameterCount, name)
            XCTAssertEqual(imported.classNames, model.classNames, "\(name): class names travel in the metadata")
            // Channel-first images feed the ONNX model transposed; Glassbox's import reads them
            // back in its own layout, so the same samples go to both.
            let x = random.floats(3 * model.sampleSize, in: 0...1)
            let error = relativeError(try imported.predict(x, backend: CPUBackend()), try model.predict(x, backend: CPUBackend()))
            XCTAssertLessThan(error, 1e-6, "\(name): the exported model computes another function (\(error))")
        }
    }

    func testLayersWithoutAChannelFirstFormAreRefused() throws {
        let model = try Sequential(inputShape: [6, 6, 1], layers: [try Conv2D(filters: 2, kernelSize: 3), try Dense(units: 3)])
        XCTAssertThrowsError(try ONNXExport.data(model)) {
            XCTAssertTrue("\($0)".contains("'dense' (Dense)") && "\($0)".contains("channel-first"), "\($0)")
        }
    }
}
