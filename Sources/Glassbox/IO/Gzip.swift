import Foundation

/// Gzip files (RFC 1952), as the MNIST and Fashion-MNIST data sets are distributed.
public enum Gzip {
    /// True when `data` starts with gzip's magic bytes `1f 8b`. Content decides, not the file name.
    public static func isGzip(_ data: Data) -> Bool {
        data.count >= 2 && data[data.startIndex] == 0x1f && data[data.startIndex + 1] == 0x8b
    }

    /// Decompresses a gzip file; several concatenated members decompress to their concatenation,
    /// as `gzip -d` does.
    /// - Parameters:
    ///   - data: The whole file.
    ///   - path: The file's path, for error messages.
    ///   - maxOutputBytes: Decompressing past this many bytes is an error (default 4 GiB).
    /// - Returns: The decompressed bytes.
    /// - Throws: ``GlassboxError/malformedFile(path:offset:reason:)`` with "corrupt gzip data" and
    ///   zlib's message for a corrupt or truncated stream; the offset is the byte of the
    ///   compressed file where zlib stopped.
    /// - Complexity: O(n) in the size of the output.
    public static func decompress(_ data: Data, path: String, maxOutputBytes: Int = Zlib.defaultMaxOutputBytes) throws -> Data {
        guard isGzip(data) else {
            throw GlassboxError.malformedFile(path: path, offset: 0,
                                              reason: "corrupt gzip data: the file does not start with the gzip magic bytes 1f 8b")
        }
        let result = try Zlib.inflateStream(data, format: .gzip, path: path, maxOutputBytes: maxOutputBytes)
        guard !result.exceededLimit else {
            throw GlassboxError.malformedFile(path: path, offset: nil,
                                              reason: "gzip data decompresses to more than \(maxOutputBytes) bytes")
        }
        return result.bytes
    }

    /// Compresses `data` into a single-member gzip file (no file name, modification time 0, so
    /// the same input always gives the same bytes).
    /// - Throws: ``GlassboxError/invalidArgument(operation:reason:)`` if zlib reports an error.
    /// - Complexity: O(n).
    public static func compress(_ data: Data) throws -> Data {
        try Zlib.deflateStream(data, format: .gzip)
    }
}
