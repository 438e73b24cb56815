import Foundation
import XCTest

/// `train`, `summary`, `plot`, `predict` and `evaluate` on a tiny data set, through the built
/// binary on the CPU reference (deterministic, and no device needed).
final class ModelCommandsTests: XCTestCase {
    static let trainCount = 32
    static let testCount = 16

    /// Image `index`'s label: 0...9 in turn, the test set shifted by 3 (so neither begins like
    /// MNIST or Fashion-MNIST, whose class names would then be assumed).
    static func label(_ index: Int, test: Bool) -> UInt8 { UInt8((index + (test ? 3 : 0)) % 10) }

    /// A 28x28 image of class `label`: faint noise and a bright 6x4 bar whose place is the class.
    static func image(label: UInt8, noiseSeed: Int) -> [UInt8] {
        var state = UInt32(truncatingIfNeeded: noiseSeed &* 2_654_435_761 &+ 1)
        var pixels = (0..<784).map { _ -> UInt8 in
            state = state &* 1_664_525 &+ 1_013_904_223
            return UInt8(state >> 26)   // 0...63
        }
        let top = Int(label / 5) * 12 + 4, left = Int(label % 5) * 5 + 2
        for row in top..<(top + 6) { for column in left..<(left + 4) { pixels[row * 28 + column] = 255 } }
        return pixels
    }

    static func bigEndian(_ value: Int) -> [UInt8] { (0..<4).map { UInt8((value >> (24 - 8 * $0)) & 0xFF) } }

    static func imageFile(count: Int, test: Bool) -> [UInt8] {
        bigEndian(0x0803) + bigEndian(count) + bigEndian(28) + bigEndian(28)
            + (0..<count).flatMap { image(label: label($0, test: test), noiseSeed: $0 + (test ? 1000 : 0)) }
    }

    static func labelFile(count: Int, test: Bool) -> [UInt8] {
        bigEndian(0x0801) + bigEndian(count) + (0..<count).map { label($0, test: test) }
    }

    /// A gzip file (RFC 1952) of stored, uncompressed deflate blocks (RFC 1951, 3.2.4), built by
    /// hand so the test needs neither zlib nor the library to make it.
    static func gzipStored(_ bytes: [UInt8]) -> Data {
        var out: [UInt8] = [0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 0xFF]
        var offset = 0
        repeat {
            let length = min(65_535, bytes.count - offset)
            let isLast: UInt8 = offset + length == bytes.count ? 1 : 0
            out += [isLast, UInt8(length & 0xFF), UInt8(length >> 8), UInt8(~length & 0xFF), UInt8((~length >> 8) & 0xFF)]
            out += bytes[offset..<(offset + length)]
            offset += length
        } while offset < bytes.count
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        let trailer = [~crc, UInt32(truncatingIfNeeded: bytes.count)].flatMap { value in (0..<4).map { UInt8((value >> (8 * $0)) & 0xFF) } }
        return Data(out + trailer)
    }

