import Foundation
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
}
