/// Float32 data with a shape, living on one backend: in host memory for ``CPUBackend``, in a
/// device buffer for ``OpenCLBackend``.
///
/// Create tensors through a backend (``Backend/makeTensor(shape:)``, ``Backend/upload(_:shape:)``)
/// and read them back with ``Backend/download(_:)``; data moves between host and device only
/// through those explicit calls. Elements are stored row-major (last dimension fastest).
public final class Tensor {
    /// The tensor's dimensions.
    public let shape: Shape
    /// Where the elements live; only the backend that made it can read it.
    public let storage: any TensorStorage

    /// Wraps `storage`, which must hold at least `shape.elementCount` floats.
    public init(shape: Shape, storage: any TensorStorage) {
        precondition(storage.elementCapacity >= shape.elementCount, "storage smaller than shape \(shape)")
        self.shape = shape
        self.storage = storage
    }

    /// The number of elements.
    public var elementCount: Int { shape.elementCount }

    /// The same storage seen with another shape of the same element count (no copy).
    /// - Throws: ``GlassboxError/shapeMismatch(operation:expected:actual:)`` when counts differ.
    public func reshaped(_ newShape: Shape) throws -> Tensor {
        guard newShape.elementCount == shape.elementCount else {
            throw GlassboxError.shapeMismatch(operation: "reshape", expected: "\(newShape.elementCount) elements", actual: shape)
        }
        return Tensor(shape: newShape, storage: storage)
    }
}

/// The memory behind a ``Tensor``; each backend has its own kind.
public protocol TensorStorage: AnyObject {
    /// How many floats the storage holds.
    var elementCapacity: Int { get }
}
