import COpenCL

/// An owned `cl_context` for one device, released in `deinit`.
final class Context {
    let handle: cl_context
    let device: Device
    /// Bytes held by live buffers of this context.
    private(set) var allocatedBytes = 0
    /// The most bytes buffers may hold: the device's global memory, or less when a limit is set
    /// (`GLASSBOX_MAX_DEVICE_BYTES`, for testing what happens when memory runs out).
    let limitBytes: Int

    init(device: Device, limitBytes: Int? = nil) throws {
        var status: cl_int = 0
        var deviceID: cl_device_id? = device.id
        guard let handle = clCreateContext(nil, 1, &deviceID, nil, nil, &status), status == CL_SUCCESS else {
            throw OpenCLError(status: status == CL_SUCCESS ? CL_INVALID_CONTEXT : status, call: "clCreateContext")
        }
        self.handle = handle
        self.device = device
        let total = Int(clamping: device.globalMemoryBytes)
        self.limitBytes = min(limitBytes ?? total, total)
    }

    /// Books `bytes` for a new buffer.
    /// - Throws: ``GlassboxError/deviceOutOfMemory(requestedBytes:freeBytes:totalBytes:)``.
    func reserve(_ bytes: Int) throws {
        guard allocatedBytes + bytes <= limitBytes else {
            throw GlassboxError.deviceOutOfMemory(requestedBytes: bytes, freeBytes: limitBytes - allocatedBytes, totalBytes: limitBytes)
        }
        allocatedBytes += bytes
    }

    func release(_ bytes: Int) { allocatedBytes -= bytes }

    deinit { clReleaseContext(handle) }
}

/// An owned in-order `cl_command_queue`, released in `deinit`.
final class Queue {
    let handle: cl_command_queue
    let context: Context

    init(context: Context) throws {
        var status: cl_int = 0
        // clCreateCommandQueue is deprecated in OpenCL 2.0 but is the one call every 1.2+ driver has.
        guard let handle = clCreateCommandQueue(context.handle, context.device.id, 0, &status), status == CL_SUCCESS else {
            throw OpenCLError(status: status, call: "clCreateCommandQueue")
        }
        self.handle = handle
        self.context = context
    }

    /// Waits until every queued command has finished.
    func finish() throws { try checkCL(clFinish(handle), "clFinish") }

    deinit {
        clFinish(handle)
        clReleaseCommandQueue(handle)
    }
}

/// An owned `cl_mem` of `byteCount` bytes, released in `deinit`.
final class Buffer {
    let handle: cl_mem
    let byteCount: Int
    let context: Context

    init(context: Context, byteCount: Int) throws {
        try context.reserve(byteCount)
        var status: cl_int = 0
        let created = clCreateBuffer(context.handle, cl_mem_flags(CL_MEM_READ_WRITE), max(byteCount, 4), nil, &status)
        status = OpenCLFaultInjection.status(status) { "clCreateBuffer" }
        guard let handle = created, status == CL_SUCCESS else {
            if let created { clReleaseMemObject(created) }
            context.release(byteCount)
            if status == CL_MEM_OBJECT_ALLOCATION_FAILURE || status == CL_OUT_OF_RESOURCES || status == CL_INVALID_BUFFER_SIZE
                || status == CL_OUT_OF_HOST_MEMORY {
                throw GlassboxError.deviceOutOfMemory(requestedBytes: byteCount, freeBytes: context.limitBytes - context.allocatedBytes,
                                                      totalBytes: context.limitBytes)
            }
            throw OpenCLError(status: status, call: "clCreateBuffer(\(byteCount) bytes)")
        }
        self.handle = handle
        self.byteCount = byteCount
        self.context = context
    }

    deinit {
        clReleaseMemObject(handle)
        context.release(byteCount)
    }
}
