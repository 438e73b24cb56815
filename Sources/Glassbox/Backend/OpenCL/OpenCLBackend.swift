import COpenCL
import Dispatch
import Foundation
import GlassboxKernels

/// The OpenCL implementation of ``Backend``: tensors live in device buffers and every op is one or
/// two kernel launches on an in-order queue. Nothing waits for the device except ``download(_:)``.
///
/// Each kernel file is compiled once per backend, on first use, with the tile sizes of its
/// ``KernelTuning`` as `-D` options (tuned ones from the ``TuningCache`` when an entry matches the
/// device, else the variant's defaults); its kernels are created once and reused.
public final class OpenCLBackend: Backend {
    /// The device this backend runs on.
    public let device: Device
    /// The kernel shapes in use: `.gpu` on GPUs, `.cpu` elsewhere, unless given.
    public let variant: KernelVariant
    public var name: String { "opencl: \(device.name)" }

    let context: Context
    let queue: Queue
    /// The kernel parameters in use, and where they came from.
    public private(set) var tuning: KernelTuning
    public private(set) var tuningSource: TuningSource
    private var programs: [String: Program] = [:]
    /// Seconds and count of kernel-file program builds, from a binary (true) or from source.
    private(set) var programBuilds: [Bool: (seconds: Double, count: Int)] = [:]
    /// Binaries of kernel-file programs built by earlier processes (tests point it elsewhere).
    var programCache = ProgramBinaryCache.fromEnvironment()
    private var kernels: [String: Kernel] = [:]
    private var scratchBuffers: [String: Buffer] = [:]
    /// With `GLASSBOX_PROFILE=1`, every launch waits for its kernel and its time is added here
    /// (seconds and launches by kernel name); see ``profileReport()``.
    private var profile: [String: (seconds: Double, launches: Int)]? =
        ProcessInfo.processInfo.environment["GLASSBOX_PROFILE"] == "1" ? [:] : nil
    /// Bound to unused buffer arguments (an absent bias), since a kernel argument cannot be NULL.
    let placeholder: Buffer
    /// Host copies of writes still in flight (writes do not wait for the device).
    let pendingWrites = PendingWrites()

    /// Opens a context and queue on `device`.
    /// - Throws: ``OpenCLError`` when the context or queue cannot be created.
    /// - Parameters:
    ///   - device: the OpenCL device, from ``Device/all()``.
    ///   - variant: the kernel shapes; by default chosen by the device's type.
    ///   - tuning: the kernel parameters; by default the ``TuningCache`` entry of this device,
    ///   driver and kernels, else ``KernelTuning/defaults(for:)``. Given parameters must fit the
    ///   device (``KernelTuning/validate()``, work-groups no larger than the device allows).
    ///   - memoryLimitBytes: the most bytes this backend's buffers may hold; by default
    ///   the device's global memory, or `GLASSBOX_MAX_DEVICE_BYTES` when that is set (a debug limit
    ///   for testing out-of-memory handling). Allocations past it throw
    ///   ``GlassboxError/deviceOutOfMemory(requestedBytes:freeBytes:totalBytes:)``.
    public init(device: Device, variant: KernelVariant? = nil, tuning: KernelTuning? = nil, memoryLimitBytes: Int? = nil) throws {
        try PoclEnvironment.checkFileSizeLimit(for: device)
        self.device = device
        self.variant = tuning?.variant ?? variant ?? .preferred(for: device)
        if let tuning {
            guard variant == nil || variant == tuning.variant else {
                throw GlassboxError.invalidArgument(operation: "OpenCL backend", reason: "variant \(variant!) but tuning for \(tuning.variant)")
            }
            try tuning.validate(for: device)
            (self.tuning, self.tuningSource) = (tuning, .given)
        } else {
            (self.tuning, self.tuningSource) = TuningSource.resolve(device: device, variant: self.variant)
        }
        let environmentLimit = try Self.memoryLimitFromEnvironment()
        self.context = try Context(device: device, limitBytes: memoryLimitBytes ?? environmentLimit)
        self.queue = try Queue(context: context)
        self.placeholder = try Buffer(context: context, byteCount: 16)
    }

    /// The range `GLASSBOX_MAX_DEVICE_BYTES` must fall in: at least 1 KiB, at most 2^50 bytes.
    public static let memoryLimitRange = 1024...(1 << 50)

