@testable import Glassbox
import GlassboxTestSupport
import XCTest

/// Out-of-memory handling, with a debug limit on the bytes an OpenCL backend may allocate.
final class OutOfMemoryTests: XCTestCase {
    func limitedBackend(_ bytes: Int) throws -> OpenCLBackend {
        let shared = try TestBackends.openCL(.cpu)
        return try OpenCLBackend(device: shared.device, variant: .cpu, memoryLimitBytes: bytes)
    }

    func testAllocationPastTheLimitSaysWhatWasAskedAndWhatIsFree() throws {
        let backend = try limitedBackend(1 << 20)
        let kept = try backend.makeTensor(shape: [65_536])   // 256 KiB
        XCTAssertThrowsError(try backend.makeTensor(shape: [262_144])) { error in   // 1 MiB more
            guard case let GlassboxError.deviceOutOfMemory(requested, free, total) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(requested, 1 << 20)
            XCTAssertEqual(total, 1 << 20)
            XCTAssertEqual(free, (1 << 20) - 16 - 262_144)
            XCTAssertTrue("\(error)".contains("asked for 1.0 MB"), "\(error)")
        }
        _ = kept
        XCTAssertNoThrow(try backend.makeTensor(shape: [1000]))
    }

    func testMemoryIsReturnedWhenTensorsGo() throws {
        let backend = try limitedBackend(1 << 20)
        for _ in 0..<20 { _ = try backend.makeTensor(shape: [200_000]) }   // 800 KB each, one at a time
        XCTAssertEqual(backend.memoryInUseBytes, 16)
    }

    /// A prediction batch too large for the device fails with the sizes; a perturbation sweep
    /// instead halves its chunks until they fit, and gives the same numbers.
    func testBatchFailsAndSweepSplits() throws {
        let model = try ExplainFixtures.smallCNN()
        let input = ExplainFixtures.image()
        let backend = try limitedBackend(600_000)
        let session = try InferenceSession(model: model, backend: backend)
        XCTAssertThrowsError(try session.predict([Float](repeating: 0.5, count: 64 * 4096), batchSize: 4096)) { error in
            guard case GlassboxError.deviceOutOfMemory = error else { return XCTFail("\(error)") }
        }
        let segmentation = try Segmentation.grid(4, width: 8, height: 8)
        let zeros = [Float](repeating: 0, count: 64)
        let small = try PerturbationEngine(session: session, input: input, baseline: zeros, segmentation: segmentation, chunkSize: 4096)
        let masks = (0..<UInt64(3000)).map { $0 & 0xFFFF }
        let split = try small.evaluate(masks, target: 1)
        XCTAssertLessThan(small.chunkSize, 4096, "the chunk must have shrunk")
        let roomy = try PerturbationEngine(session: try InferenceSession(model: model, backend: try TestBackends.openCL(.cpu)), input: input,
                                           baseline: zeros, segmentation: segmentation, chunkSize: 4096)
        let whole = try roomy.evaluate(masks, target: 1)
        XCTAssertLessThan(relativeError(split.map(Float.init), whole.map(Float.init)), 1e-6)
    }
}

final class FallbackTests: XCTestCase {
    /// With `auto`, an OpenCL device that fails to open gives the CPU reference and one warning
    /// line; with an explicit `opencl` the failure is the error.
    func testFailedOpenFallsBackOnlyForAuto() throws {
        guard let device = try Device.all().first else { throw XCTSkip("no OpenCL device to fail to open") }
        let failing: (Device) throws -> any Backend = { _ in throw OpenCLError(status: -6, call: "clCreateContext") }
        var warnings: [String] = []
        let backend = try DeviceChoice.auto.makeBackend(warn: { warnings.append($0) }, devices: { [device] }, open: failing)
        XCTAssertTrue(backend is CPUBackend)
        XCTAssertEqual(warnings.count, 1)
        XCTAssertTrue(warnings[0].contains("CL_OUT_OF_HOST_MEMORY") && warnings[0].contains("CPU reference"), warnings[0])
        XCTAssertThrowsError(try DeviceChoice.opencl.makeBackend(warn: { warnings.append($0) }, devices: { [device] }, open: failing)) { error in
            XCTAssertEqual((error as? OpenCLError)?.statusName, "CL_OUT_OF_HOST_MEMORY")
        }
    }
}
