import Foundation
import Glassbox
import XCTest

/// Architectures from Keras's model JSON through the binary: `init`, `summary --format json`,
/// `plot`, `predict` and `explain --target` on the seed's functional model (output (28, 10)),
/// and `train --architecture` on the reference CNN's JSON.
final class ArchitectureCommandsTests: XCTestCase {
    static var examples: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("examples")
    }

    func json(_ text: String) throws -> Any { try JSONSerialization.jsonObject(with: Data(text.utf8)) }

    func testTheSeedFunctionalModelFromItsExampleFile() throws {
        let folder = try temporaryFolder()
        let data = folder.appendingPathComponent("data")
        try TinyDataset.write(in: data)
        let model = folder.appendingPathComponent("seed.safetensors")
        let made = try GlassboxBinary.run(["init", "--architecture", Self.examples.appendingPathComponent("seed-functional.json").path,
                                           "--seed", "3", "--out", model.path])
        XCTAssertEqual(made.status, 0, made.transcript)
        XCTAssertTrue(made.standardOutput.contains("lambda (ReduceSum)") && made.standardOutput.contains("(None, 28, 10)"), made.transcript)

        let summary = try GlassboxBinary.run(["summary", "--model", model.path, "--format", "json"])
        let object = try XCTUnwrap(try json(summary.standardOutput) as? [String: Any], summary.transcript)
        XCTAssertEqual(object["total_params"] as? Int, 1546, "Keras's count_params() of the seed model")
        let layers = try XCTUnwrap(object["layers"] as? [[String: Any]])
        XCTAssertEqual(layers.map { $0["class"] as? String }, ["Dense", "ReduceSum", "Dense"])
        XCTAssertEqual((layers[2]["output_shape"] as? [Any])?.dropFirst().compactMap { $0 as? Int }, [28, 10])

        let diagram = folder.appendingPathComponent("seed.dot")
        XCTAssertEqual(try GlassboxBinary.run(["plot", "--model", model.path, "--out", diagram.path]).status, 0)
        let dot = try String(contentsOf: diagram, encoding: .utf8)
        XCTAssertTrue(dot.contains("(None, 28, 28, 128)") && dot.contains("(None, 28, 10)"), dot)

        // Every one of the 28 rows: 10 probabilities summing to 1, in text and in JSON.
        let text = try GlassboxBinary.run(["predict", "--model", model.path, "--data", data.path, "--index", "1", "--device", "cpu"])
        XCTAssertEqual(text.status, 0, text.transcript)
        let lines = text.standardOutput.split(separator: "\n")
        XCTAssertEqual(lines.count, 1 + 28, text.transcript)
        XCTAssertTrue(lines[0].hasPrefix("test image 1: output (28, 10), probabilities over the last axis"), text.transcript)
        let predicted = try GlassboxBinary.run(["predict", "--model", model.path, "--data", data.path, "--index", "1", "--count", "2",
                                                "--format", "json", "--device", "cpu"])
        let rows = try XCTUnwrap(try json(predicted.standardOutput) as? [[String: Any]], predicted.transcript)
        XCTAssertEqual(rows.count, 2)
        XCTAssertEqual(Set(rows[0].keys), ["index", "label", "output", "output_shape"])
        let output = try XCTUnwrap(rows[0]["output"] as? [[Double]])
        XCTAssertEqual(output.count, 28)
        for row in output { XCTAssertEqual(row.count, 10); XCTAssertEqual(row.reduce(0, +), 1, accuracy: 1e-5) }

        // explain a position: row 5, class 3; exact Shapley values add up to its probability change.
        let explained = try GlassboxBinary.run(["explain", "--model", model.path, "--data", data.path, "--index", "1", "--target", "5,3",
                                                "--method", "exact", "--segments", "grid:2", "--format", "json", "--device", "cpu"])
        XCTAssertEqual(explained.status, 0, explained.transcript)
        let explanation = try XCTUnwrap(try json(explained.standardOutput) as? [String: Any])
        XCTAssertEqual(explanation["target"] as? Int, 5 * 10 + 3)
        let method = try XCTUnwrap((explanation["methods"] as? [[String: Any]])?.first)
        XCTAssertEqual(try XCTUnwrap(method["prediction"] as? Double), output[5][3], accuracy: 1e-6)
        XCTAssertEqual(try XCTUnwrap(method["efficiency_gap"] as? Double), 0, accuracy: 1e-5)
        assertFails(try GlassboxBinary.run(["explain", "--model", model.path, "--data", data.path, "--index", "1", "--target", "28,0",
                                            "--device", "cpu"]), naming: ["index 28 on axis 1 is outside 0..<28"])
        // Training needs one class vector per sample: a clear refusal, not a wrong loss.
        assertFails(try GlassboxBinary.run(["train", "--data", data.path, "--architecture",
                                            Self.examples.appendingPathComponent("seed-functional.json").path,
                                            "--out", folder.appendingPathComponent("t.safetensors").path, "--device", "cpu"]),
                    naming: ["outputs [28, 10] per sample"])
    }

    func testTrainWithAnArchitectureFileAndRefusals() throws {
        let folder = try temporaryFolder()
        let data = folder.appendingPathComponent("data")
        try TinyDataset.write(in: data)
        let out = folder.appendingPathComponent("m.safetensors")
        let trained = try GlassboxBinary.run(["train", "--data", data.path, "--architecture",
                                              Self.examples.appendingPathComponent("reference-cnn.json").path,
                                              "--epochs", "1", "--batch-size", "16", "--out", out.path, "--device", "cpu"])
        XCTAssertEqual(trained.status, 0, trained.transcript)
        XCTAssertTrue(trained.standardOutput.contains("test accuracy: "), trained.transcript)
        let lambda = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/seed-functional-lambda.json")
        assertFails(try GlassboxBinary.run(["init", "--architecture", lambda.path, "--out", folder.appendingPathComponent("x.st").path]),
                    naming: ["layer 'lambda' (Lambda)", "ReduceSum"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.appendingPathComponent("x.st").path))
        assertFails(try GlassboxBinary.run(["train", "--data", data.path, "--resume", "--architecture", lambda.path, "--out", out.path]),
                    naming: ["give --architecture or --resume, not both"])
    }

    /// `--data` takes a folder of class folders of images: train, then predict a test image by
    /// the folder's class names.
    func testTrainAndPredictOnAnImageFolder() throws {
        let folder = try temporaryFolder()
        let data = folder.appendingPathComponent("shapes")
        for label in 0..<3 {
            for split in ["", "test/"] {
                let classFolder = data.appendingPathComponent("\(split)class-\(["a", "b", "c"][label])")
                try FileManager.default.createDirectory(at: classFolder, withIntermediateDirectories: true)
                for i in 0..<(split.isEmpty ? 6 : 2) {
                    try TinyDataset.pgm(width: 28, height: 28, pixels: TinyDataset.image(label: UInt8(label), noiseSeed: i + split.count * 100))
                        .write(to: classFolder.appendingPathComponent("\(i).pgm"))
                }
            }
        }
        let out = folder.appendingPathComponent("m.safetensors")
        let trained = try GlassboxBinary.run(["train", "--data", data.path, "--epochs", "1", "--batch-size", "6", "--out", out.path, "--device", "cpu"])
        XCTAssertEqual(trained.status, 0, trained.transcript)
        XCTAssertTrue(trained.standardOutput.contains("data: shapes, 18 training and 6 test images of 28x28"), trained.transcript)
        let predicted = try GlassboxBinary.run(["predict", "--model", out.path, "--data", data.path, "--index", "5", "--device", "cpu"])
        XCTAssertEqual(predicted.status, 0, predicted.transcript)
        XCTAssertTrue(predicted.standardOutput.contains("label class-c (2)"), predicted.transcript)
        // An output inside the data folder may not replace one of its images.
        assertFails(try GlassboxBinary.run(["train", "--data", data.path, "--out", data.appendingPathComponent("class-a/0.pgm").path, "--device", "cpu"]),
                    naming: ["same file as the input --data"])
    }

    /// RGB end to end: a folder of colour PNGs, a small residual architecture on 12x12x3 from a
    /// Keras JSON graph (same-padded convolution and pooling, batch normalisation, Add), trained
    /// one epoch; then predict and explain a colour `--image`, whose picture shows the image in
    /// colour.
    func testRGBImageFolderResidualModelPredictAndExplain() throws {
        let folder = try temporaryFolder()
        let data = folder.appendingPathComponent("colours")
        var random = SeededGenerator(seed: 5)
        for (label, name) in ["reddish", "greenish"].enumerated() {
            let classFolder = data.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: classFolder, withIntermediateDirectories: true)
            for i in 0..<6 {
                let rgb = (0..<(12 * 12)).flatMap { _ -> [UInt8] in
                    let strong = UInt8(150 + Int(random.next() % 100)), weak = UInt8(random.next() % 80)
                    return label == 0 ? [strong, weak, weak] : [weak, strong, weak]
                }
                try PNG.encodeRGB(width: 12, height: 12, rgb: rgb).write(to: classFolder.appendingPathComponent("\(i).png"))
            }
        }
        let architecture = folder.appendingPathComponent("residual.json")
        func node(_ name: String, _ className: String, _ config: [String: Any], from inputs: [String]) -> [String: Any] {
            let tensors: [Any] = inputs.map { ["class_name": "__keras_tensor__", "config": ["keras_history": [$0, 0, 0]]] }
            return ["class_name": className, "name": name, "config": config.merging(["name": name]) { $1 },
                    "inbound_nodes": [["args": inputs.count == 1 ? tensors : [tensors]]]]
        }
        let layers: [[String: Any]] = [
            ["class_name": "InputLayer", "name": "in", "config": ["name": "in", "batch_shape": [NSNull(), 12, 12, 3]], "inbound_nodes": []],
            node("c1", "Conv2D", ["filters": 4, "kernel_size": [3, 3], "padding": "same", "activation": "relu"], from: ["in"]),
            node("c2", "Conv2D", ["filters": 4, "kernel_size": [3, 3], "padding": "same"], from: ["c1"]),
            node("bn", "BatchNormalization", ["axis": -1, "momentum": 0.9, "epsilon": 0.001], from: ["c2"]),
            node("add", "Add", [:], from: ["c1", "bn"]),
            node("pool", "MaxPooling2D", ["pool_size": [3, 3], "strides": [2, 2], "padding": "same"], from: ["add"]),
            node("gap", "GlobalAveragePooling2D", [:], from: ["pool"]),
            node("out", "Dense", ["units": 2, "activation": "softmax"], from: ["gap"]),
        ]
        try JSONSerialization.data(withJSONObject: ["class_name": "Functional", "config": [
            "input_layers": [["in", 0, 0]], "output_layers": [["out", 0, 0]], "layers": layers]]).write(to: architecture)
        let model = folder.appendingPathComponent("rgb.safetensors")
        let trained = try GlassboxBinary.run(["train", "--data", data.path, "--architecture", architecture.path, "--epochs", "1",
                                              "--batch-size", "4", "--out", model.path, "--device", "cpu"])
        XCTAssertEqual(trained.status, 0, trained.transcript)
        XCTAssertTrue(trained.standardOutput.contains("10 training and 2 test images of 12x12 RGB"), trained.transcript)
        let summary = try GlassboxBinary.run(["summary", "--model", model.path])
        XCTAssertTrue(summary.standardOutput.contains("Connected to") && summary.standardOutput.contains("c1, bn"), summary.transcript)
        let image = data.appendingPathComponent("greenish/2.png")
        let predicted = try GlassboxBinary.run(["predict", "--model", model.path, "--image", image.path, "--device", "cpu"])
        XCTAssertEqual(predicted.status, 0, predicted.transcript)
        XCTAssertTrue(predicted.standardOutput.contains("greenish"), predicted.transcript)
        let picture = folder.appendingPathComponent("why.png")
        let explained = try GlassboxBinary.run(["explain", "--model", model.path, "--image", image.path, "--method", "occlusion,deep",
                                                "--data", data.path, "--segments", "superpixels:6", "--png", picture.path, "--device", "cpu"])
        XCTAssertEqual(explained.status, 0, explained.transcript)
        XCTAssertTrue(explained.standardOutput.contains("deep") && explained.standardOutput.contains("efficiency"), explained.transcript)
        // The input panel shows the image in colour: its first pixel is the PNG's. The panel's
        // top-left corner is 8 pixels in, and 8 + 7 + 3 down (the gap, the title's line, a gap).
        let rgb = try PNG.decodeRGB(try Data(contentsOf: picture), path: picture.path).rgb
        let source = try PNG.decodeRGB(try Data(contentsOf: image), path: image.path)
        let width = try PNG.decodeRGB(try Data(contentsOf: picture), path: picture.path).width
        let corner = (18 * width + 8) * 3
        XCTAssertEqual(Array(rgb[corner..<(corner + 3)]), Array(source.rgb[0..<3]))
        // IDX data is gray: an RGB model refuses it, naming the channels.
        let idx = folder.appendingPathComponent("idx")
        try TinyDataset.write(in: idx)
        assertFails(try GlassboxBinary.run(["predict", "--model", model.path, "--data", idx.path, "--index", "0", "--device", "cpu"]),
                    naming: ["grayscale", "3 channels"])
    }
}
