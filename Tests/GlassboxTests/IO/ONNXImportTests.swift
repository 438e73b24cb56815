import Foundation
@testable import Glassbox
import GlassboxTestSupport
import XCTest

/// ONNX files exported by PyTorch (`bench/onnx_fixtures.py`): imported, they predict what PyTorch
/// and ONNX Runtime predict, on every backend; refusals name the node, operator and attribute.
final class ONNXImportTests: XCTestCase {
    static var fixtures: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/onnx")
    }

    struct Reference: Decodable {
        let operators: [String]
        let images: [[Int]]
        let torch: [[Float]]
        let onnxruntime: [[Float]]
    }

    func reference(_ name: String) throws -> Reference {
        try JSONDecoder().decode(Reference.self, from: try Data(contentsOf: Self.fixtures.appendingPathComponent("\(name)-outputs.json")))
    }

    /// Conv with `same` padding, max pooling, a Flatten of 8 channels (the Dense kernel's rows
    /// permuted from C, H, W to H, W, C), Gemm; and a residual graph with batch normalisation, an
    /// Add, average pooling, a channel Concat and global average pooling.
    func testPyTorchExportsPredictWhatPyTorchAndONNXRuntimePredict() throws {
        for name in ["torch-cnn", "torch-residual"] {
            let expected = try reference(name)
            let model = try ONNXImport.model(from: Self.fixtures.appendingPathComponent("\(name).onnx"))
            XCTAssertEqual(model.inputShape, [28, 28, 1])
            XCTAssertTrue(model.endsInSoftmax, name)
            let pixels = expected.images.flatMap { $0.map { Float($0) / 255 } }
            for backend in [TestBackends.reference as any Backend] + (try TestBackends.openCLBackends()) {
                let outputs = try model.predict(pixels, backend: backend)
                for (framework, values) in [("PyTorch", expected.torch), ("ONNX Runtime", expected.onnxruntime)] {
                    let worst = zip(outputs, values.flatMap { $0 }).map { abs($0 - $1) }.max()!
                    XCTAssertLessThan(worst, 1e-5, "\(name) on \(backend.name): largest difference from \(framework) \(worst)")
                }
            }
            // An imported model saves and loads as any other.
            let loaded = try Sequential.load(try model.safetensors(), path: "\(name).safetensors")
            XCTAssertEqual(try loaded.predict(pixels, backend: CPUBackend()), try model.predict(pixels, backend: CPUBackend()))
        }
        let residual = try ONNXImport.model(from: Self.fixtures.appendingPathComponent("torch-residual.onnx"))
        XCTAssertEqual(residual.layers.filter { $0 is BatchNormalization }.count, 2)
        XCTAssertFalse(residual.isChain)
    }

    /// DeepSHAP on an imported graph meets efficiency like a native one.
    func testDeepShapOnAnImportedModel() throws {
        let model = try ONNXImport.model(from: Self.fixtures.appendingPathComponent("torch-residual.onnx"))
        let pixels = try reference("torch-residual").images.map { $0.map { Float($0) / 255 } }
        for backend in [TestBackends.reference as any Backend] + (try TestBackends.openCLBackends()) {
            let request = try ExplanationRequest(session: try InferenceSession(model: model, backend: backend), input: pixels[0],
                                                 baseline: [Float](repeating: 0, count: 784),
                                                 segmentation: try Segmentation.grid(4, width: 28, height: 28), target: 2)
            let deep = try DeepShap(background: Array(pixels[1...])).explain(request)
            XCTAssertLessThan(abs(deep.efficiencyGap), 1e-4, backend.name)
        }
    }

    /// Files that are not ONNX, or hold what Glassbox cannot represent, are refused by name.
    func testRefusalsNameTheNodeAndTheAttribute() throws {
        let data = try Data(contentsOf: Self.fixtures.appendingPathComponent("torch-cnn.onnx"))
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
        let index = proto.graph.initializer.firstIndex { $0.dims.count == 4 }!
        proto.graph.initializer[index].rawData = proto.graph.initializer[index].rawData.prefix(12)
        XCTAssertThrowsError(try ONNXImport.model(try proto.serializedData(), path: "short.onnx")) {
            XCTAssertTrue("\($0)".contains("holds 12 bytes"), "\($0)")
        }
    }
}
