import COpenCL
import Foundation
import Synchronization

/// Makes chosen OpenCL calls fail the way they fail when a device is lost or reset (a GPU that
/// falls off the bus or is reset by its driver answers `CL_OUT_OF_RESOURCES`,
/// `CL_INVALID_COMMAND_QUEUE` or `CL_DEVICE_NOT_AVAILABLE` from then on), so that tests can see
/// what Glassbox does then on PoCL, whose device cannot be lost.
///
/// A fault is a call-name prefix, a status and a number of matching calls to let through first;
/// once it fires it stays: every later matching call fails too. Tests arm it with
/// ``arm(call:status:after:)``; a process reads `GLASSBOX_OPENCL_FAULT=CALL:STATUS[:AFTER]`
/// (e.g. `clEnqueueNDRangeKernel:-5:100`) once, at its first OpenCL status check.
enum OpenCLFaultInjection {
    struct Fault: Sendable {
        var call: String
        var status: cl_int
        var successesLeft: Int
    }

    private static let fault = Mutex<Fault?>(fromEnvironment())
    private static let armed = Atomic<Bool>(fault.withLock { $0 != nil })

    /// From now on, lets `after` calls whose name starts with `call` succeed, then fails them all
    /// with `status`.
    static func arm(call: String, status: cl_int, after: Int = 0) {
        fault.withLock { $0 = Fault(call: call, status: status, successesLeft: after) }
        armed.store(true, ordering: .sequentiallyConsistent)
    }

    static func disarm() {
        fault.withLock { $0 = nil }
        armed.store(false, ordering: .sequentiallyConsistent)
    }

    /// The status a call reports: its own, or the injected fault's.
    @inline(__always)
    static func status(_ real: cl_int, call: () -> String) -> cl_int {
        guard armed.load(ordering: .relaxed) else { return real }
        let name = call()
        return fault.withLock { fault -> cl_int in
            guard var current = fault, name.hasPrefix(current.call) else { return real }
            if current.successesLeft > 0 {
                current.successesLeft -= 1
                fault = current
                return real
            }
            return current.status
        }
    }

    private static func fromEnvironment() -> Fault? {
        guard let text = ProcessInfo.processInfo.environment["GLASSBOX_OPENCL_FAULT"], !text.isEmpty else { return nil }
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard (2...3).contains(parts.count), !parts[0].isEmpty, let status = cl_int(parts[1]), status < 0,
              let after = parts.count == 3 ? Int(parts[2]) : 0, after >= 0 else {
            FileHandle.standardError.write(Data("glassbox: ignoring GLASSBOX_OPENCL_FAULT=\(text): expected CALL:STATUS[:AFTER], e.g. clFinish:-5:10\n".utf8))
            return nil
        }
        return Fault(call: parts[0], status: status, successesLeft: after)
    }
}