    /// `GLASSBOX_MAX_DEVICE_BYTES` as a number of bytes, or nil when it is unset.
    /// - Throws: ``GlassboxError/invalidArgument(operation:reason:)`` when it is set but is not a
    ///   whole number within ``memoryLimitRange``: a typo must not silently lift the limit.
    public static func memoryLimitFromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Int? {
        guard let text = environment["GLASSBOX_MAX_DEVICE_BYTES"] else { return nil }
        guard let value = Int(text.trimmingCharacters(in: .whitespaces)), memoryLimitRange.contains(value) else {
            throw GlassboxError.invalidArgument(operation: "GLASSBOX_MAX_DEVICE_BYTES",
                reason: "'\(text)' is not a whole number of bytes from \(memoryLimitRange.lowerBound) to \(memoryLimitRange.upperBound)")
        }
        return value
    }

    // MARK: Programs and launches

    /// Switches to other kernel parameters (for ``KernelTuner``). Programs are cached by their
    /// build options, so switching back to earlier parameters builds nothing; buffers stay.
    func retune(_ tuning: KernelTuning) {
        precondition(tuning.variant == variant, "retune keeps the variant")
        self.tuning = tuning
        tuningSource = .given
    }

    /// Builds `source` as a program (used for kernel files and by tests of build errors).
    /// - Throws: ``OpenCLError`` carrying the build log.
    func buildProgram(source: String, name: String) throws -> Program {
        try Program(context: context, source: source, options: "", name: name)
    }

    /// The kernel `name` of `Kernels/<file>.cl`. With `defines`, the file is built as its own
    /// program with those `-D NAME=value` options added (one program per distinct set, cached):
    /// how shape-specialised kernels get their sizes as compile-time constants.
    func kernel(_ name: String, file: String, defines: [(String, Int)] = []) throws -> Kernel {
        let options = ([tuning.buildOptions(for: file)] + defines.map { "-D \($0.0)=\($0.1)" }).joined(separator: " ")
        let key = file + "|" + options
        if let kernel = kernels[name + "@" + key] { return kernel }
        let program: Program
        if let built = programs[key] {
            program = built
        } else {
            guard let source = KernelSource.all[file] else {
                throw GlassboxError.invalidArgument(operation: "kernel \(name)", reason: "no kernel file \(file).cl is embedded")
            }
            program = try buildProgram(source: source, options: options, name: "\(file).cl")
            programs[key] = program
        }
        let kernel = try Kernel(program: program, name: name)
        kernels[name + "@" + key] = kernel
        return kernel
    }

    /// Builds a kernel file's program from its binary in ``programCache`` when there is a good one,
    /// else from source (storing the binary for the next process).
    private func buildProgram(source: String, options: String, name: String) throws -> Program {
        let start = DispatchTime.now().uptimeNanoseconds
        let key = ProgramBinaryCache.key(device: device, source: source, options: options)
        var fromBinary = false
        defer {
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            let old = programBuilds[fromBinary] ?? (0, 0)
            programBuilds[fromBinary] = (old.seconds + seconds, old.count + 1)
        }
        if let binary = programCache.load(key: key),
           let program = try? Program(context: context, binary: binary, options: options, name: name) {
            fromBinary = true
            return program
        }
        let program = try Program(context: context, source: source, options: options, name: name)
        if let binary = program.binary() { programCache.store(key: key, binary: binary) }
        return program
    }

    /// Queues one launch. `global` is rounded up to a multiple of `local`; kernels ignore the
    /// extra work-items, so any size works with OpenCL 1.2's uniform work-groups.
    func launch(_ name: String, file: String, defines: [(String, Int)] = [], global: [Int], local: [Int],
                _ arguments: [KernelArgument]) throws {
        precondition(global.count == local.count && (1...3).contains(global.count))
        let kernel = try kernel(name, file: file, defines: defines)
        try kernel.setArguments(arguments)
        var globalSize = zip(global, local).map { g, l in ((max(g, 1) + l - 1) / l) * l }
        var localSize = local
        let start = profile == nil ? 0 : DispatchTime.now().uptimeNanoseconds
        defer {
            if profile != nil {
                clFinish(queue.handle)
                let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                let old = profile![name] ?? (0, 0)
                profile![name] = (old.seconds + seconds, old.launches + 1)
            }
        }
        try checkCL(clEnqueueNDRangeKernel(queue.handle, kernel.handle, cl_uint(global.count), nil,
                                           &globalSize, &localSize, 0, nil, nil),
                    "clEnqueueNDRangeKernel(\(name), global: \(globalSize), local: \(localSize))")
    }

