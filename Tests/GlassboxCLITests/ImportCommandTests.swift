import Foundation
import Glassbox
import XCTest

/// `glassbox import` of a PyTorch ONNX export, and `--model file.onnx` on the other commands.
final class ImportCommandTests: XCTestCase {
    static var fixtures: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures/onnx")
    }

    func testImportThenPredictExplainAndPlot() throws {
        let folder = try temporaryFolder()
        let onnx = Self.fixtures.appendingPathComponent("torch-residual.onnx")
        let out = folder.appendingPathComponent("residual.safetensors")
        let imported = try GlassboxBinary.run(["import", onnx.path, "--out", out.path])
        XCTAssertEqual(imported.status, 0, imported.transcript)
        XCTAssertTrue(imported.standardOutput.contains("BatchNormalization") && imported.standardOutput.contains("Connected to"), imported.transcript)
        // An image from the fixture, as a PGM.
        struct Reference: Decodable { let images: [[Int]]; let torch: [[Float]] }
        let reference = try JSONDecoder().decode(Reference.self, from: try Data(contentsOf: Self.fixtures.appendingPathComponent("torch-residual-outputs.json")))
        let image = folder.appendingPathComponent("image.pgm")
        try Data(Array("P5\n28 28\n255\n".utf8) + reference.images[0].map(UInt8.init)).write(to: image)
        for model in [out.path, onnx.path] {
            let predicted = try GlassboxBinary.run(["predict", "--model", model, "--image", image.path, "--format", "json", "--device", "cpu"])
            XCTAssertEqual(predicted.status, 0, predicted.transcript)
            let rows = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(predicted.standardOutput.utf8)) as? [[String: Any]])
            let row = try XCTUnwrap(rows.first, predicted.standardOutput)
            let probabilities = try XCTUnwrap(row["probabilities"] as? [Double], predicted.standardOutput)
            XCTAssertLessThan(zip(probabilities, reference.torch[0]).map { abs($0 - Double($1)) }.max()!, 1e-5, "\(model) against PyTorch")
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
}
