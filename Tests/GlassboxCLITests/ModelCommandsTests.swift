import Foundation
import XCTest

/// `train`, `summary`, `plot`, `predict` and `evaluate` on a tiny data set, through the built
/// binary on the CPU reference (deterministic, and no device needed).
final class ModelCommandsTests: XCTestCase {
    /// A safetensors file's `__metadata__`, read with Foundation alone.
    static func metadata(of url: URL) throws -> [String: String] {
        let bytes = [UInt8](try Data(contentsOf: url))
        let length = (0..<8).reduce(0) { $0 | Int(bytes[$1]) << (8 * $1) }
        let header = try JSONSerialization.jsonObject(with: Data(bytes[8..<(8 + length)])) as? [String: Any]
        return try XCTUnwrap(header?["__metadata__"] as? [String: String])
    }

    /// The `training` metadata as a JSON object.
    static func trainingRecord(of url: URL) throws -> [String: Any] {
        let text = try XCTUnwrap(try metadata(of: url)["training"])
        return try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    // MARK: One training run shared by the tests that only read its model (training is the slow part)

    nonisolated(unsafe) private static var shared: TrainedModel?

    static func trained() throws -> TrainedModel {
        if let shared { return shared }
        shared = try TrainedModel.make()
        return shared!
    }

    /// The shared model file; an error (not a cascade of failures) when training failed.
    func trainedModel() throws -> TrainedModel {
        let trained = try Self.trained()
        guard trained.result.status == 0 else {
            throw XCTSkip("the shared training run failed (testTrainWritesTheModelAndPlainProgressLines reports it)")
        }
        return trained
    }

    override class func tearDown() {
        if let shared { try? FileManager.default.removeItem(at: shared.folder) }
        shared = nil
        super.tearDown()
    }

    // MARK: Tests

    func testTrainWritesTheModelAndPlainProgressLines() throws {
        let trained = try Self.trained()
        let result = trained.result
        XCTAssertEqual(result.status, 0, result.transcript)
        let lines = result.standardOutput.split(separator: "\n").map(String.init)
        XCTAssertTrue(lines.contains("backend: cpu-reference"), result.transcript)
        XCTAssertTrue(lines.contains("data: data, 32 training and 16 test images of 28x28"), result.transcript)
        XCTAssertTrue(lines.contains("Epoch 1/1"), result.transcript)
        // Not a terminal: one plain line per epoch, no carriage returns or escape sequences.
        XCTAssertEqual(lines.filter { $0.hasPrefix("2/2 - ") && $0.contains(" - loss: ") && $0.contains(" - accuracy: ") }.count, 1,
                       result.transcript)
        XCTAssertFalse(result.standardOutput.contains("\r") || result.standardOutput.contains("\u{1B}["), result.transcript)
        XCTAssertTrue(lines.contains { $0.hasPrefix("test accuracy: ") && $0.contains(" - test loss: ") }, result.transcript)
        XCTAssertEqual(lines.last, "model: \(trained.model.path)")

        let size = try XCTUnwrap(try FileManager.default.attributesOfItem(atPath: trained.model.path)[.size] as? Int)
        XCTAssertGreaterThan(size, 3 * 693_962 * 4, "parameters and both Adam moments")
        let metadata = try Self.metadata(of: trained.model)
        XCTAssertEqual(metadata["format"], "glassbox")
        XCTAssertEqual(metadata["class_names"], #"["0","1","2","3","4","5","6","7","8","9"]"#)
        let training = try Self.trainingRecord(of: trained.model)
        XCTAssertEqual(training["epochs_completed"] as? Int, 1)
        XCTAssertEqual(training["step"] as? Int, 2)
        XCTAssertEqual(training["batch_size"] as? Int, 16)
    }

    func testResumeContinuesFromTheCheckpoint() throws {
        let trained = try trainedModel()
        let out = try temporaryFolder().appendingPathComponent("resumed.safetensors")
        try FileManager.default.copyItem(at: trained.model, to: out)
        let before = try Data(contentsOf: out)
        let arguments = ["train", "--data", trained.data.path, "--epochs", "2", "--resume", "--out", out.path, "--device", "cpu"]

        let result = try GlassboxBinary.run(arguments)
        XCTAssertEqual(result.status, 0, result.transcript)
        XCTAssertTrue(result.standardOutput.contains("Epoch 2/2\n2/2 - "), result.transcript)
        XCTAssertFalse(result.standardOutput.contains("Epoch 1/"), "epoch 1 must not run again:\n\(result.transcript)")
        XCTAssertNotEqual(try Data(contentsOf: out), before)
        let training = try Self.trainingRecord(of: out)
        XCTAssertEqual(training["epochs_completed"] as? Int, 2)
        XCTAssertEqual(training["step"] as? Int, 4, "two steps per epoch, counting on from the checkpoint")

        let again = try GlassboxBinary.run(arguments)
        XCTAssertEqual(again.status, 0, again.transcript)
        XCTAssertTrue(again.standardOutput.contains("already trained for 2 epochs"), again.transcript)
        XCTAssertEqual(try Self.trainingRecord(of: out)["step"] as? Int, 4)

        let missing = out.deletingLastPathComponent().appendingPathComponent("none.safetensors")
        assertFails(try GlassboxBinary.run(["train", "--data", trained.data.path, "--resume", "--out", missing.path, "--device", "cpu"]),
                    naming: ["--resume", "no checkpoint at \(missing.path)"])
    }

    func testSummaryShowsShapesAndParameterCount() throws {
        let trained = try trainedModel()
        let result = try GlassboxBinary.run(["summary", "--model", trained.model.path])
        XCTAssertEqual(result.status, 0, result.transcript)
        for fragment in ["conv2d", "(None, 26, 26, 32)", "max_pooling2d", "(None, 13, 13, 32)", "(None, 5408)",
                         "dense_1", "(None, 10)", "693,962"] {
            XCTAssertTrue(result.standardOutput.contains(fragment), "missing \"\(fragment)\":\n\(result.transcript)")
        }
    }

    func testPlotWritesADiagram() throws {
        let trained = try trainedModel()
        let folder = try temporaryFolder()
        let dot = folder.appendingPathComponent("model.dot")
        let result = try GlassboxBinary.run(["plot", "--model", trained.model.path, "--out", dot.path])
        XCTAssertEqual(result.status, 0, result.transcript)
        XCTAssertEqual(result.standardOutput, "diagram: \(dot.path)\n")
        let text = try String(contentsOf: dot, encoding: .utf8)
        XCTAssertTrue(text.hasPrefix("digraph"), text)
        XCTAssertTrue(text.contains("(None, 13, 13, 32)") && text.contains("dense_1 | Dense (softmax)"), text)

        let bad = folder.appendingPathComponent("model.xyz")
        assertFails(try GlassboxBinary.run(["plot", "--model", trained.model.path, "--out", bad.path]), naming: ["'.xyz'", bad.path])
        XCTAssertFalse(FileManager.default.fileExists(atPath: bad.path))
    }

    func testPredictTestImagesAsJSON() throws {
        let trained = try trainedModel()
        let result = try GlassboxBinary.run(["predict", "--model", trained.model.path, "--data", trained.data.path,
                                             "--index", "3", "--count", "2", "--format", "json", "--device", "cpu"])
        XCTAssertEqual(result.status, 0, result.transcript)
        let rows = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [[String: Any]],
                                 result.transcript)
        XCTAssertEqual(rows.count, 2)
        for (offset, row) in rows.enumerated() {
            XCTAssertEqual(Set(row.keys), ["index", "label", "output", "output_shape", "predicted", "probabilities"])
            XCTAssertEqual(row["index"] as? Int, 3 + offset)
            XCTAssertEqual(row["label"] as? Int, Int(TinyDataset.label(3 + offset, test: true)))
            let probabilities = try XCTUnwrap((row["probabilities"] as? [Any])?.compactMap { ($0 as? NSNumber)?.doubleValue })
            XCTAssertEqual(probabilities.count, 10)
            XCTAssertEqual(probabilities.reduce(0, +), 1, accuracy: 1e-4)
            XCTAssertTrue(probabilities.allSatisfy { $0 >= 0 && $0 <= 1 }, "\(probabilities)")
            XCTAssertEqual(row["predicted"] as? Int, probabilities.indices.max { probabilities[$0] < probabilities[$1] })
        }
        assertFails(try GlassboxBinary.run(["predict", "--model", trained.model.path, "--data", trained.data.path,
                                            "--index", "16", "--device", "cpu"]),
                    naming: ["--index 16 is past the last test image (16 in all"])
    }

    func testPredictImageFile() throws {
        let trained = try trainedModel()
        let folder = try temporaryFolder()
        let good = folder.appendingPathComponent("two.pgm")
        try TinyDataset.pgm(width: 28, height: 28, pixels: TinyDataset.image(label: 2, noiseSeed: 7)).write(to: good)
        let result = try GlassboxBinary.run(["predict", "--model", trained.model.path, "--image", good.path, "--device", "cpu"])
        XCTAssertEqual(result.status, 0, result.transcript)
        let lines = result.standardOutput.split(separator: "\n")
        XCTAssertEqual(lines.count, 12, "a head line, what the numbers are, and one line per class:\n\(result.transcript)")
        XCTAssertTrue(lines.first?.hasPrefix("\(good.path): predicted ") == true, result.transcript)
        XCTAssertEqual(lines[1], "  probabilities:", result.transcript)
        let probabilities = lines.dropFirst(2).compactMap { Double($0.split(separator: " ").last!) }
        XCTAssertEqual(probabilities.count, 10, result.transcript)
        XCTAssertEqual(probabilities.reduce(0, +), 1, accuracy: 2e-3, "printed to 4 decimals")

        let narrow = folder.appendingPathComponent("narrow.pgm")
        try TinyDataset.pgm(width: 27, height: 28, pixels: [UInt8](repeating: 128, count: 27 * 28)).write(to: narrow)
        assertFails(try GlassboxBinary.run(["predict", "--model", trained.model.path, "--image", narrow.path, "--device", "cpu"]),
                    naming: [narrow.path, "27x28", "28x28"])
    }

    func testEvaluatePrintsAccuracy() throws {
        let trained = try trainedModel()
        let result = try GlassboxBinary.run(["evaluate", "--model", trained.model.path, "--data", trained.data.path, "--device", "cpu"])
        XCTAssertEqual(result.status, 0, result.transcript)
        let line = result.standardOutput.trimmingCharacters(in: .newlines)
        XCTAssertTrue(line.hasPrefix("test accuracy: ") && line.hasSuffix(" - 16 images"), result.transcript)
        let accuracy = try XCTUnwrap(Double(line.dropFirst("test accuracy: ".count).prefix(6)), line)
        XCTAssertTrue((0...1).contains(accuracy), line)
        XCTAssertEqual(accuracy * 16, (accuracy * 16).rounded(), accuracy: 1e-3, "a whole number of 16 images")
    }

    func testBadDataFoldersNameTheFile() throws {
        let folder = try temporaryFolder()
        let incomplete = folder.appendingPathComponent("incomplete")
        try TinyDataset.write(in: incomplete)
        try FileManager.default.removeItem(at: incomplete.appendingPathComponent("t10k-labels-idx1-ubyte"))
        let out = folder.appendingPathComponent("model.safetensors").path
        assertFails(try GlassboxBinary.run(["train", "--data", incomplete.path, "--epochs", "1", "--out", out, "--device", "cpu"]),
                    naming: [incomplete.path, "missing file", "t10k-labels-idx1-ubyte"])

        let truncated = folder.appendingPathComponent("truncated")
        try TinyDataset.write(in: truncated)
        let images = truncated.appendingPathComponent("t10k-images-idx3-ubyte")
        try Data(TinyDataset.imageFile(count: TinyDataset.testCount, test: true).dropLast(100)).write(to: images)
        assertFails(try GlassboxBinary.run(["train", "--data", truncated.path, "--epochs", "1", "--out", out, "--device", "cpu"]),
                    naming: [images.path, "truncated pixel data", "16 images of 28x28", "found 12444"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: out), "a failed run writes no model")
    }

    func testUnwritableOutputFailsNamingThePath() throws {
        let trained = try trainedModel()
        let out = try temporaryFolder().appendingPathComponent("no-such-folder/model.safetensors")
        // One step of 16 images: the checkpoint after the epoch is the first write.
        assertFails(try GlassboxBinary.run(["train", "--data", trained.data.path, "--epochs", "1", "--limit", "16", "--batch-size", "16",
                                            "--out", out.path, "--device", "cpu"]),
                    naming: [out.path, "no-such-folder"])
    }

    func testFilesThatAreNotModelsAreNamed() throws {
        let folder = try temporaryFolder()
        let text = folder.appendingPathComponent("notes.safetensors")
        try Data("this is not a model file\n".utf8).write(to: text)
        assertFails(try GlassboxBinary.run(["summary", "--model", text.path]), naming: [text.path, "header length"])
        let missing = folder.appendingPathComponent("absent.safetensors")
        assertFails(try GlassboxBinary.run(["evaluate", "--model", missing.path, "--device", "cpu"]), naming: [missing.path])
    }

    func testInvalidFlagsAreRejected() throws {
        let data = try temporaryFolder().path
        assertFails(try GlassboxBinary.run(["train", "--data", data, "--epochs", "0"]), naming: ["--epochs must be from 1 to 100000 (got 0)"])
        assertFails(try GlassboxBinary.run(["train", "--data", data, "--batch-size=-1"]), naming: ["--batch-size must be from 1 to 65536 (got -1)"])
        // Written with a space, ArgumentParser reads "-1" as a flag and reports the value missing.
        assertFails(try GlassboxBinary.run(["train", "--data", data, "--batch-size", "-1"]), naming: ["--batch-size"])
        assertFails(try GlassboxBinary.run(["predict", "--model", "m.safetensors"]), naming: ["--image", "--index"])
        assertFails(try GlassboxBinary.run(["predict", "--model", "m.safetensors", "--index", "0", "--image", "x.pgm"]),
                    naming: ["either --image", "--index"])
    }
}