    /// A one-dimensional launch over `count` items, in work-groups of `local` (by default the
    /// variant's element-wise group size).
    func launch1D(_ name: String, file: String, count: Int, local: Int? = nil, _ arguments: [KernelArgument]) throws {
        try launch(name, file: file, global: [count], local: [local ?? tuning.elementwiseGroup], arguments)
    }

    /// A reusable device buffer of at least `floats` floats for intermediate results, one per
    /// `slot`; it grows and is never shrunk. Safe to reuse because the queue is in order.
    func scratch(_ slot: String, floats: Int) throws -> Buffer {
        if let buffer = scratchBuffers[slot], buffer.byteCount >= floats * 4 { return buffer }
        let buffer = try Buffer(context: context, byteCount: floats * 4)
        scratchBuffers[slot] = buffer
        return buffer
    }

    /// Time per kernel when `GLASSBOX_PROFILE=1` was set, slowest first; nil otherwise.
    public func profileReport() -> String? {
        guard let profile else { return nil }
        let total = profile.values.reduce(0) { $0 + $1.seconds }
        let kernels = profile.sorted { $0.value.seconds > $1.value.seconds }.map { name, entry in
            String(format: "%-34@ %9.3f ms %7d launches %8.1f us/launch %5.1f%%", name as NSString, entry.seconds * 1e3,
                   entry.launches, entry.seconds / Double(entry.launches) * 1e6, entry.seconds / total * 100)
        }
        let builds = [(false, "from source"), (true, "from cached binaries")].compactMap { fromBinary, how -> String? in
            guard let entry = programBuilds[fromBinary] else { return nil }
            return String(format: "program builds %@: %d, %.1f ms", how, entry.count, entry.seconds * 1e3)
        }
        return (kernels + builds).joined(separator: "\n")
    }

    /// Kernel launches so far when `GLASSBOX_PROFILE=1` was set (all kernels); nil otherwise.
    public var profiledLaunches: Int? { profile.map { $0.values.reduce(0) { $0 + $1.launches } } }

    /// Bytes held by this backend's buffers, and the most they may hold.
    public var memoryInUseBytes: Int { context.allocatedBytes }
    public var memoryLimitBytes: Int { context.limitBytes }

    /// Waits for all queued work.
    public func synchronize() throws {
        try queue.finish()
        pendingWrites.drain()
    }

    // MARK: Memory

    func buffer(_ tensor: Tensor, _ operation: String) throws -> Buffer {
        guard let storage = tensor.storage as? DeviceStorage, storage.buffer.context === context else {
            throw GlassboxError.wrongBackend(operation: operation, expected: name)
        }
        return storage.buffer
    }

    public func makeTensor(shape: Shape) throws -> Tensor {
        Tensor(shape: shape, storage: DeviceStorage(buffer: try Buffer(context: context, byteCount: shape.elementCount * 4)))
    }

    /// Queues the copy and returns without waiting for the device (a host copy is kept until the write completes);
    /// `values` may change right after.
    public func write(_ values: [Float], into tensor: Tensor) throws {
        try ShapeChecks.count("write", tensor, values.count, "as many elements as values")
        let buffer = try buffer(tensor, "write")
        try values.withUnsafeBytes { try pendingWrites.enqueue($0, into: buffer, queue: queue) }
    }

    public func download(_ tensor: Tensor) throws -> [Float] {
        let buffer = try buffer(tensor, "download")
        var values = [Float](repeating: 0, count: tensor.elementCount)
        try values.withUnsafeMutableBytes { bytes in
            try checkCL(clEnqueueReadBuffer(queue.handle, buffer.handle, cl_bool(CL_TRUE), 0, bytes.count, bytes.baseAddress, 0, nil, nil),
                        "clEnqueueReadBuffer(\(bytes.count) bytes)")
        }
        pendingWrites.drain()   // the blocking read ran after every earlier command
        return values
    }

    public func fill(_ tensor: Tensor, with value: Float) throws {
        try launch1D("fill", file: "elementwise", count: tensor.elementCount,
                     [.int(tensor.elementCount), .float(value), .buffer(try buffer(tensor, "fill"))])
    }
}

/// A device buffer owned by a tensor of ``OpenCLBackend``.
public final class DeviceStorage: TensorStorage {
    let buffer: Buffer
    public var elementCapacity: Int { buffer.byteCount / 4 }
    init(buffer: Buffer) { self.buffer = buffer }
}
