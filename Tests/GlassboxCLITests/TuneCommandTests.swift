import Foundation
import XCTest

/// `glassbox tune` and the tuning line of `glassbox devices`, run as a user would.
final class TuneCommandTests: XCTestCase {
    func cacheFile(_ name: String) throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("glassbox-tune-cli-\(getpid())-\(name)")
        try? FileManager.default.removeItem(at: folder)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder.appendingPathComponent("tuning.json")
    }

    var openCLRequired: Bool { ProcessInfo.processInfo.environment["GLASSBOX_REQUIRE_OPENCL"] == "1" }

    func testCPUReferenceAndNoCacheLocationAreRefused() throws {
        let cpu = try GlassboxBinary.run(["tune", "--device", "cpu"])
        XCTAssertNotEqual(cpu.status, 0)
        XCTAssertTrue(cpu.standardError.contains("no kernels to tune"), cpu.transcript)
        let nowhere = try GlassboxBinary.run(["tune", "--quick"], environment: ["GLASSBOX_TUNING_CACHE": "none"])
        XCTAssertNotEqual(nowhere.status, 0)
        XCTAssertTrue(nowhere.standardError.contains("nowhere to keep") || nowhere.standardError.contains("no OpenCL device"), nowhere.transcript)
        let badBatch = try GlassboxBinary.run(["tune", "--batch-size", "0"])
        XCTAssertNotEqual(badBatch.status, 0)
        XCTAssertTrue(badBatch.standardError.contains("--batch-size"), badBatch.transcript)
    }

    func testDevicesNamesADamagedCacheAndKeepsTheDefaults() throws {
        guard openCLRequired else { throw XCTSkip("needs an OpenCL device (GLASSBOX_REQUIRE_OPENCL=1)") }
        let url = try cacheFile("damaged")
        try Data("not json".utf8).write(to: url)
        let result = try GlassboxBinary.run(["devices"], environment: ["GLASSBOX_TUNING_CACHE": url.path])
        XCTAssertEqual(result.status, 0, result.transcript)
        XCTAssertTrue(result.standardOutput.contains("kernels:         defaults (") && result.standardOutput.contains(url.path),
                      result.standardOutput)
    }

    /// A quick search on a small model writes the cache; `devices` then says the device is tuned.
    func testQuickTuneWritesTheCacheThatDevicesReports() throws {
        guard openCLRequired else { throw XCTSkip("needs an OpenCL device (GLASSBOX_REQUIRE_OPENCL=1)") }
        let url = try cacheFile("tune")
        let model = url.deletingLastPathComponent().appendingPathComponent("mlp.safetensors")
        let architecture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("examples/mlp.json")
        let made = try GlassboxBinary.run(["init", "--architecture", architecture.path, "--out", model.path])
        XCTAssertEqual(made.status, 0, made.transcript)
        let environment = ["GLASSBOX_TUNING_CACHE": url.path]
        let before = try GlassboxBinary.run(["devices"], environment: environment)
        XCTAssertTrue(before.standardOutput.contains("kernels:         defaults (not tuned"), before.standardOutput)
        try Data("{\"format\": \"glassbox-tuning\", \"entries\": []}".utf8).write(to: url)
        let tuned = try GlassboxBinary.run(["tune", "--quick", "--model", model.path], environment: environment)
        XCTAssertEqual(tuned.status, 0, tuned.transcript)
        for group in ["gemm ", "gemm_nt", "dense_backward", "perturbation", "segment_table", "elementwise"] {
            XCTAssertTrue(tuned.standardOutput.contains("\n" + group), "no \(group) line:\n\(tuned.standardOutput)")
        }
        XCTAssertTrue(tuned.standardOutput.contains("saved to \(url.path)"), tuned.standardOutput)
        let cache = try JSONSerialization.jsonObject(with: try Data(contentsOf: url)) as? [String: Any]
        let entries = cache?["entries"] as? [[String: Any]]
        XCTAssertEqual(entries?.count, 1)
        XCTAssertEqual(entries?.first?["quick"] as? Bool, true)
        let after = try GlassboxBinary.run(["devices"], environment: environment)
        XCTAssertTrue(after.standardOutput.contains("kernels:         tuned ") && after.standardOutput.contains("(--quick) from \(url.path)"),
                      after.standardOutput)
    }
}
