@testable import Glassbox
import COpenCL
import Foundation
import GlassboxTestSupport
import XCTest

/// The OpenCL host layer: owned handles, typed errors, program caching.
final class HostLayerTests: XCTestCase {
    /// PoCL's workers are pinned only when pinning worker i to CPU i stays inside the CPUs the
    /// process may use; the CPU lists of `/proc/self/status` parse, and odd ones are refused.
    func testPoclWorkersArePinnedOnlyWithinTheAllowedCPUs() throws {
        XCTAssertEqual(PoclWorkerAffinity.parseCPUList("0-3,6,8-9"), [0, 1, 2, 3, 6, 8, 9])
        XCTAssertEqual(PoclWorkerAffinity.parseCPUList("5"), [5])
        for bad in ["", "3-1", "a", "1-2-3", "0,,2", "-1", "0-"] {
            XCTAssertNil(PoclWorkerAffinity.parseCPUList(bad), bad)
        }
        XCTAssertTrue(PoclWorkerAffinity.mayPin(allowed: [0, 1], cpuCount: 2))
        XCTAssertTrue(PoclWorkerAffinity.mayPin(allowed: [0, 1, 2, 3], cpuCount: 2))
        XCTAssertFalse(PoclWorkerAffinity.mayPin(allowed: [1], cpuCount: 2), "taskset -c 1: worker 0 would leave the set")
        XCTAssertFalse(PoclWorkerAffinity.mayPin(allowed: [0, 2], cpuCount: 3))
        XCTAssertFalse(PoclWorkerAffinity.mayPin(allowed: [], cpuCount: 0))

        // This process: the decision matches its own affinity mask and environment.
        let allowed = try XCTUnwrap(PoclWorkerAffinity.allowedCPUs(), "Cpus_allowed_list unreadable")
        XCTAssertFalse(allowed.isEmpty)
        switch PoclEnvironment.workerAffinity {
        case .userSetting(let value):
            XCTAssertEqual(getenv("POCL_AFFINITY").map { String(cString: $0) }, value, "a user's setting is never replaced")
        case .pinned(let cpus):
            XCTAssertTrue(PoclWorkerAffinity.mayPin(allowed: allowed, cpuCount: cpus))
            XCTAssertEqual(getenv("POCL_AFFINITY").map { String(cString: $0) }, "1")
            XCTAssertEqual(getenv(PoclWorkerAffinity.marker).map { String(cString: $0) }, "1")
        case .restricted(let count, let cpus):
            XCTAssertEqual(count, allowed.count)
            XCTAssertFalse(PoclWorkerAffinity.mayPin(allowed: allowed, cpuCount: cpus))
        }
    }

    func testTenThousandBufferCyclesLeakNothing() throws {
        let backend = try TestBackends.openCL(.cpu)
        func contextReferences() throws -> cl_uint {
            var count: cl_uint = 0
            try checkCL(clGetContextInfo(backend.context.handle, cl_context_info(CL_CONTEXT_REFERENCE_COUNT),
                                         MemoryLayout<cl_uint>.size, &count, nil), "clGetContextInfo")
            return count
        }
        let shape: Shape = [262_144]   // 1 MiB per buffer: 10,000 leaked buffers would be 10 GiB
        try backend.fill(try backend.makeTensor(shape: shape), with: 1)
        try backend.synchronize()
        let referencesBefore = try contextReferences()
        let residentBefore = residentBytes()
        weak var lastBuffer: Buffer?
        for cycle in 0..<10_000 {
            let tensor = try backend.makeTensor(shape: shape)
            if cycle % 100 == 0 { try backend.fill(tensor, with: Float(cycle)) }   // touch the memory
            lastBuffer = (tensor.storage as! DeviceStorage).buffer
        }
        try backend.synchronize()
        XCTAssertNil(lastBuffer, "a buffer outlived its tensor")
        // PoCL drops a finished command's hold on the context from its own thread, a moment after
        // clFinish (seen under AddressSanitizer: one reference left); 10,000 leaked buffers would
        // be 10,000 references, so give it up to two seconds to settle.
        var references = try contextReferences()
        for _ in 0..<200 where references != referencesBefore {
            usleep(10_000)
            references = try contextReferences()
        }
        XCTAssertEqual(references, referencesBefore, "cl_mem objects still hold the context")
        let growth = residentBytes() - residentBefore
        XCTAssertLessThan(growth, 256 << 20, "resident memory grew by \(growth >> 20) MiB over 10,000 create/free cycles")
    }

    func testFailedBuildThrowsWithBuildLog() throws {
        let backend = try TestBackends.openCL(.cpu)
        let source = "__kernel void broken(__global float* x) { x[0] = undeclared_identifier; }"
        XCTAssertThrowsError(try backend.buildProgram(source: source, name: "broken.cl")) { error in
            guard let error = error as? OpenCLError else { return XCTFail("expected OpenCLError, got \(error)") }
            XCTAssertEqual(error.statusName, "CL_BUILD_PROGRAM_FAILURE")
            XCTAssertTrue(error.call.hasPrefix("clBuildProgram(broken.cl"), error.call)
            XCTAssertTrue(error.buildLog?.contains("undeclared_identifier") == true, "log: \(error.buildLog ?? "nil")")
            XCTAssertTrue(error.description.contains("undeclared_identifier"))
        }
    }

    func testStatusNamesAndUnknownKernel() throws {
        XCTAssertEqual(OpenCLError(status: -54, call: "clEnqueueNDRangeKernel").description,
                       "OpenCL error: clEnqueueNDRangeKernel failed: CL_INVALID_WORK_GROUP_SIZE (-54)")
        XCTAssertEqual(OpenCLError(status: -5, call: "clEnqueueNDRangeKernel").description,
                       "OpenCL error: clEnqueueNDRangeKernel failed: CL_OUT_OF_RESOURCES (-5); the device may have been lost or reset, "
                       + "and the work in flight with it (run again, or with --device cpu)")
        XCTAssertEqual(OpenCLError(status: -1001, call: "clGetPlatformIDs").statusName, "CL_PLATFORM_NOT_FOUND_KHR")
        let backend = try TestBackends.openCL(.cpu)
        XCTAssertThrowsError(try backend.kernel("no_such_kernel", file: "elementwise")) { error in
            XCTAssertEqual((error as? OpenCLError)?.statusName, "CL_INVALID_KERNEL_NAME", "\(error)")
        }
    }

    func testProgramsAndKernelsAreBuiltOnce() throws {
        let backend = try TestBackends.openCL(.cpu)
        let first = try backend.kernel("relu_forward", file: "elementwise")
        XCTAssertTrue(first === (try backend.kernel("relu_forward", file: "elementwise")))
        XCTAssertTrue(first.program === (try backend.kernel("fill", file: "elementwise")).program)
    }

    func testTensorsOfAnotherBackendAreRejected() throws {
        let backend = try TestBackends.openCL(.cpu)
        let host = try TestBackends.reference.upload([1, 2], shape: [2])
        XCTAssertThrowsError(try backend.download(host)) { error in
            XCTAssertEqual(error as? GlassboxError, .wrongBackend(operation: "download", expected: backend.name))
        }
        XCTAssertThrowsError(try TestBackends.reference.download(try backend.makeTensor(shape: [2])))
    }

    private func residentBytes() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8),
              let pages = text.split(separator: " ").dropFirst().first.flatMap({ Int($0) }) else { return 0 }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }
}
