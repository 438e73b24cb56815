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
                    let backend = try OpenCLBackend(device: device, tuning: .defaults(for: variant))
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

    /// Per variant, parameters that differ from the defaults in every tunable value (odd sizes
    /// among them), as a tuned device might get: kernels must agree with the reference under
    /// these too.
    public static let alternativeTunings: [KernelTuning] = {
        var cpu = KernelTuning.defaults(for: .cpu)
        (cpu.gemmRows, cpu.gemmRowsLarge, cpu.gemmVectors, cpu.gemmVectorsLarge, cpu.gemmGroup, cpu.ntRows, cpu.ntColumns) = (3, 5, 1, 4, 1, 3, 2)
        (cpu.convPixels, cpu.convGroup, cpu.convReduceChunk, cpu.convBackwardGroup) = (7, 4, 64, 16)
        (cpu.poolGroup, cpu.perturbGroup, cpu.tableGroup, cpu.tableVectors, cpu.sumChunk, cpu.elementwiseGroup) = (64, 256, 4, 3, 1024, 16)
        cpu.denseBackwardFused = 1
        cpu.convInputPixels = 3
        cpu.convGradRows = 3
        cpu.convBlocks = 4
        cpu.convRun = 3
        var gpu = KernelTuning.defaults(for: .gpu)
        (gpu.gemmTile, gpu.convGroup, gpu.convReduceChunk, gpu.convBackwardGroup) = (8, 128, 512, 64)
        (gpu.poolGroup, gpu.perturbGroup, gpu.tableGroup, gpu.tableVectors, gpu.sumChunk, gpu.elementwiseGroup) = (32, 128, 64, 2, 1024, 128)
        gpu.denseBackwardFused = 0
        gpu.convGradRows = 4
        gpu.convBlocks = 2
        gpu.convRun = 2
        return [cpu, gpu]
    }()

    nonisolated(unsafe) private static var tuned: [OpenCLBackend]?

    /// OpenCL backends with ``alternativeTunings`` (made once per test process).
    public static func tunedOpenCLBackends() throws -> [OpenCLBackend] {
        let device = try openCL(.cpu).device
        lock.lock(); defer { lock.unlock() }
        if let tuned { return tuned }
        let made = try alternativeTunings.map { try OpenCLBackend(device: device, tuning: $0) }
        tuned = made
        return made
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
