import Foundation
import Glassbox
import GlassboxTestSupport
import XCTest

/// Architectures read from Keras's own model JSON (examples/, written by bench/keras_examples.py
/// from Keras 3.15.1), and the seed's functional model predicting what Keras predicts.
final class KerasArchitectureTests: XCTestCase {
    static var repository: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
    }
    static var examples: URL { repository.appendingPathComponent("examples") }
    static var fixtures: URL { repository.appendingPathComponent("Tests/Fixtures") }

    func testTheReferenceCNNExampleIsTheReferenceCNN() throws {
        let model = try KerasArchitecture.model(from: Self.examples.appendingPathComponent("reference-cnn.json"), seed: 0)
        let reference = try Sequential.referenceCNN()
        XCTAssertEqual(model.inputShape, [28, 28, 1])
        XCTAssertEqual(model.layers.map(\.configuration), reference.layers.map(\.configuration))
        XCTAssertEqual(model.parameterCount, 693_962, "Keras's count_params()")
    }

    /// The seed's functional model: Dense on the last axis, ReduceSum over axis 1, Dense softmax:
    /// output (28, 10); 256 + 1,290 parameters, as Keras counts them.
    func testTheSeedFunctionalExampleBuildsWithItsShapes() throws {
        let model = try KerasArchitecture.model(from: Self.examples.appendingPathComponent("seed-functional.json"), seed: 0)
        XCTAssertEqual(model.layers.map(\.typeName), ["Dense", "ReduceSum", "Dense"])
        XCTAssertEqual(model.outputShapes, [[28, 28, 128], [28, 128], [28, 10]])
        XCTAssertEqual(model.parameterCounts, [256, 0, 1290])
        XCTAssertTrue(model.summary().contains("(None, 28, 10)"), model.summary())
        let dot = ModelDiagram.dot(model)
        XCTAssertEqual(model.layerNames, ["dense_2", "lambda", "dense_3"], "the names Keras gave the nodes")
        XCTAssertTrue(dot.contains("lambda | ReduceSum") && dot.contains("(None, 28, 128)"), dot)
    }

    func testTheLambdaAsKerasWritesItIsRefusedWithWhatToDoInstead() throws {
        let url = Self.fixtures.appendingPathComponent("seed-functional-lambda.json")
        XCTAssertThrowsError(try KerasArchitecture.load(from: url)) { error in
            let message = "\(error)"
            XCTAssertTrue(message.contains("layer 'lambda' (Lambda)") && message.contains("Python code") && message.contains("ReduceSum")
                          && message.contains("ONNX"), message)
        }
    }

    /// Keras's predictions of the seed model (Lambda and all) on four images, for the same
    /// weights: Glassbox's on every backend agree to 1e-5 (float32 sums in another order).
    func testTheSeedFunctionalModelPredictsWhatKerasPredicts() throws {
        struct Reference: Decodable {
            let output_shape: [Int]
            let images: [[Int]]
            let outputs: [[Float]]
        }
        let reference = try JSONDecoder().decode(Reference.self,
            from: try Data(contentsOf: Self.fixtures.appendingPathComponent("seed-functional-outputs.json")))
        let model = try Sequential.load(from: Self.fixtures.appendingPathComponent("seed-functional.safetensors"))
        XCTAssertEqual(model.outputShapes.last, reference.output_shape)
        let pixels = reference.images.flatMap { $0.map { Float($0) / 255 } }
        let expected = reference.outputs.flatMap { $0 }
        for backend in [TestBackends.reference as any Backend] + (try TestBackends.openCLBackends()) {
            let outputs = try model.predict(pixels, backend: backend)
            XCTAssertEqual(outputs.count, expected.count)
            let worst = zip(outputs, expected).map { abs($0 - $1) }.max()!
            XCTAssertLessThan(worst, 1e-5, "\(backend.name): largest difference from Keras \(worst)")
        }
    }

    /// The residual example (a graph: BatchNormalization, Add, `same` padding, global average
    /// pooling) with Keras's weights (random biases, scales and moving statistics) predicts what
    /// Keras predicts, and counts its parameters as `model.count_params()` does.
    func testTheResidualExamplePredictsWhatKerasPredicts() throws {
        struct Reference: Decodable {
            let count_params: Int
            let images: [[Int]]
            let outputs: [[Float]]
        }
        let reference = try JSONDecoder().decode(Reference.self,
            from: try Data(contentsOf: Self.fixtures.appendingPathComponent("residual-cnn-outputs.json")))
        var model = try KerasArchitecture.model(from: Self.examples.appendingPathComponent("residual-cnn.json"), seed: 0)
        XCTAssertFalse(model.isChain)
        XCTAssertEqual(model.parameterCount, reference.count_params)
        XCTAssertEqual(model.layers.map(\.typeName), ["Conv2D", "BatchNormalization", "Activation", "MaxPool2D", "Conv2D", "Conv2D",
                                                      "BatchNormalization", "Add", "Activation", "GlobalAveragePooling2D", "Dense"])
        let weights = try Safetensors.read(from: Self.fixtures.appendingPathComponent("residual-cnn.safetensors"))
        try model.setParameters(try model.parameterShapes.indices.map { layer in
            try model.parameterShapes[layer].indices.map { index in
                try XCTUnwrap(weights.tensors[model.parameterName(layer: layer, index: index)], model.parameterName(layer: layer, index: index)).values
            }
        })
        let pixels = reference.images.flatMap { $0.map { Float($0) / 255 } }
        let expected = reference.outputs.flatMap { $0 }
        for backend in [TestBackends.reference as any Backend] + (try TestBackends.openCLBackends()) {
            let outputs = try model.predict(pixels, backend: backend)
            let worst = zip(outputs, expected).map { abs($0 - $1) }.max()!
            XCTAssertLessThan(worst, 1e-5, "\(backend.name): largest difference from Keras \(worst)")
            // DeepSHAP on the example: values sum to f(x) - E f(background), to 1e-4.
            let request = try ExplanationRequest(session: try InferenceSession(model: model, backend: backend), input: Array(pixels[..<784]),
                                                 baseline: [Float](repeating: 0, count: 784),
                                                 segmentation: try Segmentation.grid(4, width: 28, height: 28), target: 3)
            let deep = try DeepShap(background: (1..<4).map { Array(pixels[($0 * 784)..<(($0 + 1) * 784)]) }).explain(request)
            XCTAssertLessThan(abs(deep.efficiencyGap), 1e-4, "\(backend.name): DeepSHAP efficiency gap \(deep.efficiencyGap)")
        }
        // Saved and loaded, it predicts the same.
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("residual-\(UUID().uuidString).safetensors")
        defer { try? FileManager.default.removeItem(at: file) }
        try model.save(to: file)
        let loaded = try Sequential.load(from: file)
        XCTAssertEqual(try loaded.predict(pixels, backend: CPUBackend()), try model.predict(pixels, backend: CPUBackend()))
    }

    func testUnsupportedLayersOptionsAndBranchesAreRefusedByName() throws {
        func sequential(_ layer: String) -> Data {
            Data(("{\"class_name\": \"Sequential\", \"config\": {\"layers\": [{\"class_name\": \"InputLayer\", \"config\": "
                  + "{\"batch_shape\": [null, 8, 8, 1], \"name\": \"in\"}}, \(layer)]}}").utf8)
        }
        let cases: [(String, [String])] = [
            (#"{"class_name": "Conv2D", "config": {"name": "c", "filters": 2, "kernel_size": [3, 3], "dilation_rate": [2, 2]}}"#,
             ["layer 'c' (Conv2D)", "dilation_rate"]),
            (#"{"class_name": "Conv2D", "config": {"name": "g", "filters": 2, "kernel_size": 3, "groups": 2}}"#, ["layer 'g' (Conv2D)", "groups"]),
            (#"{"class_name": "Dense", "config": {"name": "d", "units": 2, "use_bias": false}}"#, ["layer 'd' (Dense)", "use_bias=false"]),
            (#"{"class_name": "Dense", "config": {"name": "e", "units": 2, "activation": "gelu"}}"#, ["layer 'e' (Dense)", "activation 'gelu'"]),
            (#"{"class_name": "MaxPooling2D", "config": {"name": "p", "padding": "full"}}"#, ["layer 'p' (MaxPooling2D)", "padding 'full'"]),
            (#"{"class_name": "Conv2D", "config": {"name": "f", "filters": 2, "kernel_size": 3, "data_format": "channels_first"}}"#,
             ["data_format='channels_first'"]),
            (#"{"class_name": "BatchNormalization", "config": {"name": "bn", "center": false}}"#, ["layer 'bn' (BatchNormalization)", "center=false"]),
            (#"{"class_name": "ReLU", "config": {"name": "r", "max_value": 6.0}}"#, ["layer 'r' (ReLU)", "max_value"]),
            (#"{"class_name": "Softmax", "config": {"name": "s", "axis": 1}}"#, ["layer 's' (Softmax)", "axis 1"]),
        ]
        for (layer, fragments) in cases {
            XCTAssertThrowsError(try KerasArchitecture.parse(sequential(layer), path: "m.json")) { error in
                for fragment in fragments { XCTAssertTrue("\(error)".contains(fragment), "\(error) lacks \(fragment)") }
            }
        }
        let branches = Data(#"""
        {"class_name": "Functional", "config": {"input_layers": [["in", 0, 0]], "output_layers": [["add", 0, 0]], "layers": [
         {"class_name": "InputLayer", "name": "in", "config": {"name": "in", "batch_shape": [null, 4]}, "inbound_nodes": []},
         {"class_name": "Dense", "name": "a", "config": {"name": "a", "units": 4},
          "inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {"keras_history": ["in", 0, 0]}}]}]},
         {"class_name": "Add", "name": "add", "config": {"name": "add"},
          "inbound_nodes": [{"args": [[{"class_name": "__keras_tensor__", "config": {"keras_history": ["in", 0, 0]}},
                                       {"class_name": "__keras_tensor__", "config": {"keras_history": ["a", 0, 0]}}]]}]}]}}
        """#.utf8)
        // A residual connection from the input: read as a graph.
        let (shape, nodes) = try KerasArchitecture.parse(branches, path: "res.json")
        let residual = try Sequential(inputShape: shape, nodes: nodes)
        XCTAssertEqual(residual.layerNames, ["a", "add"])
        XCTAssertEqual(residual.layerInputs, [[-1], [-1, 0]])
        XCTAssertFalse(residual.isChain)
        // A layer that leads nowhere (a second output) is refused, naming it.
        let deadEnd = Data(String(decoding: branches, as: UTF8.self).replacingOccurrences(of: #"{"class_name": "Add""#,
            with: #"{"class_name": "Dense", "name": "spare", "config": {"name": "spare", "units": 2}, "inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {"keras_history": ["in", 0, 0]}}]}]}, {"class_name": "Add""#).utf8)
        XCTAssertThrowsError(try KerasArchitecture.parse(deadEnd, path: "res.json")) { error in
            XCTAssertTrue("\(error)".contains("layer 'spare' (Dense) does not lead to the output 'add'"), "\(error)")
        }
        XCTAssertThrowsError(try KerasArchitecture.parse(Data("[1, 2]".utf8), path: "x.json")) { error in
            XCTAssertTrue("\(error)".contains("x.json") && "\(error)".contains("not a JSON object"), "\(error)")
        }
    }

    /// The other layer classes Keras writes, read from JSON as Keras 3 writes them.
    func testGlobalPoolingReshapeAndActivationClassesAreRead() throws {
        let text = #"""
        {"class_name": "Sequential", "config": {"layers": [
         {"class_name": "InputLayer", "config": {"batch_shape": [null, 6, 6, 3], "name": "in"}},
         {"class_name": "Conv2D", "config": {"name": "c", "filters": 4, "kernel_size": [3, 3], "strides": [1, 1], "padding": "same",
          "data_format": "channels_last", "dilation_rate": [1, 1], "groups": 1, "activation": "linear", "use_bias": true}},
         {"class_name": "ReLU", "config": {"name": "r", "max_value": null, "negative_slope": 0.0, "threshold": 0.0}},
         {"class_name": "GlobalAveragePooling2D", "config": {"name": "g", "data_format": "channels_last", "keepdims": false}},
         {"class_name": "Reshape", "config": {"name": "s", "target_shape": [2, 2]}},
         {"class_name": "Activation", "config": {"name": "a", "activation": "sigmoid"}},
         {"class_name": "Flatten", "config": {"name": "f"}},
         {"class_name": "Dense", "config": {"name": "d", "units": 5}},
         {"class_name": "Softmax", "config": {"name": "p", "axis": -1}}]}}
        """#
        let (inputShape, nodes) = try KerasArchitecture.parse(Data(text.utf8), path: "m.json")
        let model = try Sequential(inputShape: inputShape, nodes: nodes)
        XCTAssertTrue(model.isChain)
        XCTAssertEqual(model.layerNames, ["c", "r", "g", "s", "a", "f", "d", "p"])
        XCTAssertEqual(model.layers.map(\.typeName), ["Conv2D", "Activation", "GlobalAveragePooling2D", "Reshape", "Activation", "Flatten", "Dense", "Activation"])
        XCTAssertEqual(model.outputShapes, [[6, 6, 4], [6, 6, 4], [4], [2, 2], [2, 2], [4], [5], [5]])
        XCTAssertTrue(model.endsInSoftmax)
        XCTAssertEqual(model.parameterCount, 3 * 3 * 3 * 4 + 4 + 4 * 5 + 5)
    }
}
