import Dispatch

/// The reference backend: every op as plain loops over host memory, accumulating in Double.
///
/// It is written to be obviously right rather than fast; the OpenCL kernels are tested against it.
/// Independent output rows run on all cores (`DispatchQueue.concurrentPerform`), which changes no
/// result: each output element is computed by exactly one loop in a fixed order.
public final class CPUBackend: Backend {
    public let name = "cpu-reference"

    public init() {}

    // MARK: Memory

    public func makeTensor(shape: Shape) throws -> Tensor {
        Tensor(shape: shape, storage: HostStorage(count: shape.elementCount))
    }

    public func write(_ values: [Float], into tensor: Tensor) throws {
        try ShapeChecks.count("write", tensor, values.count, "as many elements as values")
        let target = try host(tensor, "write")
        for i in 0..<values.count { target[i] = values[i] }
    }

    public func download(_ tensor: Tensor) throws -> [Float] {
        let source = try host(tensor, "download")
        return Array(source[0..<tensor.elementCount])
    }

    public func fill(_ tensor: Tensor, with value: Float) throws {
        let target = try host(tensor, "fill")
        for i in 0..<tensor.elementCount { target[i] = value }
    }

    /// Nothing to wait for: every op has finished when it returns.
    public func synchronize() throws {}

    /// The host memory of a tensor made by a CPU backend.
    func host(_ tensor: Tensor, _ operation: String) throws -> UnsafeMutableBufferPointer<Float> {
        guard let storage = tensor.storage as? HostStorage else {
            throw GlassboxError.wrongBackend(operation: operation, expected: "cpu-reference")
        }
        return storage.elements
    }

    /// Runs `body(i)` for `i` in `0..<count`, spread over the cores when there is enough work.
    func parallelFor(_ count: Int, work: Int = .max, _ body: (Int) -> Void) {
        if count > 1 && work >= 4096 {
            DispatchQueue.concurrentPerform(iterations: count, execute: body)
        } else {
            for i in 0..<count { body(i) }
        }
    }
}

/// Host memory owned by a tensor of ``CPUBackend``.
public final class HostStorage: TensorStorage {
    let elements: UnsafeMutableBufferPointer<Float>
    public var elementCapacity: Int { elements.count }

    init(count: Int) {
        elements = .allocate(capacity: count)
        elements.initialize(repeating: .nan)
    }

    deinit { elements.deallocate() }
}
