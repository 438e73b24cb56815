import Foundation
import Glassbox
import GlassboxTestSupport
import XCTest

/// `glassbox import` of a PyTorch ONNX export, and `--model file.onnx` on the other commands.
final class ImportCommandTests: XCTestCase {
    static var fixtures: URL { ImportFixtures.folder }

    func testImportThenPredictExplainAndPlot() throws {
        let folder = try temporaryFolder()
        let onnx = Self.fixtures.appendingPathComponent("torch-residual.onnx")
        let out = folder.appendingPathComponent("residual.safetensors")
        let imported = try GlassboxBinary.run(["import", onnx.path, "--out", out.path])
        XCTAssertEqual(imported.status, 0, imported.transcript)
        XCTAssertTrue(imported.standardOutput.contains("BatchNormalization") && imported.standardOutput.contains("Connected to"), imported.transcript)
        // An image from the fixture, as a PGM.
        let torch = Array(try ImportFixtures.reference("torch-residual").framework.outputs.prefix(10))
        let image = folder.appendingPathComponent("image.pgm")
        try Data(Array("P5\n28 28\n255\n".utf8) + (try ImportFixtures.rawImages()[0])).write(to: image)
        for model in [out.path, onnx.path] {
            let predicted = try GlassboxBinary.run(["predict", "--model", model, "--image", image.path, "--format", "json", "--device", "cpu"])
            XCTAssertEqual(predicted.status, 0, predicted.transcript)
            let rows = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(predicted.standardOutput.utf8)) as? [[String: Any]])
            let row = try XCTUnwrap(rows.first, predicted.standardOutput)
            let probabilities = try XCTUnwrap(row["probabilities"] as? [Double], predicted.standardOutput)
            XCTAssertLessThan(zip(probabilities, torch).map { abs($0 - Double($1)) }.max()!, 1e-5, "\(model) against PyTorch")
        }
        let explained = try GlassboxBinary.run(["explain", "--model", onnx.path, "--image", image.path, "--method", "exact,occlusion",
                                                "--segments", "grid:3", "--device", "cpu"])
        XCTAssertEqual(explained.status, 0, explained.transcript)
        XCTAssertTrue(explained.standardOutput.contains("exact"), explained.transcript)
        let plot = try GlassboxBinary.run(["plot", "--model", onnx.path, "--out", folder.appendingPathComponent("m.dot").path])
        XCTAssertEqual(plot.status, 0, plot.transcript)
        // Exported again, the ONNX file predicts what the model file predicts.
        let exported = folder.appendingPathComponent("again.onnx")
        let export = try GlassboxBinary.run(["export", "--model", out.path, "--out", exported.path])
        XCTAssertEqual(export.status, 0, export.transcript)
        XCTAssertTrue(export.standardOutput.contains("[batch, 1, 28, 28] (channel-first)"), export.transcript)
        let fromFile = try GlassboxBinary.run(["predict", "--model", out.path, "--image", image.path, "--device", "cpu"])
        let fromExport = try GlassboxBinary.run(["predict", "--model", exported.path, "--image", image.path, "--device", "cpu"])
        XCTAssertEqual(fromExport.status, 0, fromExport.transcript)
        XCTAssertEqual(fromExport.standardOutput, fromFile.standardOutput)
        let wrongName = try GlassboxBinary.run(["export", "--model", out.path, "--out", folder.appendingPathComponent("m.txt").path])
        XCTAssertNotEqual(wrongName.status, 0)
        XCTAssertTrue(wrongName.standardError.contains(".onnx"), wrongName.transcript)
        // Not an ONNX file: the error names the file.
        let junk = folder.appendingPathComponent("junk.onnx")
        try Data("not a model".utf8).write(to: junk)
        let refused = try GlassboxBinary.run(["import", junk.path, "--out", folder.appendingPathComponent("j.safetensors").path])
        XCTAssertNotEqual(refused.status, 0)
        XCTAssertTrue(refused.standardError.contains("junk.onnx") && refused.standardError.contains("not an ONNX model"), refused.transcript)
    }

    /// A `.keras` file imports, predicts like Keras and is summarised, drawn and explained
    /// directly; one with a Lambda is refused with the advice to export to ONNX.
    func testKerasFileImportsAndWorksAsAModel() throws {
        let folder = try temporaryFolder()
        let keras = Self.fixtures.appendingPathComponent("keras-residual.keras")
        let out = folder.appendingPathComponent("residual.safetensors")
        let imported = try GlassboxBinary.run(["import", keras.path, "--out", out.path])
        XCTAssertEqual(imported.status, 0, imported.transcript)
        XCTAssertTrue(imported.standardOutput.contains("batch_normalization_1 (BatchNormalization)"), imported.transcript)
        let image = folder.appendingPathComponent("image.pgm")
        try Data(Array("P5\n28 28\n255\n".utf8) + (try ImportFixtures.rawImages()[3])).write(to: image)
        let expected = Array(try ImportFixtures.reference("keras-residual").framework.outputs[30..<40])
        for model in [out.path, keras.path] {
            let predicted = try GlassboxBinary.run(["predict", "--model", model, "--image", image.path, "--format", "json", "--device", "cpu"])
            XCTAssertEqual(predicted.status, 0, predicted.transcript)
            let rows = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(predicted.standardOutput.utf8)) as? [[String: Any]])
            let probabilities = try XCTUnwrap(rows.first?["probabilities"] as? [Double], predicted.standardOutput)
            XCTAssertLessThan(zip(probabilities, expected).map { abs($0 - Double($1)) }.max()!, 1e-5, "\(model) against Keras")
        }
        let data = folder.appendingPathComponent("data")
        try TinyDataset.write(in: data)
        // The smaller Sequential CNN for the commands that run many images (the suite runs under ASan).
        let small = Self.fixtures.appendingPathComponent("keras-cnn.keras")
        var outputs: [String] = []
        for command in [["summary", "--model", keras.path], ["plot", "--model", keras.path, "--out", folder.appendingPathComponent("k.dot").path],
                        ["explain", "--model", small.path, "--image", image.path, "--method", "deep,occlusion", "--segments", "grid:3", "--device", "cpu"],
                        ["explain", "--model", small.path, "--data", data.path, "--global", "--count", "4", "--method", "kernel", "--samples", "64",
                         "--segments", "grid:2", "--device", "cpu", "--format", "json"],
                        ["surrogate", "--model", small.path, "--data", data.path, "--count", "16", "--min-leaf", "2", "--device", "cpu"]] {
            let result = try GlassboxBinary.run(command)
            XCTAssertEqual(result.status, 0, result.transcript)
            outputs.append(result.standardOutput)
        }
        XCTAssertTrue(outputs[3].contains("\"global\" : true"), outputs[3])
        XCTAssertTrue(outputs[4].contains("fidelity on"), outputs[4])
        let lambda = try GlassboxBinary.run(["import", Self.fixtures.appendingPathComponent("keras-seed.keras").path,
                                             "--out", folder.appendingPathComponent("seed.safetensors").path])
        XCTAssertNotEqual(lambda.status, 0)
        XCTAssertTrue(lambda.standardError.contains("keras-seed.keras") && lambda.standardError.contains("export the model to ONNX"), lambda.transcript)
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.appendingPathComponent("seed.safetensors").path))
    }
}
