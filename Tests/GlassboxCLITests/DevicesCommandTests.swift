import Foundation
import XCTest

/// Runs the built `glassbox` binary as a user would, with and without an OpenCL platform.
final class DevicesCommandTests: XCTestCase {
    func run(_ arguments: [String], environment extra: [String: String] = [:]) throws -> GlassboxBinary.Result {
        try GlassboxBinary.run(arguments, environment: extra)
    }

    func emptyVendorFolder() throws -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("glassbox-no-icd-\(getpid())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder.path
    }

    func testNoPlatformFallsBackToCPUWithOneLine() throws {
        let result = try run(["devices"], environment: ["OCL_ICD_VENDORS": try emptyVendorFolder()])
        XCTAssertEqual(result.status, 0, result.standardError)
        XCTAssertTrue(result.standardOutput.contains("* cpu"), result.standardOutput)
        XCTAssertTrue(result.standardOutput.contains("no OpenCL platform or device found"), result.standardOutput)
        let lines = result.standardError.split(separator: "\n")
        XCTAssertEqual(lines.count, 1, result.standardError)
        XCTAssertTrue(lines.first?.contains("using the CPU reference backend") == true, result.standardError)
    }

    func testExplicitOpenCLWithoutPlatformFails() throws {
        let result = try run(["devices", "--device", "opencl"], environment: ["OCL_ICD_VENDORS": try emptyVendorFolder()])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.standardError.contains("no OpenCL platform"), result.standardError)
    }

    func testBadDeviceChoiceNamesTheFlag() throws {
        let result = try run(["devices", "--device", "opencl:zero"])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.standardError.contains("opencl:zero") && result.standardError.contains("--device"), result.standardError)
    }

    func testListsDevicesAndMarksOne() throws {
        let result = try run(["devices"])
        XCTAssertEqual(result.status, 0, result.standardError)
        XCTAssertEqual(result.standardOutput.split(separator: "\n").filter { $0.hasPrefix("*") }.count, 1, result.standardOutput)
        if ProcessInfo.processInfo.environment["GLASSBOX_REQUIRE_OPENCL"] == "1" {
            XCTAssertTrue(result.standardOutput.contains("* opencl:0"), result.standardOutput)
            for field in ["platform:", "type:", "compute units:", "global memory:", "local memory:", "OpenCL C:"] {
                XCTAssertTrue(result.standardOutput.contains(field), "missing \(field)")
            }
        }
    }
}

/// A device lost in the middle of a command (`GLASSBOX_OPENCL_FAULT`, see `OpenCLFaultInjection`):
/// a clear error and a non-zero exit, and the model file that was there survives.
final class LostDeviceCommandTests: XCTestCase {
    func skipWithoutOpenCL() throws {
        if ProcessInfo.processInfo.environment["GLASSBOX_EXPECT_NO_OPENCL"] == "1" { throw XCTSkip("no OpenCL platform in this pass") }
    }

    func testPredictAndTrainFailClearlyAndKeepTheModel() throws {
        try skipWithoutOpenCL()
        let trained = try TrainedModel.make()
        defer { try? FileManager.default.removeItem(at: trained.folder) }
        XCTAssertEqual(trained.result.status, 0, trained.result.transcript)
        let before = try Data(contentsOf: trained.model)

        let lost = ["GLASSBOX_OPENCL_FAULT": "clEnqueueNDRangeKernel:-36:3"]
        let predict = try GlassboxBinary.run(["predict", "--model", trained.model.path, "--data", trained.data.path, "--index", "0",
                                              "--count", "4", "--device", "opencl"], environment: lost)
        assertFails(predict, naming: ["clEnqueueNDRangeKernel", "CL_INVALID_COMMAND_QUEUE", "may have been lost or reset"])

        let train = try GlassboxBinary.run(["train", "--data", trained.data.path, "--epochs", "2", "--batch-size", "16",
                                            "--out", trained.model.path, "--device", "opencl"], environment: lost)
        assertFails(train, naming: ["clEnqueueNDRangeKernel", "CL_INVALID_COMMAND_QUEUE"])
        XCTAssertEqual(try Data(contentsOf: trained.model), before, "the model file must survive a lost device")

        let bad = try GlassboxBinary.run(["devices"], environment: ["GLASSBOX_OPENCL_FAULT": "nonsense"])
        XCTAssertEqual(bad.status, 0, bad.transcript)
        XCTAssertTrue(bad.standardError.contains("ignoring GLASSBOX_OPENCL_FAULT=nonsense"), bad.transcript)
    }
}
