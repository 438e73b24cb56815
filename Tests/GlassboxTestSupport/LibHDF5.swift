import CHDF5
import Foundation

/// The HDF5 C library (Debian's libhdf5, through the `CHDF5` shim) reading an HDF5 file from
/// memory: the reference Glassbox's own reader (`HDF5File`) is checked against. Only for
/// well-formed files (the fixtures): the library is not safe on damaged ones (ROBUSTNESS.md).
public final class LibHDF5 {
    private let handle: hid_t

    /// Opens the file whose bytes are `data`; nil when the library cannot.
    public init?(_ data: Data) {
        let handle = data.withUnsafeBytes { glassbox_h5_open_image($0.baseAddress, $0.count) }
        guard handle >= 0 else { return nil }
        self.handle = handle
    }

    deinit { glassbox_h5_close(handle) }

    /// Whether every component of `path` exists.
    public func contains(_ path: String) -> Bool { glassbox_h5_exists(handle, path) == 1 }

    /// The shape and values (as Float) of the floating-point dataset at `path`, or nil.
    public func floats(_ path: String) -> (shape: [Int], values: [Float])? {
        var dims = [UInt64](repeating: 0, count: 8)
        let rank = glassbox_h5_dataset_shape(handle, path, &dims, Int32(dims.count))
        guard rank >= 0 else { return nil }
        let shape = dims.prefix(Int(rank)).map { Int($0) }
        var values = [Float](repeating: 0, count: shape.reduce(1, *))
        let status = values.withUnsafeMutableBufferPointer { glassbox_h5_read_floats(handle, path, $0.baseAddress, $0.count) }
        return status >= 0 ? (shape, values) : nil
    }

    /// The string attribute `name` of the object at `path`, or nil.
    public func stringAttribute(_ name: String, of path: String) -> String? {
        var buffer = [CChar](repeating: 0, count: 1024)
        let length = glassbox_h5_string_attribute(handle, path, name, &buffer, buffer.count)
        guard length >= 0 else { return nil }
        return String(decoding: buffer.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
