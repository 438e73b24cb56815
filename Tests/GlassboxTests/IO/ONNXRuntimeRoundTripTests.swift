import Foundation
import Glassbox
import GlassboxTestSupport
import XCTest

/// Models exported by Glassbox, run by ONNX Runtime (through `Tests/Fixtures/onnxruntime_outputs.py`),
/// give Glassbox's outputs to 1e-5 on the fixtures' 256 Fashion-MNIST test images: the example
/// architectures (seeded weights) and the imported PyTorch and Keras models, `.keras` included.
/// Without Python's `onnxruntime` the test skips, unless `GLASSBOX_REQUIRE_ONNXRUNTIME=1`
/// (set by `scripts/test.sh`, whose setup installs it).
final class ONNXRuntimeRoundTripTests: XCTestCase {
    func testExportedModelsRunInONNXRuntimeAsInGlassbox() throws {
        let check = Process()
        check.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        check.arguments = ["python3", "-c", "import onnxruntime, numpy"]
        check.standardError = FileHandle.nullDevice
        let available = (try? check.run()) != nil && { check.waitUntilExit(); return check.terminationStatus == 0 }()
        guard available else {
            if ProcessInfo.processInfo.environment["GLASSBOX_REQUIRE_ONNXRUNTIME"] == "1" {
                return XCTFail("GLASSBOX_REQUIRE_ONNXRUNTIME=1 but python3 cannot import onnxruntime and numpy")
            }
            throw XCTSkip("python3 with onnxruntime and numpy is not available")
        }
        let examples = ImportFixtures.folder.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("examples")
        var models: [(String, Sequential)] = try ["reference-cnn", "seed-functional", "residual-cnn"].map {
            ($0, try KerasArchitecture.model(from: examples.appendingPathComponent("\($0).json"), seed: 5))
        }
        for name in ["torch-cnn", "torch-residual", "torch-view", "keras-seed", "keras-cnn"] {
            models.append(("\(name).onnx", try ONNXImport.model(from: ImportFixtures.url("\(name).onnx"))))
        }
        for name in ["keras-cnn", "keras-residual"] {
            models.append(("\(name).keras", try KerasFile.model(from: ImportFixtures.url("\(name).keras"))))
        }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("glassbox-ort-\(getpid())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        // The fixtures' 256 images for imported models, the first 64 for the example architectures.
        let pixels = try ImportFixtures.images()
        var arguments = [ImportFixtures.url("../onnxruntime_outputs.py").standardized.path]
        var batches: [[Float]] = []
        for (index, (name, model)) in models.enumerated() {
            let batch = name.contains(".") ? pixels : Array(pixels.prefix(64 * 784))
            let files = ["model\(index).onnx", "in\(index).f32", "out\(index).f32"].map { folder.appendingPathComponent($0).path }
            try ONNXExport.write(model, to: URL(fileURLWithPath: files[0]))
            // Channel-first models take [N, 1, 28, 28]: for one channel, the same values in the same order.
            XCTAssertEqual(ONNXExport.inputShape(of: model).reduce(1, *), 784, name)
            try batch.withUnsafeBytes { try Data($0).write(to: URL(fileURLWithPath: files[1])) }
            arguments += files
            batches.append(batch)
        }
        let run = Process()
        run.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        run.arguments = ["python3"] + arguments
        run.standardOutput = FileHandle.nullDevice
        try run.run()
        run.waitUntilExit()
        XCTAssertEqual(run.terminationStatus, 0)
        let backend: any Backend = try TestBackends.openCLBackends().first ?? CPUBackend()
        for (index, (name, model)) in models.enumerated() {
            let data = try Data(contentsOf: folder.appendingPathComponent("out\(index).f32"))
            let theirs = data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
            let ours = try model.predict(batches[index], backend: backend)
            XCTAssertEqual(theirs.count, batches[index].count / 784 * model.outputCount, name)
            let worst = zip(ours, theirs).map { abs($0 - $1) }.max() ?? .infinity
            XCTAssertLessThan(worst, 1e-5, "\(name) on \(backend.name): largest difference between Glassbox and ONNX Runtime \(worst)")
        }
    }
}
