import Foundation

/// The images of one IDX file: `count` images of `rows` x `columns` unsigned bytes.
public struct IDXImages: Equatable, Sendable {
    /// The number of images.
    public let count: Int
    /// The height of each image.
    public let rows: Int
    /// The width of each image.
    public let columns: Int
    /// `count * rows * columns` bytes: image by image, each row-major, 0 (background) to 255.
    public let pixels: [UInt8]
}

/// The IDX format of LeCun's MNIST files (http://yann.lecun.com/exdb/mnist/, "file formats"):
/// a big-endian magic number `00 00 <type> <dimension count>`, one big-endian 32-bit size per
/// dimension, then the data. Only unsigned bytes (type 0x08) are read: images as 3 dimensions
/// `[count, rows, columns]` (magic 0x00000803), labels as 1 (magic 0x00000801).
///
/// Files may be gzip-compressed; that is recognized by content (bytes `1f 8b`), not by name.
/// Offsets in the errors of a compressed file count bytes of its decompressed data.
public enum IDX {
    /// The magic number of an unsigned-byte image file.
    public static let imagesMagic: UInt32 = 0x0000_0803
    /// The magic number of an unsigned-byte label file.
    public static let labelsMagic: UInt32 = 0x0000_0801

    /// Reads an image file (`train-images-idx3-ubyte`, plain or gzip).
    /// - Throws: ``GlassboxError/fileAccess(path:reason:)`` when the file cannot be read;
    ///   ``GlassboxError/malformedFile(path:offset:reason:)`` for a wrong magic number, a zero
    ///   dimension, truncated or surplus pixel data, or corrupt gzip data.
    /// - Complexity: O(n) in the size of the file.
    public static func readImages(at url: URL) throws -> IDXImages {
        let (data, wasGzip) = try FileBytes.readMaybeGzip(url)
        let file = Contents(data: data, path: url.path, wasGzip: wasGzip)
        let dimensions = try file.dimensions(magic: imagesMagic, names: ["image count", "rows", "columns"])
        let pixels = try file.payload(dimensions: dimensions, what: "pixel data",
                                      summary: "\(dimensions[0]) images of \(dimensions[1])x\(dimensions[2])")
        return IDXImages(count: dimensions[0], rows: dimensions[1], columns: dimensions[2], pixels: pixels)
    }

    /// Reads a label file (`train-labels-idx1-ubyte`, plain or gzip): one byte per image.
    /// - Throws: As ``readImages(at:)``, for label data.
    /// - Complexity: O(n) in the size of the file.
    public static func readLabels(at url: URL) throws -> [UInt8] {
        let (data, wasGzip) = try FileBytes.readMaybeGzip(url)
        let file = Contents(data: data, path: url.path, wasGzip: wasGzip)
        let dimensions = try file.dimensions(magic: labelsMagic, names: ["label count"])
        return try file.payload(dimensions: dimensions, what: "label data", summary: "\(dimensions[0]) labels")
    }

    /// What a magic number announces, for error messages: "IDX unsigned-byte data, 3 dimensions".
    static func describe(magic: UInt32) -> String {
        guard magic >> 16 == 0 else { return "not an IDX file" }
        let types: [UInt32: String] = [0x08: "unsigned-byte", 0x09: "signed-byte", 0x0B: "16-bit integer",
                                       0x0C: "32-bit integer", 0x0D: "32-bit float", 0x0E: "64-bit float"]
        let dimensionCount = magic & 0xFF
        guard let type = types[(magic >> 8) & 0xFF] else { return "not an IDX file: unknown element type" }
        let kind = magic == imagesMagic ? "images" : magic == labelsMagic ? "labels" : "data"
        return "IDX \(type) \(kind), \(dimensionCount) dimension\(dimensionCount == 1 ? "" : "s")"
    }

    /// The decoded bytes of one IDX file and where they came from.
    private struct Contents {
        let data: Data
        let path: String
        let wasGzip: Bool

        /// Errors of a decompressed file say which bytes their offsets count.
        func malformed(at offset: Int, _ reason: String) -> GlassboxError {
            .malformedFile(path: path, offset: offset,
                           reason: reason + (wasGzip ? " (offsets count bytes of the decompressed data)" : ""))
        }

        /// Checks the magic number and returns the dimensions, each at least 1.
        func dimensions(magic expected: UInt32, names: [String]) throws -> [Int] {
            guard let magic = data.bigEndianUInt32(at: 0) else {
                throw malformed(at: 0, "truncated header: the file has \(data.count) bytes, too few for an IDX magic number")
            }
            guard magic == expected else {
                throw malformed(at: 0, "bad magic number \(hex32(magic)) (\(describe(magic: magic)))"
                                + ", expected \(hex32(expected)) (\(describe(magic: expected)))")
            }
            return try names.indices.map { index in
                let offset = 4 + 4 * index
                guard let size = data.bigEndianUInt32(at: offset) else {
                    throw malformed(at: offset, "truncated header: expected \(4 + 4 * names.count) header bytes, found \(data.count)")
                }
                guard size > 0 else { throw malformed(at: offset, "zero dimension: the header gives 0 for the \(names[index])") }
                return Int(size)
            }
        }

        /// The bytes after the header, which must be exactly the product of `dimensions`.
        func payload(dimensions: [Int], what: String, summary: String) throws -> [UInt8] {
            let start = 4 + 4 * dimensions.count
            let found = data.count - start
            var expected = 1, overflow = false
            for size in dimensions {
                let (product, overflowed) = expected.multipliedReportingOverflow(by: size)
                expected = product
                overflow = overflow || overflowed
            }
            guard !overflow, expected <= found else {
                let amount = overflow ? "more than \(Int.max)" : "\(expected)"
                throw malformed(at: start, "truncated \(what): expected \(amount) bytes of \(what) (\(summary)), found \(found)")
            }
            guard expected == found else {
                let surplus = found - expected
                throw malformed(at: start + expected,
                                "\(surplus) unexpected byte\(surplus == 1 ? "" : "s") after the \(what) (\(summary) end here)")
            }
            return [UInt8](data[(data.startIndex + start)...])
        }

        private func hex32(_ value: UInt32) -> String {
            let digits = String(value, radix: 16)
            return "0x" + String(repeating: "0", count: 8 - digits.count) + digits
        }
    }
}
