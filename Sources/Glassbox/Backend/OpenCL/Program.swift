import COpenCL

/// An owned, built `cl_program`, released in `deinit`.
final class Program {
    let handle: cl_program
    let context: Context

    /// Compiles `source` for the context's device.
    /// - Throws: ``OpenCLError`` with the compiler's build log when the build fails.
    init(context: Context, source: String, options: String, name: String) throws {
        var status: cl_int = 0
        let program: cl_program? = source.withCString { text in
            var pointer: UnsafePointer<CChar>? = text
            var length = strlen(text)
            return clCreateProgramWithSource(context.handle, 1, &pointer, &length, &status)
        }
        guard let program, status == CL_SUCCESS else {
            throw OpenCLError(status: status, call: "clCreateProgramWithSource(\(name))")
        }
        var deviceID: cl_device_id? = context.device.id
        let buildStatus = OpenCLFaultInjection.status(clBuildProgram(program, 1, &deviceID, options, nil, nil)) { "clBuildProgram" }
        if buildStatus != CL_SUCCESS {
            let log = Self.buildLog(program, context.device.id)
            clReleaseProgram(program)
            throw OpenCLError(status: buildStatus, call: "clBuildProgram(\(name), options: \(options))", buildLog: log)
        }
        self.handle = program
        self.context = context
    }

    /// Loads a binary that ``binary()`` returned for the same device and options.
    /// - Throws: ``OpenCLError`` when the driver rejects the binary or its build fails.
    init(context: Context, binary: [UInt8], options: String, name: String) throws {
        var status: cl_int = 0
        var binaryStatus: cl_int = 0
        var deviceID: cl_device_id? = context.device.id
        var length = binary.count
        let program: cl_program? = binary.withUnsafeBufferPointer { bytes in
            var pointer: UnsafePointer<UInt8>? = bytes.baseAddress
            return clCreateProgramWithBinary(context.handle, 1, &deviceID, &length, &pointer, &binaryStatus, &status)
        }
        guard let program, status == CL_SUCCESS, binaryStatus == CL_SUCCESS else {
            if let program { clReleaseProgram(program) }
            throw OpenCLError(status: status == CL_SUCCESS ? binaryStatus : status, call: "clCreateProgramWithBinary(\(name))")
        }
        let buildStatus = OpenCLFaultInjection.status(clBuildProgram(program, 1, &deviceID, options, nil, nil)) { "clBuildProgram" }
        guard buildStatus == CL_SUCCESS else {
            clReleaseProgram(program)
            throw OpenCLError(status: buildStatus, call: "clBuildProgram(\(name) from its binary, options: \(options))")
        }
        self.handle = program
        self.context = context
    }

    deinit { clReleaseProgram(handle) }

    /// The built program's binary for the context's device, or nil when the driver gives none.
    func binary() -> [UInt8]? {
        var size = 0
        guard clGetProgramInfo(handle, cl_program_info(CL_PROGRAM_BINARY_SIZES), MemoryLayout<Int>.size, &size, nil) == CL_SUCCESS,
              size > 0 else { return nil }
        var bytes = [UInt8](repeating: 0, count: size)
        let status = bytes.withUnsafeMutableBufferPointer { buffer -> cl_int in
            var pointer: UnsafeMutablePointer<UInt8>? = buffer.baseAddress
            return clGetProgramInfo(handle, cl_program_info(CL_PROGRAM_BINARIES), MemoryLayout<UnsafeMutablePointer<UInt8>?>.size, &pointer, nil)
        }
        return status == CL_SUCCESS ? bytes : nil
    }

    private static func buildLog(_ program: cl_program, _ device: cl_device_id) -> String {
        var size = 0
        guard clGetProgramBuildInfo(program, device, cl_program_build_info(CL_PROGRAM_BUILD_LOG), 0, nil, &size) == CL_SUCCESS,
              size > 0 else { return "" }
        var bytes = [CChar](repeating: 0, count: size + 1)
        guard clGetProgramBuildInfo(program, device, cl_program_build_info(CL_PROGRAM_BUILD_LOG), size, &bytes, nil) == CL_SUCCESS
        else { return "" }
        return String(decoding: bytes.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// One argument of a kernel launch.
enum KernelArgument {
    case buffer(Buffer)
    case int(Int32)
    case float(Float)
    case uint(UInt32)

    static func int(_ value: Int) -> KernelArgument { .int(Int32(value)) }
    static func flag(_ value: Bool) -> KernelArgument { .int(value ? 1 : 0) }
}

/// An owned `cl_kernel`, released in `deinit`. Kernels are made once per program and reused;
/// arguments are set at each launch (the backend is used from one thread at a time).
final class Kernel {
    let handle: cl_kernel
    let name: String
    let program: Program

    init(program: Program, name: String) throws {
        var status: cl_int = 0
        guard let handle = clCreateKernel(program.handle, name, &status), status == CL_SUCCESS else {
            throw OpenCLError(status: status, call: "clCreateKernel(\(name))")
        }
        self.handle = handle
        self.name = name
        self.program = program
    }

    deinit { clReleaseKernel(handle) }

    func setArguments(_ arguments: [KernelArgument]) throws {
        for (index, argument) in arguments.enumerated() {
            let status: cl_int
            switch argument {
            case .buffer(let buffer):
                var memory: cl_mem? = buffer.handle
                status = clSetKernelArg(handle, cl_uint(index), MemoryLayout<cl_mem>.size, &memory)
            case .int(var value):
                status = clSetKernelArg(handle, cl_uint(index), MemoryLayout<Int32>.size, &value)
            case .uint(var value):
                status = clSetKernelArg(handle, cl_uint(index), MemoryLayout<UInt32>.size, &value)
            case .float(var value):
                status = clSetKernelArg(handle, cl_uint(index), MemoryLayout<Float>.size, &value)
            }
            try checkCL(status, "clSetKernelArg(\(name), \(index))")
        }
    }
}

import Foundation
