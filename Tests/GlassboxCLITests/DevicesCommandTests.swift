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
