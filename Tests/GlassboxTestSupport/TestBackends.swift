import Foundation
import Glassbox
import XCTest

/// The backends every equality test runs: the CPU reference, and the OpenCL device in both kernel
/// variants. Backends are made once per test process, so each kernel file is compiled once per
/// variant.
///
/// Without an OpenCL platform the OpenCL cases skip, unless `GLASSBOX_REQUIRE_OPENCL=1` (set by
/// `.ci/run`'s PoCL pass), which turns a missing platform into a failure.
public enum TestBackends {
    public static let reference = CPUBackend()

    nonisolated(unsafe) private static var cached: [KernelVariant: OpenCLBackend] = [:]
    nonisolated(unsafe) private static var unavailableReason: String?
    private static let lock = NSLock()

    /// Whether `GLASSBOX_REQUIRE_OPENCL=1` is set.
    public static var openCLRequired: Bool { ProcessInfo.processInfo.environment["GLASSBOX_REQUIRE_OPENCL"] == "1" }

    /// The OpenCL backend with `variant`, or an `XCTSkip` (a failure when OpenCL is required).
    public static func openCL(_ variant: KernelVariant) throws -> OpenCLBackend {
        lock.lock(); defer { lock.unlock() }
        if let backend = cached[variant] { return backend }
        if unavailableReason == nil {
            do {
                let selection = try DeviceChoice.fromEnvironmentForTests().resolve()
                if let device = selection.device {
                    let backend = try OpenCLBackend(device: device, variant: variant)
                    cached[variant] = backend
                    return backend
                }
                unavailableReason = selection.fallbackReason ?? "no OpenCL device selected"
            } catch {
                unavailableReason = "\(error)"
            }
        }
        let reason = "OpenCL unavailable: \(unavailableReason!)"
        if openCLRequired { throw OpenCLRequiredError(reason: reason) }
        throw XCTSkip(reason)
    }

    /// Every OpenCL backend to compare against the reference (both variants).
    public static func openCLBackends() throws -> [OpenCLBackend] {
        try KernelVariant.allCases.map { try openCL($0) }
    }
}

/// Thrown when `GLASSBOX_REQUIRE_OPENCL=1` and no OpenCL device can be opened.
public struct OpenCLRequiredError: Error, CustomStringConvertible {
    public let reason: String
    public var description: String { "GLASSBOX_REQUIRE_OPENCL=1 but \(reason)" }
}

extension DeviceChoice {
    /// Tests use `GLASSBOX_DEVICE` when it names an OpenCL device, else the first OpenCL device.
    static func fromEnvironmentForTests() throws -> DeviceChoice {
        let choice = try fromEnvironment()
        return choice == .cpu || choice == .auto ? .opencl : choice
    }
}
