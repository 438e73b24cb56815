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

    /// `glassbox devices` says how PoCL's workers are placed: pinned one per CPU when the process
    /// may use every CPU, left alone under `taskset` (pinning would leave the user's set) and when
    /// the user set `POCL_AFFINITY`.
    func testPoclWorkerPlacementFollowsTheAllowedCPUs() throws {
        // Set by the user, not by the Glassbox code of this test process (whose marker children see).
        let environment = ProcessInfo.processInfo.environment
        guard environment["POCL_AFFINITY"] == nil || environment["GLASSBOX_SET_POCL_AFFINITY"] == "1" else {
            throw XCTSkip("POCL_AFFINITY is set for the tests")
        }
        let plain = try run(["devices"])
        XCTAssertEqual(plain.status, 0, plain.transcript)
        guard plain.standardOutput.contains("Portable Computing Language") else { throw XCTSkip("no PoCL device") }
        let status = try String(contentsOfFile: "/proc/self/status", encoding: .utf8)
        let cpus = sysconf(Int32(_SC_NPROCESSORS_CONF))
        if status.contains("Cpus_allowed_list:\t0-\(cpus - 1)\n") || (cpus == 1 && status.contains("Cpus_allowed_list:\t0\n")) {
            XCTAssertTrue(plain.standardOutput.contains("PoCL workers pinned to CPUs 0-\(cpus - 1)"), plain.standardOutput)
        }
        let own = try run(["devices"], environment: ["POCL_AFFINITY": "0"])
        XCTAssertTrue(own.standardOutput.contains("PoCL workers as POCL_AFFINITY=0 says"), own.transcript)
        guard cpus >= 2, FileManager.default.isExecutableFile(atPath: "/usr/bin/taskset") else { return }
        let narrowed = try GlassboxBinary.runShell("/usr/bin/taskset -c 1 '\(GlassboxBinary.url.path)' devices")
        XCTAssertEqual(narrowed.status, 0, narrowed.transcript)
        XCTAssertTrue(narrowed.standardOutput.contains("PoCL workers not pinned: this process may run on 1 of the \(cpus) CPUs"),
                      narrowed.transcript)
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
