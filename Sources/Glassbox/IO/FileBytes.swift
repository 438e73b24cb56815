import Foundation

/// Reading whole files and big-endian fields, with errors that name the file.
enum FileBytes {
    /// The contents of the file at `url`.
    /// - Throws: ``GlassboxError/fileAccess(path:reason:)`` when it is missing, not a regular file
    ///   (a folder, FIFO, device or socket; symlinks are followed), or unreadable.
    static func read(_ url: URL) throws -> Data {
        try FileStatus.requireRegularFile(url.path)
        do {
            return try Data(contentsOf: url)
        } catch {
            throw GlassboxError.fileAccess(path: url.path, reason: "cannot read: \(error.localizedDescription)")
        }
    }

    /// The contents of `url`, decompressed when they start with gzip's magic bytes.
    /// - Returns: The bytes and whether they were gzip-compressed (offsets in later error
    ///   messages then count bytes of the decompressed data).
    static func readMaybeGzip(_ url: URL) throws -> (bytes: Data, wasGzip: Bool) {
        let raw = try read(url)
        guard Gzip.isGzip(raw) else { return (raw, false) }
        return (try Gzip.decompress(raw, path: url.path), true)
    }

    /// `bytes` as hexadecimal pairs, `1f 8b 08`, for messages about magic numbers and signatures.
    static func hex<Bytes: Collection>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        bytes.map { byte in
            let digits = String(byte, radix: 16)
            return digits.count == 1 ? "0" + digits : digits
        }.joined(separator: " ")
    }
}

extension Data {
    /// The big-endian 32-bit integer at `offset` bytes from the start, or nil past the end.
    func bigEndianUInt32(at offset: Int) -> UInt32? {
        guard offset >= 0, offset <= count - 4 else { return nil }
        let start = startIndex + offset
        return self[start ..< start + 4].reduce(0) { ($0 << 8) | UInt32($1) }
    }

    /// The byte at `offset` bytes from the start, or nil past the end.
    func byte(at offset: Int) -> UInt8? {
        guard offset >= 0, offset < count else { return nil }
        return self[startIndex + offset]
    }
}
