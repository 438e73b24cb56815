@testable import Glassbox
import GlassboxTestSupport
import XCTest

/// A device lost or reset in the middle of work (``OpenCLFaultInjection`` makes PoCL's calls fail
/// as a lost GPU's do): inference, perturbation sweeps and training stop with an `OpenCLError`
/// that names the call and says the device may be lost; nothing traps, and once the device
/// answers again the same backend gives the right numbers.
final class LostDeviceTests: XCTestCase {
    override func setUp() {
        addTeardownBlock { OpenCLFaultInjection.disarm() }
    }

    func assertLostDevice(_ error: Error, call: String, file: StaticString = #filePath, line: UInt = #line) {
        guard let error = error as? OpenCLError else { return XCTFail("\(error) is not an OpenCLError", file: file, line: line) }
        XCTAssertTrue(error.call.hasPrefix(call), error.call, file: file, line: line)
        XCTAssertTrue(error.mayMeanLostDevice, file: file, line: line)
        XCTAssertTrue(error.description.contains("may have been lost or reset"), error.description, file: file, line: line)
    }

    func testInferenceAndSweepsFailWithTheCallThenRecover() throws {
        let backend = try TestBackends.openCL(.cpu)
        let model = try ExplainFixtures.smallCNN()
        let images = (0..<40).flatMap { ExplainFixtures.image(seed: UInt64($0)) }
        let expected = try model.predict(images, batchSize: 8, backend: backend)

        OpenCLFaultInjection.arm(call: "clEnqueueNDRangeKernel", status: -5, after: 7)   // CL_OUT_OF_RESOURCES, mid-batch
        XCTAssertThrowsError(try model.predict(images, batchSize: 8, backend: backend)) { assertLostDevice($0, call: "clEnqueueNDRangeKernel") }

        let session = try InferenceSession(model: model, backend: backend)
        let request = try ExplanationRequest(session: session, input: ExplainFixtures.image(), baseline: [Float](repeating: 0, count: 64),
                                             segmentation: try Segmentation.grid(4, width: 8, height: 8), target: 1)
        OpenCLFaultInjection.arm(call: "clEnqueueReadBuffer", status: -36, after: 2)   // CL_INVALID_COMMAND_QUEUE
        XCTAssertThrowsError(try ExactShapley().explain(request)) { assertLostDevice($0, call: "clEnqueueReadBuffer") }
        OpenCLFaultInjection.arm(call: "clFinish", status: -2)   // CL_DEVICE_NOT_AVAILABLE
        XCTAssertThrowsError(try backend.synchronize()) { assertLostDevice($0, call: "clFinish") }

        OpenCLFaultInjection.disarm()
        XCTAssertEqual(try model.predict(images, batchSize: 8, backend: backend), expected)
        XCTAssertEqual(try ExactShapley().explain(request).values.count, 16)
    }

    func testTrainingStopsWithTheErrorAndKeepsTheModelUsable() throws {
        let backend = try TestBackends.openCL(.cpu)
        var model = try ExplainFixtures.smallCNN()
        try model.compile(optimizer: .adam, seed: 1)
        let x = (0..<32).flatMap { ExplainFixtures.image(seed: UInt64(100 + $0)) }
        let y = (0..<32).map { Float($0 % 3) }
        var epochsFinished = 0
        OpenCLFaultInjection.arm(call: "clEnqueueNDRangeKernel", status: -5, after: 400)
        XCTAssertThrowsError(try model.fit(x: x, y: y, epochs: 50, batchSize: 8, backend: backend,
                                           onEpochEnd: { _, _ in epochsFinished += 1 })) {
            assertLostDevice($0, call: "clEnqueueNDRangeKernel")
        }
        XCTAssertGreaterThan(epochsFinished, 0, "the fault should come after the first epoch")
        XCTAssertLessThan(epochsFinished, 50, "the fault never fired")
        OpenCLFaultInjection.disarm()
        // The fault may have come mid-step, but the parameters stay finite and training can go on.
        let probabilities = try model.predict(x, backend: backend)
        XCTAssertTrue(probabilities.allSatisfy(\.isFinite))
        XCTAssertNoThrow(try model.fit(x: x, y: y, epochs: 1, batchSize: 8, backend: backend))
    }

    /// Faults on buffer creation and program builds fire too (they once bypassed the injection):
    /// a failed allocation is an out-of-memory error, a failed build names the call.
    func testBufferAndBuildFaultsFire() throws {
        let device = try TestBackends.openCL(.cpu).device
        OpenCLFaultInjection.arm(call: "clCreateBuffer", status: -4)   // CL_MEM_OBJECT_ALLOCATION_FAILURE
        XCTAssertThrowsError(try OpenCLBackend(device: device)) { error in
            guard case GlassboxError.deviceOutOfMemory = error else { return XCTFail("\(error)") }
        }
        OpenCLFaultInjection.arm(call: "clBuildProgram", status: -11)   // CL_BUILD_PROGRAM_FAILURE
        let backend = try OpenCLBackend(device: device)
        XCTAssertThrowsError(try backend.relu(try backend.upload([1, -1], shape: [2]), into: try backend.makeTensor(shape: [2]))) { error in
            XCTAssertTrue("\(error)".contains("clBuildProgram") && "\(error)".contains("CL_BUILD_PROGRAM_FAILURE"), "\(error)")
        }
        OpenCLFaultInjection.disarm()
        let y = try backend.makeTensor(shape: [2])
        try backend.relu(try backend.upload([1, -1], shape: [2]), into: y)
        XCTAssertEqual(try backend.download(y), [1, 0])
    }

    /// PoCL's compiler exits the process when a write fails, so a PoCL device is refused, with
    /// the reason, under a small file-size limit or with little room in its cache folder.
    func testPoclIsRefusedWhereItsCompilerCouldNotWrite() {
        let mib: UInt64 = 1 << 20
        XCTAssertNil(PoclEnvironment.problem(fileSizeLimitBytes: nil, freeBytes: 1 << 40, folder: "/c"))
        XCTAssertNil(PoclEnvironment.problem(fileSizeLimitBytes: 16 * mib, freeBytes: nil, folder: "/c"))
        let limit = PoclEnvironment.problem(fileSizeLimitBytes: 1000 * 1024, freeBytes: 1 << 40, folder: "/c")
        XCTAssertTrue(limit?.contains("file-size limit (ulimit -f) is 1000 KiB") == true, limit ?? "nil")
        let full = PoclEnvironment.problem(fileSizeLimitBytes: nil, freeBytes: 2 * mib, folder: "/c")
        XCTAssertTrue(full?.contains("only 2048 KiB are free in /c") == true && full?.contains("POCL_CACHE_DIR") == true, full ?? "nil")
    }

    func testOnlyWorkCallsWithLostDeviceStatusesSuggestALostDevice() {
        XCTAssertFalse(OpenCLError(status: -5, call: "clCreateBuffer").mayMeanLostDevice, "allocation failures are out-of-memory")
        XCTAssertFalse(OpenCLError(status: -11, call: "clEnqueueNDRangeKernel").mayMeanLostDevice)
        XCTAssertTrue(OpenCLError(status: -36, call: "clFinish").mayMeanLostDevice)
    }
}
