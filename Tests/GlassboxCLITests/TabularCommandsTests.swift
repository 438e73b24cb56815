import Foundation
import XCTest

/// `train`, `predict` and `explain` on a CSV table through the built binary (CPU reference):
/// feature names and standardisation travel in the model file, rows are given raw, and every
/// answer names its features.
final class TabularCommandsTests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("glassbox-tabular-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    /// A table whose class is decided by two of five features on very different scales, the
    /// label column in the middle, named by words.
    func writeTable(rows: Int = 160) throws -> URL {
        var lines = ["\"tumour size\",age,outcome,noise,dose,weight"]
        var state: UInt64 = 12345
        func uniform() -> Double {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Double(state >> 11) / Double(1 << 53)
        }
        for _ in 0..<rows {
            let size = uniform() * 40, age = 20 + uniform() * 60, noise = uniform(), dose = uniform() * 1000, weight = 50 + uniform() * 50
            let outcome = size / 40 + (dose / 1000) > 1 ? "relapse" : "remission"
            lines.append(String(format: "%.3f,%.1f,%@,%.4f,%.2f,%.1f", size, age, outcome, noise, dose, weight))
        }
        let url = folder.appendingPathComponent("patients.csv")
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: url)
        return url
    }

    /// `GLASSBOX_PROFILE=1` on OpenCL says how many kernel launches a training step takes.
    func testProfileReportsLaunchesPerTrainingStep() throws {
        let table = try writeTable(rows: 80)
        let result = try GlassboxBinary.run(["train", "--data", table.path, "--label", "outcome", "--epochs", "2", "--batch-size", "16",
                                             "--device", "opencl", "--out", folder.appendingPathComponent("p.safetensors").path],
                                            environment: ["GLASSBOX_PROFILE": "1"])
        if result.status != 0, ProcessInfo.processInfo.environment["GLASSBOX_REQUIRE_OPENCL"] != "1", result.standardError.contains("OpenCL") {
            throw XCTSkip("no OpenCL device: \(result.standardError)")
        }
        XCTAssertEqual(result.status, 0, result.transcript)
        let line = try XCTUnwrap(result.standardError.split(separator: "\n").first { $0.hasPrefix("launches per training step: ") },
                                 result.transcript)
        // 64 training rows in batches of 16, two epochs: 8 steps.
        XCTAssertTrue(line.hasSuffix(" over 8 steps)"), String(line))
        let perStep = try XCTUnwrap(Double(line.dropFirst(28).prefix { $0 != " " }))
        XCTAssertGreaterThan(perStep, 5, "a forward pass, a backward pass and Adam on four tensors take more than 5 launches")
    }

    /// Under `auto`, predicting a few rows runs on the CPU reference (no device start-up: the
    /// profile of OpenCL launches stays empty); `--device opencl` still runs on the device.
    func testAutoPredictsAFewSamplesOnTheCPUReference() throws {
        let table = try writeTable(rows: 40), model = folder.appendingPathComponent("a.safetensors")
        XCTAssertEqual(try GlassboxBinary.run(["train", "--data", table.path, "--label", "outcome", "--epochs", "1", "--device", "cpu",
                                               "--out", model.path]).status, 0)
        let few = try GlassboxBinary.run(["predict", "--model", model.path, "--data", table.path, "--row", "0", "--count", "3"],
                                         environment: ["GLASSBOX_PROFILE": "1"])
        XCTAssertEqual(few.status, 0, few.transcript)
        XCTAssertFalse(few.standardError.contains("launches"), few.transcript)
        let onDevice = try GlassboxBinary.run(["predict", "--model", model.path, "--data", table.path, "--row", "0", "--count", "3",
                                               "--device", "opencl"], environment: ["GLASSBOX_PROFILE": "1"])
        if onDevice.status != 0, ProcessInfo.processInfo.environment["GLASSBOX_REQUIRE_OPENCL"] != "1" { return }
        XCTAssertEqual(onDevice.status, 0, onDevice.transcript)
        XCTAssertTrue(onDevice.standardError.contains("launches"), onDevice.transcript)
        XCTAssertEqual(onDevice.standardOutput, few.standardOutput)
    }

    func testTrainPredictAndExplainARawTable() throws {
        let table = try writeTable(), model = folder.appendingPathComponent("m.safetensors")
        let train = try GlassboxBinary.run(["train", "--data", table.path, "--label", "outcome", "--epochs", "40", "--test-split", "0.25",
                                            "--device", "cpu", "--out", model.path])
        XCTAssertEqual(train.status, 0, train.transcript)
        XCTAssertTrue(train.standardOutput.contains("120 training and 40 test rows of 5 features"), train.transcript)
        let accuracy = try XCTUnwrap(train.standardOutput.split(separator: "\n").first { $0.hasPrefix("test accuracy: ") })
        XCTAssertGreaterThan(Double(accuracy.dropFirst(15).prefix(6)) ?? 0, 0.8, train.transcript)
        let tabular = try XCTUnwrap(ModelCommandsTests.metadata(of: model)["tabular"])
        let schema = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(tabular.utf8)) as? [String: Any])
        XCTAssertEqual(schema["feature_names"] as? [String], ["tumour size", "age", "noise", "dose", "weight"])
        XCTAssertEqual(schema["label"] as? String, "outcome")
        let means = try XCTUnwrap(schema["mean"] as? [Double])
        XCTAssertGreaterThan(means[3], 300)   // dose: raw values, standardised inside

        let predict = try GlassboxBinary.run(["predict", "--model", model.path, "--data", table.path, "--row", "3", "--count", "2",
                                              "--format", "json", "--device", "cpu"])
        XCTAssertEqual(predict.status, 0, predict.transcript)
        let predicted = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(predict.standardOutput.utf8)) as? [[String: Any]])
        XCTAssertEqual(predicted.map { $0["row"] as? Int }, [3, 4])
        XCTAssertEqual((predicted[0]["probabilities"] as? [Double])?.reduce(0, +) ?? 0, 1, accuracy: 1e-5)

        let explain = try GlassboxBinary.run(["explain", "--model", model.path, "--data", table.path, "--row", "3", "--method", "exact,kernel,lime,deep",
                                              "--background", "30", "--format", "json", "--device", "cpu", "--png", folder.appendingPathComponent("row.png").path])
        XCTAssertEqual(explain.status, 0, explain.transcript)
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(explain.standardOutput.utf8)) as? [String: Any])
        XCTAssertEqual(object["features"] as? [String], ["tumour size", "age", "noise", "dose", "weight"])
        XCTAssertEqual(object["background_rows"] as? Int, 30)
        let methods = try XCTUnwrap(object["methods"] as? [[String: Any]])
        let exact = try XCTUnwrap(methods.first { $0["method"] as? String == "exact" })
        let values = try XCTUnwrap(exact["values"] as? [Double])
        XCTAssertEqual(values.count, 5)
        XCTAssertEqual(exact["efficiency_gap"] as? Double ?? 1, 0, accuracy: 1e-6)
        // The label depends on size and dose only: they carry most of the attribution.
        let byMagnitude = values.indices.sorted { abs(values[$0]) > abs(values[$1]) }
        XCTAssertEqual(Set(byMagnitude.prefix(2)), [0, 3], "\(values)")
        let lime = try XCTUnwrap(methods.first { $0["method"] as? String == "lime" })
        let rules = try XCTUnwrap(lime["rules"] as? [String])
        XCTAssertEqual(rules.count, 5)
        XCTAssertTrue(rules[3].contains("dose"), "\(rules)")
        XCTAssertTrue(rules.allSatisfy { $0.contains("<") || $0.contains(">") }, "\(rules)")
        XCTAssertTrue(FileManager.default.fileExists(atPath: folder.appendingPathComponent("row.png").path))

        let text = try GlassboxBinary.run(["explain", "--model", model.path, "--data", table.path, "--row", "3", "--method", "permutation",
                                           "--num-features", "2", "--device", "cpu"])
        XCTAssertEqual(text.status, 0, text.transcript)
        let lines = text.standardOutput.split(separator: "\n")
        XCTAssertEqual(lines.filter { $0.hasPrefix("    ") }.count, 2, text.transcript)   // the top 2 features only
        XCTAssertTrue(text.standardOutput.contains("dose = "), text.transcript)

        let global = try GlassboxBinary.run(["explain", "--model", model.path, "--data", table.path, "--global", "--count", "12", "--method", "kernel",
                                             "--background", "20", "--device", "cpu", "--png", folder.appendingPathComponent("g.png").path,
                                             "--report", folder.appendingPathComponent("g.html").path])
        XCTAssertEqual(global.status, 0, global.transcript)
        XCTAssertTrue(global.standardOutput.contains("kernel over 12 rows"), global.transcript)
        let html = try String(contentsOf: folder.appendingPathComponent("g.html"), encoding: .utf8)
        XCTAssertTrue(html.contains("tumour size") && html.contains("<svg"), html)
        let png = try Data(contentsOf: folder.appendingPathComponent("g-summary.png"))
        XCTAssertEqual(Array(png.prefix(4)), [0x89, 0x50, 0x4E, 0x47])

        // A regression tree of p(remission) splits on the columns that decide it, in the file's units.
        let tree = try GlassboxBinary.run(["surrogate", "--model", model.path, "--data", table.path, "--regression", "--max-depth", "2",
                                           "--min-leaf", "3", "--device", "cpu"])
        XCTAssertEqual(tree.status, 0, tree.transcript)
        XCTAssertTrue(tree.standardOutput.contains("imitates p(remission)"), tree.transcript)
        XCTAssertTrue(tree.standardOutput.contains("R^2 of the probability"), tree.transcript)
        let firstSplit = try XCTUnwrap(tree.standardOutput.split(separator: "\n").first { $0.hasPrefix("if ") })
        XCTAssertTrue(firstSplit.hasPrefix("if tumour size <= ") || firstSplit.hasPrefix("if dose <= "), tree.transcript)
        if firstSplit.hasPrefix("if dose <= "), let threshold = Double(firstSplit.dropFirst(11).dropLast()) {
            XCTAssertGreaterThan(threshold, 10, "the threshold is in the file's units (dose 0 to 1,000), not standardised")
        }

        // Bad input names what is wrong.
        let far = try GlassboxBinary.run(["explain", "--model", model.path, "--data", table.path, "--row", "500", "--device", "cpu"])
        XCTAssertNotEqual(far.status, 0)
        XCTAssertTrue(far.standardError.contains("row"), far.transcript)
        let other = folder.appendingPathComponent("other.csv")
        try Data("age,noise,dose,weight\n1,2,3,4\n".utf8).write(to: other)
        let missing = try GlassboxBinary.run(["predict", "--model", model.path, "--data", other.path, "--row", "0", "--device", "cpu"])
        XCTAssertNotEqual(missing.status, 0)
        XCTAssertTrue(missing.standardError.contains("no column 'tumour size'"), missing.transcript)
        let image = try GlassboxBinary.run(["explain", "--model", model.path, "--data", table.path, "--row", "1", "--method", "occlusion"])
        XCTAssertNotEqual(image.status, 0)
        XCTAssertTrue(image.standardError.contains("does not explain tables"), image.transcript)
    }
}
