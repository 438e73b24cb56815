import COpenCL

/// One OpenCL device and what `glassbox devices` reports of it.
public struct Device: CustomStringConvertible {
    let id: cl_device_id
    /// The platform's name, e.g. `Portable Computing Language`.
    public let platformName: String
    /// The platform's version string (for PoCL it carries the PoCL and LLVM versions).
    public let platformVersion: String
    public let name: String
    /// `CPU`, `GPU`, `ACCELERATOR` or `OTHER`.
    public let typeName: String
    public let isGPU: Bool
    public let computeUnits: Int
    public let globalMemoryBytes: UInt64
    public let localMemoryBytes: UInt64
    public let maxWorkGroupSize: Int
    public let openCLCVersion: String
    public let driverVersion: String

    init(id: cl_device_id, platform: Platform) throws {
        self.id = id
        platformName = platform.name
        platformVersion = platform.version
        name = try Self.string(id, CL_DEVICE_NAME)
        let type: cl_device_type = try Self.value(id, CL_DEVICE_TYPE)
        isGPU = type & cl_device_type(CL_DEVICE_TYPE_GPU) != 0
        if isGPU { typeName = "GPU" }
        else if type & cl_device_type(CL_DEVICE_TYPE_CPU) != 0 { typeName = "CPU" }
        else if type & cl_device_type(CL_DEVICE_TYPE_ACCELERATOR) != 0 { typeName = "ACCELERATOR" }
        else { typeName = "OTHER" }
        computeUnits = Int(try Self.value(id, CL_DEVICE_MAX_COMPUTE_UNITS) as cl_uint)
        globalMemoryBytes = try Self.value(id, CL_DEVICE_GLOBAL_MEM_SIZE)
        localMemoryBytes = try Self.value(id, CL_DEVICE_LOCAL_MEM_SIZE)
        maxWorkGroupSize = Int(try Self.value(id, CL_DEVICE_MAX_WORK_GROUP_SIZE) as Int)
        openCLCVersion = try Self.string(id, CL_DEVICE_OPENCL_C_VERSION)
        driverVersion = try Self.string(id, CL_DRIVER_VERSION)
    }

    /// Every device of every platform, in platform order: the numbering of `opencl:N`.
    /// Empty when no platform is installed (`CL_PLATFORM_NOT_FOUND_KHR`).
    public static func all() throws -> [Device] {
        PoclEnvironment.prepare()
        return try Platform.all().flatMap { platform in try platform.devices() }
    }

    /// For PoCL's CPU devices, how its worker threads are placed on the CPUs (pinned one per CPU
    /// when the process may use them all); nil for other devices.
    public var workerPlacement: String? {
        !isGPU && isPoCL ? PoclEnvironment.workerAffinity.description : nil
    }

    /// Whether the device is PoCL's (its platform is the Portable Computing Language).
    var isPoCL: Bool { platformName.localizedCaseInsensitiveContains("Portable Computing Language") }

    public var description: String { "\(name) (\(typeName), \(platformName))" }

    static func string(_ id: cl_device_id, _ parameter: Int32) throws -> String {
        var size = 0
        try checkCL(clGetDeviceInfo(id, cl_device_info(parameter), 0, nil, &size), "clGetDeviceInfo")
        var bytes = [CChar](repeating: 0, count: size + 1)
        try checkCL(clGetDeviceInfo(id, cl_device_info(parameter), size, &bytes, nil), "clGetDeviceInfo")
        return String(decoding: bytes.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            .trimmingCharacters(in: .whitespaces)
    }

    static func value<T: FixedWidthInteger>(_ id: cl_device_id, _ parameter: Int32) throws -> T {
        var result: T = 0
        try checkCL(clGetDeviceInfo(id, cl_device_info(parameter), MemoryLayout<T>.size, &result, nil), "clGetDeviceInfo")
        return result
    }
}

/// An OpenCL platform (one installed driver, e.g. PoCL or NVIDIA's).
struct Platform {
    let id: cl_platform_id
    let name: String
    let version: String

    /// Every platform; empty when the ICD loader finds none.
    static func all() throws -> [Platform] {
        var count: cl_uint = 0
        let status = clGetPlatformIDs(0, nil, &count)
        if status == -1001 /* CL_PLATFORM_NOT_FOUND_KHR */ || (status == CL_SUCCESS && count == 0) { return [] }
        try checkCL(status, "clGetPlatformIDs")
        var ids = [cl_platform_id?](repeating: nil, count: Int(count))
        try checkCL(clGetPlatformIDs(count, &ids, nil), "clGetPlatformIDs")
        return try ids.compactMap { $0 }.map { id in
            Platform(id: id, name: try string(id, CL_PLATFORM_NAME), version: try string(id, CL_PLATFORM_VERSION))
        }
    }

    /// The platform's devices; none when it reports `CL_DEVICE_NOT_FOUND`.
    func devices() throws -> [Device] {
        var count: cl_uint = 0
        let status = clGetDeviceIDs(id, cl_device_type(CL_DEVICE_TYPE_ALL), 0, nil, &count)
        if status == CL_DEVICE_NOT_FOUND { return [] }
        try checkCL(status, "clGetDeviceIDs")
        var ids = [cl_device_id?](repeating: nil, count: Int(count))
        try checkCL(clGetDeviceIDs(id, cl_device_type(CL_DEVICE_TYPE_ALL), count, &ids, nil), "clGetDeviceIDs")
        return try ids.compactMap { $0 }.map { try Device(id: $0, platform: self) }
    }

    private static func string(_ id: cl_platform_id, _ parameter: Int32) throws -> String {
        var size = 0
        try checkCL(clGetPlatformInfo(id, cl_platform_info(parameter), 0, nil, &size), "clGetPlatformInfo")
        var bytes = [CChar](repeating: 0, count: size + 1)
        try checkCL(clGetPlatformInfo(id, cl_platform_info(parameter), size, &bytes, nil), "clGetPlatformInfo")
        return String(decoding: bytes.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

import Foundation
