import Foundation
import Glassbox
import XCTest

/// What the hostile pass of issue 11 found that is not an error but a behaviour: a symlinked
/// `--out` replaces its target, a second writer is turned away, class counts that disagree are
/// explained, linear outputs are called scores, and gradient-shap says what its values add up to.
final class HostileInputBehaviourTests: TrainedModelTestCase {
    func testTrainWritesThroughASymlinkAndTurnsAwayASecondWriter() throws {
        let trained = try trainedModel()
        let folder = try temporaryFolder()
        let target = folder.appendingPathComponent("real.safetensors")
        try Data("old".utf8).write(to: target)
        let link = folder.appendingPathComponent("link.safetensors")
        XCTAssertEqual(symlink("real.safetensors", link.path), 0)
        let result = try GlassboxBinary.run(["train", "--data", trained.data.path, "--epochs", "1", "--batch-size", "16",
                                             "--out", link.path, "--device", "cpu"])
        XCTAssertEqual(result.status, 0, result.transcript)
        var info = stat()
        XCTAssertEqual(lstat(link.path, &info), 0)
        XCTAssertEqual(info.st_mode & S_IFMT, S_IFLNK, "the link is still a link")
        XCTAssertNoThrow(try Sequential.load(from: target), "the target holds the model")

        // Another process holds the lock on the same file (the lock file's name is part of the
        // contract: `.<name>.lock` beside the target).
        let lock = try WriterLock(for: link.path)
        defer { lock.release() }
        XCTAssertEqual(lock.path, folder.appendingPathComponent(".real.safetensors.lock").path)
        let before = try Data(contentsOf: target)
        let second = try GlassboxBinary.run(["train", "--data", trained.data.path, "--epochs", "1", "--out", target.path, "--device", "cpu"])
        assertFails(second, naming: ["another glassbox process is writing this file"])
        XCTAssertEqual(try Data(contentsOf: target), before)
    }

    /// A model whose class names are fewer than its outputs, and data whose labels exceed the
    /// model's classes: explain names what it can and numbers the rest, as predict does.
    func testExplainHandlesClassCountsThatDisagree() throws {
        let trained = try trainedModel()
        let folder = try temporaryFolder()
        var model = try Sequential.load(from: trained.model)
        model.classNames = ["a", "b", "c"]
        let fewNames = folder.appendingPathComponent("few-names.safetensors")
        try model.save(to: fewNames)
        let fiveClasses = folder.appendingPathComponent("five.safetensors")
        try Sequential.referenceCNN(classes: 5, seed: 3).save(to: fiveClasses)
        // Test images 2 and 6 have labels 5 and 9: past the three names, and past the five classes.
        for (file, index, label) in [(fewNames, "2", "5"), (fiveClasses, "6", "9")] {
            let result = try GlassboxBinary.run(["explain", "--model", file.path, "--data", trained.data.path, "--index", index,
                                                 "--method", "exact", "--segments", "grid:1", "--device", "cpu"])
            XCTAssertEqual(result.status, 0, result.transcript)
            XCTAssertTrue(result.standardOutput.contains("test image \(index): predicted "), result.transcript)
            XCTAssertTrue(result.standardOutput.contains("label class \(label)"), result.transcript)
        }
    }

    /// A PoCL cache folder that cannot be made (its parent is a regular file) does not stop an
    /// OpenCL run: Glassbox points PoCL at a fresh temporary folder instead.
    func testAnUnwritablePoclCacheFallsBackToATemporaryOne() throws {
        guard ProcessInfo.processInfo.environment["GLASSBOX_EXPECT_NO_OPENCL"] != "1", (try? Device.all().isEmpty) == false else {
            throw XCTSkip("needs an OpenCL platform")
        }
        let trained = try trainedModel()
        let blocker = try temporaryFolder().appendingPathComponent("a-file")
        try Data("x".utf8).write(to: blocker)
        let result = try GlassboxBinary.run(["predict", "--model", trained.model.path, "--data", trained.data.path, "--index", "0",
                                             "--device", "opencl"], environment: ["POCL_CACHE_DIR": blocker.path + "/pocl"])
        XCTAssertEqual(result.status, 0, result.transcript)
        XCTAssertTrue(result.standardOutput.contains("test image 0: predicted"), result.transcript)
    }

    func testALinearLastLayerPrintsScoresNotProbabilities() throws {
        let trained = try trainedModel()
        let file = try temporaryFolder().appendingPathComponent("linear.safetensors")
        try Sequential(inputShape: [28, 28, 1], seed: 2, layers: [Flatten(), try Dense(units: 10)]).save(to: file)
        let text = try GlassboxBinary.run(["predict", "--model", file.path, "--data", trained.data.path, "--index", "0", "--device", "cpu"])
        XCTAssertEqual(text.status, 0, text.transcript)
        XCTAssertTrue(text.standardOutput.contains("scores (the last layer is linear: logits, not probabilities)"), text.transcript)
        let json = try GlassboxBinary.run(["predict", "--model", file.path, "--data", trained.data.path, "--index", "0",
                                           "--format", "json", "--device", "cpu"])
        let rows = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(json.standardOutput.utf8)) as? [[String: Any]], json.transcript)
        XCTAssertEqual(Set(rows[0].keys), ["index", "label", "output", "output_shape", "predicted", "scores"])
        let softmax = try GlassboxBinary.run(["predict", "--model", trained.model.path, "--data", trained.data.path, "--index", "0", "--device", "cpu"])
        XCTAssertTrue(softmax.standardOutput.contains("  probabilities:"), softmax.transcript)
    }

    /// The JSON names gradient-shap's noise and the output its values add up to; `--noise 0`
    /// gives expected gradients, whose values add up to f(x) - base.
    func testGradientShapReportsItsNoiseAndWhatItSumsTo() throws {
        let trained = try trainedModel()
        func method(_ extra: [String]) throws -> [String: Any] {
            let result = try GlassboxBinary.run(["explain", "--model", trained.model.path, "--data", trained.data.path, "--index", "0",
                                                 "--method", "gradient-shap", "--segments", "grid:1", "--samples", "4",
                                                 "--format", "json", "--device", "cpu"] + extra)
            XCTAssertEqual(result.status, 0, result.transcript)
            let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [String: Any])
            return try XCTUnwrap((object["methods"] as? [[String: Any]])?.first)
        }
        for (extra, noise) in [(["--noise", "0.3"], 0.3)] {
            let object = try method(extra)
            let metrics = try XCTUnwrap(object["metrics"] as? [String: Double])
            XCTAssertEqual(metrics["noise"], noise)
            let summed = try XCTUnwrap(object["summed_prediction"] as? Double)
            let values = try XCTUnwrap(object["values"] as? [Double])
            let base = try XCTUnwrap(object["base_value"] as? Double)
            XCTAssertEqual(try XCTUnwrap(object["efficiency_gap"] as? Double), values.reduce(0, +) - (summed - base), accuracy: 1e-9)
        }
        let plain = try method(["--noise", "0"])
        XCTAssertEqual(plain["summed_prediction"] as? Double, plain["prediction"] as? Double, "without noise: f(x)")
        XCTAssertEqual((plain["metrics"] as? [String: Double])?["noise"], 0)
    }
}
