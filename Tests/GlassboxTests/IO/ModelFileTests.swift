import Foundation
@testable import Glassbox
import GlassboxTestSupport
import XCTest

final class ModelFileTests: XCTestCase {
    /// `count` 28x28 images in 0...1 whose class (0...9) is the column band holding a bright bar.
    static func bars(count: Int, seed: UInt64) -> (x: [Float], y: [Float]) {
        var random = SeededGenerator(seed: seed)
        var x = [Float](), y = [Float]()
        for index in 0..<count {
            let label = index % 10
            var image = random.floats(784, in: 0...0.2)
            for row in 4..<24 { for column in (label * 2 + 4)..<(label * 2 + 6) { image[row * 28 + column] = 1 } }
            x += image
            y.append(Float(label))
        }
        return (x, y)
    }

    static let classNames = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]

    /// The reference CNN after two Adam steps on the CPU reference (batch 4), shared by the tests:
    /// the reference CNN on the unoptimised CPU backend is the slow part.
    static let trainedReferenceCNN: Result<Sequential, Error> = Result {
        let (x, y) = bars(count: 8, seed: 1)
        var model = try Sequential.referenceCNN(seed: 7)
        try model.compile(optimizer: .adam, seed: 11)
        model.classNames = classNames
        try model.fit(x: x, y: y, epochs: 1, batchSize: 4, backend: CPUBackend())
        return model
    }

    static func bits(_ values: [[[Float]]]) -> [[[UInt32]]] { values.map { $0.map { $0.map(\.bitPattern) } } }

    static func write(_ file: Safetensors, in folder: URL, name: String = "model.safetensors") throws -> URL {
        let url = folder.appendingPathComponent(name)
        try file.write(to: url)
        return url
    }

    func testSaveAndLoadReproduceTheModelExactly() throws {
        let model = try Self.trainedReferenceCNN.get()
        let (testX, _) = Self.bars(count: 3, seed: 2)
        let before = try model.predict(testX, backend: CPUBackend())
        let url = try IOFixtures.temporaryFolder(self).appendingPathComponent("model.safetensors")
        try model.save(to: url)
        let loaded = try Sequential.load(from: url)

        XCTAssertEqual(loaded.inputShape, [28, 28, 1])
        XCTAssertEqual(loaded.layers.map(\.configuration), model.layers.map(\.configuration))
        XCTAssertEqual(Self.bits(loaded.parameters), Self.bits(model.parameters))
        XCTAssertEqual(loaded.classNames, Self.classNames)
        let state = try XCTUnwrap(loaded.training)
        XCTAssertEqual(state.step, 2)
        XCTAssertEqual(state.epochsCompleted, 1)
        XCTAssertEqual(state.seed, 11)
        XCTAssertEqual(state.batchSize, 4)
        XCTAssertEqual(state.optimizer, .adam)
        XCTAssertEqual(state.loss, .sparseCategoricalCrossentropy)
        let slots = try XCTUnwrap(model.training?.slots)
        XCTAssertEqual(slots.count, 5)
        XCTAssertTrue(slots[3][0][1].contains { $0 > 0 }, "Adam's second moment must be non-zero after two steps")
        XCTAssertEqual(state.slots.map { $0.map { $0.map { $0.map(\.bitPattern) } } },
                       slots.map { $0.map { $0.map { $0.map(\.bitPattern) } } })
        XCTAssertEqual(try loaded.predict(testX, backend: CPUBackend()), before)
    }

    func testLargeSeedsSurviveTheJSONMetadata() throws {
        var model = try TrainingTests.smallCNN(seed: 0)
        try model.compile(optimizer: .sgd(learningRate: 0.05), seed: UInt64.max - 1)
        let loaded = try Sequential.load(try model.safetensors(), path: "in memory")
        XCTAssertEqual(loaded.training?.seed, UInt64.max - 1)
        XCTAssertEqual(loaded.training?.optimizer, .sgd(learningRate: 0.05))
        XCTAssertEqual(loaded.training?.step, 0)
        XCTAssertNil(loaded.classNames)
    }

    func testTensorNamesAndKerasLayouts() throws {
        let untrained = try Sequential.referenceCNN(seed: 0).safetensors()
        let parameterShapes: [String: [Int]] = [
            "conv2d.kernel": [3, 3, 1, 32], "conv2d.bias": [32],
            "dense.kernel": [5408, 128], "dense.bias": [128],
            "dense_1.kernel": [128, 10], "dense_1.bias": [10],
        ]
        XCTAssertEqual(untrained.tensors.mapValues(\.shape), parameterShapes)
        XCTAssertEqual(untrained.metadata["format"], "glassbox")
        XCTAssertEqual(untrained.metadata["format_version"], "2")
        XCTAssertNil(untrained.metadata["training"], "an uncompiled model has no training state")
        let architecture = try XCTUnwrap(untrained.metadata["architecture"])
        let record = try JSONSerialization.jsonObject(with: Data(architecture.utf8)) as? [String: Any]
        XCTAssertEqual(record?["input_shape"] as? [Int], [28, 28, 1])
        XCTAssertEqual((record?["layers"] as? [[String: Any]])?.compactMap { $0["type"] as? String },
                       ["Conv2D", "MaxPool2D", "Flatten", "Dense", "Dense"])

        let trained = try Self.trainedReferenceCNN.get().safetensors()
        var expected = parameterShapes
        for (name, shape) in parameterShapes {
            expected["optimizer.\(name).m"] = shape
            expected["optimizer.\(name).v"] = shape
        }
        XCTAssertEqual(trained.tensors.mapValues(\.shape), expected)
        // Keras layout of a conv kernel, [kh, kw, in, out]: element (0, 1, 0, 5) is at 1 * 32 + 5.
        let model = try Self.trainedReferenceCNN.get()
        XCTAssertEqual(trained.tensors["conv2d.kernel"]?.values[37], model.parameters[0][0][37])
        XCTAssertEqual(trained.tensors["optimizer.dense_1.bias.v"]?.values, model.training?.slots[4][1][1])
    }

    /// A file as versions before graphs wrote it (`format_version` 1, tensors `layers.<i>.<param>`,
    /// no node names or inputs) loads as the same chain, with the same parameters and state.
    func testFormatVersion1FilesStillLoad() throws {
        let model = try Self.trainedReferenceCNN.get()
        let current = try model.safetensors()
        var old = Safetensors()
        let renames = ["conv2d": "layers.0", "dense": "layers.3", "dense_1": "layers.4"]
        for (name, tensor) in current.tensors {
            var renamed = name
            for (node, index) in renames {
                renamed = renamed.replacingOccurrences(of: "optimizer.\(node).", with: "optimizer.\(index).")
                if renamed.hasPrefix("\(node).") { renamed = index + renamed.dropFirst(node.count) }
            }
            old.tensors[renamed] = tensor
        }
        XCTAssertTrue(old.tensors.keys.allSatisfy { $0.hasPrefix("layers.") || $0.hasPrefix("optimizer.layers.") }, "\(old.tensors.keys)")
        old.metadata = current.metadata
        old.metadata["format_version"] = "1"
        let record = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(current.metadata["architecture"]!.utf8)) as? [String: Any])
        old.metadata["architecture"] = String(decoding: try JSONSerialization.data(withJSONObject: ["input_shape": record["input_shape"]!,
                                                                                                      "layers": record["layers"]!]), as: UTF8.self)
        let loaded = try Sequential.load(old, path: "old.safetensors")
        XCTAssertEqual(loaded.layerNames, model.layerNames)
        XCTAssertTrue(loaded.isChain)
        XCTAssertEqual(loaded.parameters, model.parameters)
        XCTAssertEqual(loaded.training, model.training)
        let images = (0..<3 * 784).map { Float($0 % 251) / 251 }
        XCTAssertEqual(try loaded.predict(images, backend: CPUBackend()), try model.predict(images, backend: CPUBackend()), "predicts identically")
        // And it saves in the current format, with node names.
        XCTAssertEqual(try loaded.safetensors().tensors.keys.sorted(), current.tensors.keys.sorted())
    }

    func testLoadErrorsNameTheProblem() throws {
        let folder = try IOFixtures.temporaryFolder(self)
        // A small model with optimizer state keeps the ten saves and loads quick.
        var model = try TrainingTests.smallCNN(seed: 2)
        try model.compile(optimizer: .adam, seed: 3)
        let (x, y) = TrainingTests.blobs(count: 8, seed: 4)
        try model.fit(x: x, y: y, epochs: 1, batchSize: 4, backend: CPUBackend())
        let good = try model.safetensors()
        func assertLoadFails(_ change: (inout Safetensors) -> Void, _ fragments: [String], line: UInt = #line) throws {
            var file = good
            change(&file)
            let url = try Self.write(file, in: folder)
            assertThrowsGlassboxError(try Sequential.load(from: url), containing: [url.path] + fragments, line: line)
        }
        XCTAssertNoThrow(try Sequential.load(from: try Self.write(good, in: folder)), "the unchanged file must load")

        try assertLoadFails({ $0.metadata["architecture"] = nil }, ["no 'architecture' in the metadata", "not a Glassbox model file"])
        try assertLoadFails({ $0.tensors["dense.bias"] = nil }, ["missing tensor 'dense.bias' of shape [16]"])
        try assertLoadFails({ $0.tensors["dense_1.kernel"]!.shape = [4, 16] },
                            ["tensor 'dense_1.kernel' has shape [4, 16], the architecture needs [16, 4]"])
        try assertLoadFails({ $0.metadata["architecture"] = $0.metadata["architecture"]!.replacingOccurrences(of: "Flatten", with: "Transformer") },
                            ["architecture", "unknown layer type 'Transformer'"])
        try assertLoadFails({ $0.metadata["architecture"] = "{\"input_shape\": [28, 28, 1]" }, ["metadata 'architecture' does not parse"])
        try assertLoadFails({ $0.metadata["training"] = "{\"step\": 3," }, ["metadata 'training' does not parse"])
        try assertLoadFails({ $0.metadata["training"] = $0.metadata["training"]!.replacingOccurrences(of: "\"adam\"", with: "\"rmsprop\"") },
                            ["metadata 'training'", "unknown optimizer 'rmsprop'"])
        try assertLoadFails({ $0.tensors["optimizer.conv2d.kernel.v"] = nil },
                            ["missing or mis-shaped optimizer tensor 'optimizer.conv2d.kernel.v'"])
        try assertLoadFails({ $0.metadata["architecture"] = $0.metadata["architecture"]!.replacingOccurrences(of: "[\"flatten\"]", with: "[\"dense\"]") },
                            ["architecture", "input 'dense' is not the input or an earlier layer"])
        try assertLoadFails({ $0.metadata["class_names"] = "[1, 2]" }, ["metadata 'class_names' is not a JSON list of strings"])
    }

    func testInterruptedSaveLeavesTheOldFileIntactAndNoTemporaryFile() throws {
        let folder = try IOFixtures.temporaryFolder(self)
        let url = folder.appendingPathComponent("checkpoint.safetensors")
        let model = try Sequential.referenceCNN(seed: 1)
        try model.save(to: url)
        let oldBytes = try Data(contentsOf: url)
        let newBytes = try Sequential.referenceCNN(seed: 2).safetensors().encode()
        XCTAssertNotEqual(newBytes, oldBytes)

        XCTAssertThrowsError(try AtomicFile.write(newBytes, to: url, injectedFailure: "disk full (injected)")) { error in
            guard case .fileAccess(let path, let reason)? = error as? GlassboxError else { return XCTFail("\(error)") }
            XCTAssertEqual(path, url.path)
            XCTAssertTrue(reason.contains("disk full (injected)") && reason.contains("unchanged"), reason)
        }
        XCTAssertEqual(try Data(contentsOf: url), oldBytes)
        XCTAssertEqual(Self.bits(try Sequential.load(from: url).parameters), Self.bits(model.parameters))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path), ["checkpoint.safetensors"])

        // The same write without the failure replaces the file, again leaving nothing else behind.
        try AtomicFile.write(newBytes, to: url)
        XCTAssertEqual(try Data(contentsOf: url), newBytes)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path), ["checkpoint.safetensors"])
    }

    func testResumeFromAFileMatchesStraightTraining() throws {
        let folder = try IOFixtures.temporaryFolder(self)
        let (x, y) = TrainingTests.blobs(count: 48, seed: 6)
        let backend = CPUBackend()
        var straight = try TrainingTests.smallCNN(seed: 4, dropout: true)
        try straight.compile(optimizer: .adam, seed: 8)
        try straight.fit(x: x, y: y, epochs: 4, batchSize: 8, backend: backend)

        var first = try TrainingTests.smallCNN(seed: 4, dropout: true)
        try first.compile(optimizer: .adam, seed: 8)
        try first.fit(x: x, y: y, epochs: 2, batchSize: 8, backend: backend)
        let url = folder.appendingPathComponent("half.safetensors")
        try first.save(to: url)
        var resumed = try Sequential.load(from: url)
        XCTAssertEqual(resumed.layers.map(\.typeName), ["Conv2D", "MaxPool2D", "Flatten", "Dropout", "Dense", "Dense"])
        XCTAssertEqual(resumed.training?.epochsCompleted, 2)
        try resumed.fit(x: x, y: y, epochs: 4, batchSize: 8, backend: backend)

        XCTAssertEqual(resumed.training?.step, 24)
        XCTAssertEqual(Self.bits(resumed.parameters), Self.bits(straight.parameters))
        XCTAssertEqual(resumed.training?.slots, straight.training?.slots)
        XCTAssertNotEqual(Self.bits(first.parameters), Self.bits(straight.parameters), "epochs 3 and 4 must change the weights")
    }

    func testDiagramShowsEveryLayerWithShapes() throws {
        let text = ModelDiagram.dot(try Sequential.referenceCNN())
        XCTAssertTrue(text.hasPrefix("digraph model {"), text)
        XCTAssertTrue(text.hasSuffix("}\n"), text)
        for fragment in ["input | Input | (None, 28, 28, 1)",
                         "conv2d | Conv2D (relu)", "(None, 28, 28, 1) | (None, 26, 26, 32)", "params: 320",
                         "max_pooling2d | MaxPool2D", "(None, 26, 26, 32) | (None, 13, 13, 32)",
                         "flatten | Flatten", "(None, 13, 13, 32) | (None, 5408)",
                         "dense | Dense (relu)", "(None, 5408) | (None, 128)", "params: 692,352",
                         "dense_1 | Dense (softmax)", "(None, 128) | (None, 10)", "params: 1,290",
                         "input -> layer0 [label=\" (None, 28, 28, 1)\"", "layer0 -> layer1 [label=\" (None, 26, 26, 32)\"",
                         "layer3 -> layer4 [label=\" (None, 128)\""] {
            XCTAssertTrue(text.contains(fragment), "missing \"\(fragment)\" in:\n\(text)")
        }
        XCTAssertEqual(text.components(separatedBy: "->").count - 1, 5, "one edge into each layer")
    }

    func testDiagramFiles() throws {
        let folder = try IOFixtures.temporaryFolder(self)
        let model = try Sequential.referenceCNN()
        let dotFile = folder.appendingPathComponent("model.dot")
        try ModelDiagram.write(model, to: dotFile)
        XCTAssertEqual(try String(contentsOf: dotFile, encoding: .utf8), ModelDiagram.dot(model))

        let unknown = folder.appendingPathComponent("model.xyz")
        assertThrowsGlassboxError(try ModelDiagram.write(model, to: unknown), containing: ["'.xyz'", unknown.path, ".png"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: unknown.path))

        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/dot") else { throw XCTSkip("Graphviz dot not installed") }
        let svg = folder.appendingPathComponent("model.svg")
        try ModelDiagram.write(model, to: svg)
        let svgText = try String(contentsOf: svg, encoding: .utf8)
        XCTAssertTrue(svgText.hasPrefix("<?xml") || svgText.contains("<svg"), String(svgText.prefix(200)))
        XCTAssertTrue(svgText.contains("dense_1"), "the layer names must be drawn")
        let png = folder.appendingPathComponent("model.PNG")
        try ModelDiagram.write(model, to: png)
        XCTAssertEqual([UInt8](try Data(contentsOf: png).prefix(8)), IOFixtures.pngSignature)
    }
}
