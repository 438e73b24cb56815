import Foundation

/// Which backend to run on: the value of `GLASSBOX_DEVICE` or of a `--device` flag.
public enum DeviceChoice: Equatable, Sendable, CustomStringConvertible {
    /// The first GPU, else the first OpenCL device, else the CPU reference (saying so on stderr).
    case auto
    /// The CPU reference backend.
    case cpu
    /// The first OpenCL device; an error when there is none.
    case opencl
    /// OpenCL device number N, counted over all platforms as `glassbox devices` lists them.
    case openclIndex(Int)
    /// The first OpenCL device whose name contains this text (case-insensitive).
    case nameContaining(String)

    /// Parses `auto`, `cpu`, `opencl`, `opencl:N` or a device-name substring.
    /// - Throws: ``GlassboxError/invalidDeviceChoice(_:)`` for an empty value or a bad `opencl:N`.
    public init(parsing text: String) throws {
        let value = text.trimmingCharacters(in: .whitespaces)
        switch value.lowercased() {
        case "": throw GlassboxError.invalidDeviceChoice(text)
        case "auto": self = .auto
        case "cpu": self = .cpu
        case "opencl": self = .opencl
        case let lower where lower.hasPrefix("opencl:"):
            guard let index = Int(lower.dropFirst("opencl:".count)), index >= 0 else {
                throw GlassboxError.invalidDeviceChoice(text)
            }
            self = .openclIndex(index)
        default: self = .nameContaining(value)
        }
    }

    /// The choice in `GLASSBOX_DEVICE`, or ``auto`` when it is unset.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws -> DeviceChoice {
        guard let value = environment["GLASSBOX_DEVICE"] else { return .auto }
        return try DeviceChoice(parsing: value)
    }

    public var description: String {
        switch self {
        case .auto: return "auto"
        case .cpu: return "cpu"
        case .opencl: return "opencl"
        case .openclIndex(let index): return "opencl:\(index)"
        case .nameContaining(let text): return text
        }
    }

    /// Decides which device the choice names, without opening it.
    /// - Parameters:
    ///   - devices: the OpenCL devices to choose among; by default every installed one.
    ///   - rankOnNode: this process's rank among the MPI ranks on its machine
    ///     (``Communicator/localRank``): `auto` then takes GPU `rankOnNode mod GPUs` (else device
    ///     `rankOnNode mod devices`), and `opencl` device `rankOnNode mod devices`, so the ranks of
    ///     a node spread over its devices. Explicit `opencl:N` and name choices are kept as given.
    /// - Throws: ``GlassboxError/deviceUnavailable(_:)`` when an explicit OpenCL choice cannot be met.
    public func resolve(devices: (() throws -> [Device])? = nil, rankOnNode: Int = 0) throws -> DeviceSelection {
        if self == .cpu { return DeviceSelection(deviceIndex: nil, fallbackReason: nil, devices: []) }
        let found: [Device]
        do {
            found = try (devices ?? Device.all)()
        } catch {
            guard self == .auto else { throw GlassboxError.deviceUnavailable("OpenCL device enumeration failed: \(error)") }
            return DeviceSelection(deviceIndex: nil, fallbackReason: "OpenCL device enumeration failed (\(error))", devices: [])
        }
        switch self {
        case .cpu:
            return DeviceSelection(deviceIndex: nil, fallbackReason: nil, devices: found)
        case .auto:
            let gpus = found.indices.filter { found[$0].isGPU }
            let candidates = gpus.isEmpty ? Array(found.indices) : gpus
            if !candidates.isEmpty {
                return DeviceSelection(deviceIndex: candidates[rankOnNode % candidates.count], fallbackReason: nil, devices: found)
            }
            return DeviceSelection(deviceIndex: nil, fallbackReason: "no OpenCL platform or device found", devices: found)
        case .opencl:
            guard !found.isEmpty else {
                throw GlassboxError.deviceUnavailable("'opencl' was requested but no OpenCL platform or device was found")
            }
            return DeviceSelection(deviceIndex: rankOnNode % found.count, fallbackReason: nil, devices: found)
        case .openclIndex(let index):
            guard found.indices.contains(index) else {
                throw GlassboxError.deviceUnavailable("'opencl:\(index)' was requested but there are \(found.count) OpenCL devices")
            }
            return DeviceSelection(deviceIndex: index, fallbackReason: nil, devices: found)
        case .nameContaining(let text):
            guard let index = found.firstIndex(where: { $0.name.localizedCaseInsensitiveContains(text) }) else {
                let names = found.map(\.name).joined(separator: ", ")
                throw GlassboxError.deviceUnavailable("no OpenCL device name contains '\(text)' (devices: \(names.isEmpty ? "none" : names))")
            }
            return DeviceSelection(deviceIndex: index, fallbackReason: nil, devices: found)
        }
    }

    /// Resolves the choice and opens its backend. When `auto` finds no OpenCL device, or the
    /// device fails to open, it falls back to ``CPUBackend`` and passes one line to `warn`.
    /// - Parameters:
    ///   - rankOnNode: this process's rank among the MPI ranks on its machine (see
    ///     ``resolve(devices:rankOnNode:)``).
    ///   - warn: where the fallback line goes; standard error by default.
    /// - Throws: ``GlassboxError`` or ``OpenCLError`` when an explicit OpenCL choice cannot be met.
    public func makeBackend(rankOnNode: Int = 0, warn: (String) -> Void = DeviceChoice.printToStandardError) throws -> any Backend {
        try makeBackend(warn: warn, devices: nil, rankOnNode: rankOnNode) { try OpenCLBackend(device: $0) }
    }

    /// `makeBackend` with the device list and the opening step replaceable, to test failures.
    func makeBackend(warn: (String) -> Void, devices: (() throws -> [Device])?, rankOnNode: Int = 0,
                     open: (Device) throws -> any Backend) throws -> any Backend {
        // Checked whatever the choice, so a bad value is an error rather than an `auto` fallback.
        _ = try OpenCLBackend.memoryLimitFromEnvironment()
        let selection = try resolve(devices: devices, rankOnNode: rankOnNode)
        guard let device = selection.device else {
            if let reason = selection.fallbackReason {
                warn("glassbox: \(reason); using the CPU reference backend (set GLASSBOX_DEVICE=cpu to silence this)")
            }
            return CPUBackend()
        }
        do {
            return try open(device)
        } catch {
            guard self == .auto else { throw error }
            warn("glassbox: cannot open OpenCL device \(device.name) (\(error)); using the CPU reference backend")
            return CPUBackend()
        }
    }

    /// Writes a line to standard error.
    public static func printToStandardError(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}

/// The outcome of ``DeviceChoice/resolve(devices:rankOnNode:)``.
public struct DeviceSelection {
    /// The OpenCL device to use, or nil for the CPU reference.
    public var device: Device? { deviceIndex.map { devices[$0] } }
    /// The position of ``device`` in ``devices`` (its `opencl:N` number).
    public let deviceIndex: Int?
    /// Why `auto` fell back to the CPU reference, when it did.
    public let fallbackReason: String?
    /// Every OpenCL device found (empty for an explicit `cpu` choice).
    public let devices: [Device]
}