    /// The four files of an MNIST-style folder; the training images gzip-compressed.
    static func writeDataset(in folder: URL) throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try gzipStored(imageFile(count: trainCount, test: false)).write(to: folder.appendingPathComponent("train-images-idx3-ubyte.gz"))
        try Data(labelFile(count: trainCount, test: false)).write(to: folder.appendingPathComponent("train-labels-idx1-ubyte"))
        try Data(imageFile(count: testCount, test: true)).write(to: folder.appendingPathComponent("t10k-images-idx3-ubyte"))
        try Data(labelFile(count: testCount, test: true)).write(to: folder.appendingPathComponent("t10k-labels-idx1-ubyte"))
    }

    static func pgm(width: Int, height: Int, pixels: [UInt8]) -> Data {
        Data(Array("P5\n\(width) \(height)\n255\n".utf8) + pixels)
    }

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

    struct Trained {
        let folder: URL
        let data: URL
        let model: URL
        let result: GlassboxBinary.Result
    }

    nonisolated(unsafe) private static var shared: Trained?

    static func trained() throws -> Trained {
        if let shared { return shared }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("glassbox-cli-\(UUID().uuidString)")
        let data = folder.appendingPathComponent("data")
        try writeDataset(in: data)
        let model = folder.appendingPathComponent("model.safetensors")
        let result = try GlassboxBinary.run(["train", "--data", data.path, "--epochs", "1", "--batch-size", "16",
                                             "--out", model.path, "--device", "cpu"])
        shared = Trained(folder: folder, data: data, model: model, result: result)
        return shared!
    }

    /// The shared model file; an error (not a cascade of failures) when training failed.
    func trainedModel() throws -> Trained {
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

    func temporaryFolder() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("glassbox-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: folder) }
        return folder
    }

    func assertFails(_ result: GlassboxBinary.Result, naming fragments: [String], line: UInt = #line) {
        XCTAssertNotEqual(result.status, 0, result.transcript, line: line)
        for fragment in fragments where !result.standardError.contains(fragment) {
            XCTFail("stderr does not name \"\(fragment)\":\n\(result.transcript)", line: line)
        }
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
            XCTAssertEqual(Set(row.keys), ["index", "label", "predicted", "probabilities"])
            XCTAssertEqual(row["index"] as? Int, 3 + offset)
            XCTAssertEqual(row["label"] as? Int, Int(Self.label(3 + offset, test: true)))
            let probabilities = try XCTUnwrap((row["probabilities"] as? [Any])?.compactMap { ($0 as? NSNumber)?.doubleValue })
            XCTAssertEqual(probabilities.count, 10)
            XCTAssertEqual(probabilities.reduce(0, +), 1, accuracy: 1e-4)
            XCTAssertTrue(probabilities.allSatisfy { $0 >= 0 && $0 <= 1 }, "\(probabilities)")
            XCTAssertEqual(row["predicted"] as? Int, probabilities.indices.max { probabilities[$0] < probabilities[$1] })
        }
        assertFails(try GlassboxBinary.run(["predict", "--model", trained.model.path, "--data", trained.data.path,
                                            "--index", "16", "--device", "cpu"]),
                    naming: ["--index 16 is past the last test image (16 images)"])
    }

    func testPredictImageFile() throws {
        let trained = try trainedModel()
        let folder = try temporaryFolder()
        let good = folder.appendingPathComponent("two.pgm")
        try Self.pgm(width: 28, height: 28, pixels: Self.image(label: 2, noiseSeed: 7)).write(to: good)
        let result = try GlassboxBinary.run(["predict", "--model", trained.model.path, "--image", good.path, "--device", "cpu"])
        XCTAssertEqual(result.status, 0, result.transcript)
        let lines = result.standardOutput.split(separator: "\n")
        XCTAssertEqual(lines.count, 11, "a head line and one line per class:\n\(result.transcript)")
        XCTAssertTrue(lines.first?.hasPrefix("\(good.path): predicted ") == true, result.transcript)
        let probabilities = lines.dropFirst().compactMap { Double($0.split(separator: " ").last!) }
        XCTAssertEqual(probabilities.count, 10, result.transcript)
        XCTAssertEqual(probabilities.reduce(0, +), 1, accuracy: 2e-3, "printed to 4 decimals")

        let narrow = folder.appendingPathComponent("narrow.pgm")
        try Self.pgm(width: 27, height: 28, pixels: [UInt8](repeating: 128, count: 27 * 28)).write(to: narrow)
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
        try Self.writeDataset(in: incomplete)
        try FileManager.default.removeItem(at: incomplete.appendingPathComponent("t10k-labels-idx1-ubyte"))
        let out = folder.appendingPathComponent("model.safetensors").path
        assertFails(try GlassboxBinary.run(["train", "--data", incomplete.path, "--epochs", "1", "--out", out, "--device", "cpu"]),
                    naming: [incomplete.path, "missing file", "t10k-labels-idx1-ubyte"])

        let truncated = folder.appendingPathComponent("truncated")
        try Self.writeDataset(in: truncated)
        let images = truncated.appendingPathComponent("t10k-images-idx3-ubyte")
        try Data(Self.imageFile(count: Self.testCount, test: true).dropLast(100)).write(to: images)
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
        assertFails(try GlassboxBinary.run(["train", "--data", data, "--epochs", "0"]), naming: ["--epochs must be at least 1 (got 0)"])
        assertFails(try GlassboxBinary.run(["train", "--data", data, "--batch-size=-1"]), naming: ["--batch-size must be at least 1 (got -1)"])
        // Written with a space, ArgumentParser reads "-1" as a flag and reports the value missing.
        assertFails(try GlassboxBinary.run(["train", "--data", data, "--batch-size", "-1"]), naming: ["--batch-size"])
        assertFails(try GlassboxBinary.run(["predict", "--model", "m.safetensors"]), naming: ["--image", "--index"])
        assertFails(try GlassboxBinary.run(["predict", "--model", "m.safetensors", "--index", "0", "--image", "x.pgm"]),
                    naming: ["either --image", "--index"])
    }
}
