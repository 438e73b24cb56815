import Foundation
import Glassbox
import GlassboxTestSupport
import XCTest

final class DeviceChoiceTests: XCTestCase {
    func testParsing() throws {
        XCTAssertEqual(try DeviceChoice(parsing: "auto"), .auto)
        XCTAssertEqual(try DeviceChoice(parsing: "CPU"), .cpu)
        XCTAssertEqual(try DeviceChoice(parsing: "opencl"), .opencl)
        XCTAssertEqual(try DeviceChoice(parsing: "opencl:2"), .openclIndex(2))
        XCTAssertEqual(try DeviceChoice(parsing: "H100"), .nameContaining("H100"))
        XCTAssertThrowsError(try DeviceChoice(parsing: "opencl:x"))
        XCTAssertThrowsError(try DeviceChoice(parsing: ""))
        XCTAssertEqual(try DeviceChoice.fromEnvironment([:]), .auto)
        XCTAssertEqual(try DeviceChoice.fromEnvironment(["GLASSBOX_DEVICE": "cpu"]), .cpu)
    }

    /// With no OpenCL device at all, `auto` resolves to the CPU reference with a reason, and every
    /// explicit OpenCL choice throws.
    func testNoDevicesFallsBackForAutoOnly() throws {
        let none: () throws -> [Device] = { [] }
        let auto = try DeviceChoice.auto.resolve(devices: none)
        XCTAssertNil(auto.device)
        XCTAssertNotNil(auto.fallbackReason)
        XCTAssertNil(try DeviceChoice.cpu.resolve(devices: none).device)
        for choice: DeviceChoice in [.opencl, .openclIndex(0), .nameContaining("pthread")] {
            XCTAssertThrowsError(try choice.resolve(devices: none)) { error in
                guard case GlassboxError.deviceUnavailable = error else { return XCTFail("\(choice): \(error)") }
            }
        }
    }

    /// Under `.ci/run`'s no-platform pass (`OCL_ICD_VENDORS` pointing to an empty folder and
    /// `GLASSBOX_EXPECT_NO_OPENCL=1`) the real ICD loader finds nothing: `auto` must give the CPU
    /// reference with one line on stderr, and `opencl` must fail clearly.
    func testRealEnvironmentWithoutPlatform() throws {
        guard ProcessInfo.processInfo.environment["GLASSBOX_EXPECT_NO_OPENCL"] == "1" else {
            throw XCTSkip("runs in the no-platform pass of .ci/run (GLASSBOX_EXPECT_NO_OPENCL=1)")
        }
        XCTAssertEqual(try Device.all().count, 0)
        var warnings: [String] = []
        let backend = try DeviceChoice.auto.makeBackend { warnings.append($0) }
        XCTAssertTrue(backend is CPUBackend)
        XCTAssertEqual(warnings.count, 1)
        XCTAssertTrue(warnings.first?.contains("CPU reference") == true, "\(warnings)")
        XCTAssertThrowsError(try DeviceChoice.opencl.makeBackend { warnings.append($0) }) { error in
            XCTAssertTrue("\(error)".contains("no OpenCL platform"), "\(error)")
        }
    }

    func testAutoPrefersOpenCLWhenPresent() throws {
        guard let device = try Device.all().first else {
            if TestBackends.openCLRequired { return XCTFail("GLASSBOX_REQUIRE_OPENCL=1 but no OpenCL device") }
            throw XCTSkip("no OpenCL device")
        }
        let selection = try DeviceChoice.auto.resolve()
        XCTAssertNotNil(selection.device)
        XCTAssertNil(selection.fallbackReason)
        XCTAssertEqual(try DeviceChoice.openclIndex(0).resolve().device?.name, device.name)
        XCTAssertEqual(try DeviceChoice.nameContaining(String(device.name.prefix(6)).uppercased()).resolve().device?.name, device.name)
        XCTAssertThrowsError(try DeviceChoice.openclIndex(99).resolve())
    }

    /// `GLASSBOX_MAX_DEVICE_BYTES` is a whole number of bytes in range, or an error naming it:
    /// never ignored, never a negative limit ("-0.0 MB").
    func testDeviceMemoryLimitVariableIsCheckedWhateverTheChoice() throws {
        XCTAssertNil(try OpenCLBackend.memoryLimitFromEnvironment([:]))
        XCTAssertEqual(try OpenCLBackend.memoryLimitFromEnvironment(["GLASSBOX_MAX_DEVICE_BYTES": "65536"]), 65536)
        for bad in ["lots", "-5", "0", "1e9", "", "99999999999999999999"] {
            XCTAssertThrowsError(try OpenCLBackend.memoryLimitFromEnvironment(["GLASSBOX_MAX_DEVICE_BYTES": bad])) { error in
                XCTAssertTrue("\(error)".contains("GLASSBOX_MAX_DEVICE_BYTES") && "\(error)".contains("'\(bad)'"), "\(error)")
            }
        }
    }
}

extension DeviceChoiceTests {
    /// Under mpirun, rank r of a node takes device r mod count for `auto` and `opencl`; explicit
    /// choices are kept. Checked on a list holding the real devices twice.
    func testRanksOfANodeSpreadOverItsDevices() throws {
        let found = try Device.all()
        guard !found.isEmpty else {
            if TestBackends.openCLRequired { return XCTFail("GLASSBOX_REQUIRE_OPENCL=1 but no OpenCL device") }
            throw XCTSkip("no OpenCL device")
        }
        let doubled = found + found
        let gpus = doubled.indices.filter { doubled[$0].isGPU }
        let candidates = gpus.isEmpty ? Array(doubled.indices) : gpus
        for rank in 0..<5 {
            XCTAssertEqual(try DeviceChoice.auto.resolve(devices: { doubled }, rankOnNode: rank).deviceIndex, candidates[rank % candidates.count])
            XCTAssertEqual(try DeviceChoice.opencl.resolve(devices: { doubled }, rankOnNode: rank).deviceIndex, rank % doubled.count)
            XCTAssertEqual(try DeviceChoice.openclIndex(1).resolve(devices: { doubled }, rankOnNode: rank).deviceIndex, 1)
        }
        XCTAssertNil(try DeviceChoice.cpu.resolve(devices: { doubled }, rankOnNode: 3).device)
    }
}
