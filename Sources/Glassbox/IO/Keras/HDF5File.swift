import CHDF5
import Foundation

/// An HDF5 file read from memory through the HDF5 C library (an owned handle, closed on deinit):
/// the datasets and string attributes that hold a Keras model's weights.
///
/// The library's error stack is silenced; every failure becomes a ``GlassboxError`` naming the
/// file and the object. Datasets are read only after their shape matched what the caller expects,
/// so a file that claims a huge dataset allocates nothing.
final class HDF5File {
    private let handle: hid_t
    private let path: String

    /// Opens the HDF5 file whose bytes are `data`; `path` names it in errors.
    /// - Throws: ``GlassboxError/malformedFile(path:offset:reason:)`` when the bytes are not HDF5.
    init(_ data: Data, path: String) throws {
        self.path = path
        // The signature first: HDF5 looks for it at 0, 512, 1024, ... (a user block before it).
        let signature: [UInt8] = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]
        let found = stride(from: 0, to: max(0, data.count - 7), by: 512).prefix(16).contains { offset in
            data.dropFirst(offset).prefix(8).elementsEqual(signature)
        }
        guard found else {
            throw GlassboxError.malformedFile(path: path, offset: 0, reason: "not an HDF5 file (no HDF5 signature)")
        }
        let handle = data.withUnsafeBytes { glassbox_h5_open_image($0.baseAddress, $0.count) }
        guard handle >= 0 else {
            throw GlassboxError.malformedFile(path: path, offset: nil, reason: "the HDF5 library cannot open it: a damaged or unsupported HDF5 file")
        }
        self.handle = handle
    }

    deinit { glassbox_h5_close(handle) }

    /// Whether the group or dataset at `objectPath` (components separated by `/`) exists.
    func contains(_ objectPath: String) throws -> Bool {
        let found = glassbox_h5_exists(handle, objectPath)
        guard found >= 0 else {
            throw GlassboxError.malformedFile(path: path, offset: nil, reason: "cannot look up '\(objectPath)' in the HDF5 file")
        }
        return found == 1
    }

    /// The shape of the floating-point dataset at `objectPath`.
    /// - Throws: ``GlassboxError/malformedFile(path:offset:reason:)`` when it is missing, not a
    ///   dataset or not floating point.
    func shape(of objectPath: String) throws -> [Int] {
        var dims = [UInt64](repeating: 0, count: 8)
        let rank = glassbox_h5_dataset_shape(handle, objectPath, &dims, Int32(dims.count))
        switch rank {
        case -2: throw GlassboxError.malformedFile(path: path, offset: nil, reason: "dataset '\(objectPath)' is not floating point")
        case -3: throw GlassboxError.malformedFile(path: path, offset: nil, reason: "dataset '\(objectPath)' has more than 8 dimensions")
        case ..<0: throw GlassboxError.malformedFile(path: path, offset: nil, reason: "'\(objectPath)' is missing or not a readable dataset")
        default: break
        }
        guard dims.prefix(Int(rank)).allSatisfy({ $0 <= UInt64(Int32.max) }) else {
            throw GlassboxError.malformedFile(path: path, offset: nil, reason: "dataset '\(objectPath)' claims shape \(dims.prefix(Int(rank)))")
        }
        return dims.prefix(Int(rank)).map { Int($0) }
    }

    /// The values of the floating-point dataset at `objectPath`, which must have shape
    /// `expected` (row-major, converted to Float by the library).
    /// - Throws: ``GlassboxError/malformedFile(path:offset:reason:)`` naming the dataset, its
    ///   shape and the one expected.
    func floats(_ objectPath: String, expected: [Int]) throws -> [Float] {
        let shape = try shape(of: objectPath)
        guard shape == expected else {
            throw GlassboxError.malformedFile(path: path, offset: nil,
                reason: "dataset '\(objectPath)' has shape \(shape), the layer needs \(expected)")
        }
        let count = expected.reduce(1, *)
        var values = [Float](repeating: 0, count: count)
        let status = values.withUnsafeMutableBufferPointer { glassbox_h5_read_floats(handle, objectPath, $0.baseAddress, count) }
        guard status >= 0 else {
            throw GlassboxError.malformedFile(path: path, offset: nil, reason: "cannot read dataset '\(objectPath)': its data is damaged")
        }
        return values
    }

    /// The string attribute `name` of the object at `objectPath`, or nil when it has none.
    func stringAttribute(_ name: String, of objectPath: String) -> String? {
        var buffer = [CChar](repeating: 0, count: 1024)
        let length = glassbox_h5_string_attribute(handle, objectPath, name, &buffer, buffer.count)
        guard length >= 0 else { return nil }
        return String(decoding: buffer.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
