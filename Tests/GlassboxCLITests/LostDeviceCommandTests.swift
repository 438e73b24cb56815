import Foundation
import XCTest

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
