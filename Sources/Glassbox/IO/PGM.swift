import Foundation

/// Netpbm's portable graymap (https://netpbm.sourceforge.net/doc/pgm.html): `P5` (binary) or
/// `P2` (ASCII decimal), a header of width, height and maxval separated by whitespace, with `#`
/// comments to the end of a line allowed between them.
///
/// Only maxval 1...255 (one byte per sample) is read; samples are scaled to 0...255,
/// `(v * 255 + maxval / 2) / maxval`, when maxval is not 255.
public enum PGM {
    /// Decodes a P5 or P2 file; bytes after the first image are ignored.
    /// - Parameters:
    ///   - data: The whole file.
    ///   - path: The file's path, for error messages.
    /// - Throws: ``GlassboxError/malformedFile(path:offset:reason:)`` for a wrong magic, a
    ///   malformed or zero width, height or maxval, maxval above 255, a sample above maxval, or
    ///   truncated pixel data, with the byte offset where the problem is.
    /// - Complexity: O(n) in the size of the file.
    public static func decode(_ data: Data, path: String) throws -> GrayImage {
        var reader = Reader(bytes: [UInt8](data), path: path)
        guard hasMagic(data) else {
            throw reader.error(at: 0, "not a PGM file: expected P5 or P2, found bytes \(FileBytes.hex(data.prefix(2)))")
        }
        let isBinary = reader.bytes[1] == UInt8(ascii: "5")
        reader.position = 2
        let width = try reader.headerNumber("width", limit: Int(Int32.max)).value
        let height = try reader.headerNumber("height", limit: Int(Int32.max)).value
        let (maxval, maxvalOffset) = try reader.headerNumber("maxval", limit: 65535)
        guard maxval <= 255 else {
            throw reader.error(at: maxvalOffset, "maxval \(maxval) is not supported: only 8-bit PGM (maxval 1...255) is read, not 16-bit")
        }
        let (count, overflow) = width.multipliedReportingOverflow(by: height)
        let remaining = reader.bytes.count - reader.position - 1
        // Every sample takes at least one byte, so a header that promises more than the file holds
        // is caught before anything is allocated.
        guard !overflow, count <= remaining else {
            throw reader.error(at: reader.position + 1, "truncated pixel data: \(width)x\(height) needs \(overflow ? "more than \(Int.max)" : "\(count)") samples"
                               + ", found \(max(0, remaining)) bytes")
        }
        var samples = [UInt8](repeating: 0, count: count)
        if isBinary {
            reader.position += 1  // the single whitespace byte that ends the header
            let start = reader.position
            for index in 0 ..< count {
                let value = reader.bytes[start + index]
                guard Int(value) <= maxval else {
                    throw reader.error(at: start + index, "sample \(value) exceeds maxval \(maxval)")
                }
                samples[index] = value
            }
        } else {
            for index in 0 ..< count {
                let (value, offset) = try reader.rasterNumber(index: index, of: count)
                guard value <= maxval else { throw reader.error(at: offset, "sample \(value) exceeds maxval \(maxval)") }
                samples[index] = UInt8(value)
            }
        }
        if maxval != 255 {
            samples = samples.map { UInt8((Int($0) * 255 + maxval / 2) / maxval) }
        }
        return GrayImage(width: width, height: height, pixels: samples)
    }

    /// Encodes `image` as binary PGM (P5, maxval 255).
    public static func encode(_ image: GrayImage) -> Data {
        var data = Data("P5\n\(image.width) \(image.height)\n255\n".utf8)
        data.append(contentsOf: image.pixels)
        return data
    }

    /// True when `data` starts with `P5` or `P2` followed by whitespace.
    static func hasMagic(_ data: Data) -> Bool {
        guard data.count >= 3, data[data.startIndex] == UInt8(ascii: "P") else { return false }
        let kind = data[data.startIndex + 1]
        return (kind == UInt8(ascii: "5") || kind == UInt8(ascii: "2")) && Reader.isSpace(data[data.startIndex + 2])
    }

    /// A cursor over the file's bytes that reads header tokens and ASCII samples.
    private struct Reader {
        let bytes: [UInt8]
        let path: String
        var position = 0

        func error(at offset: Int, _ reason: String) -> GlassboxError {
            .malformedFile(path: path, offset: offset, reason: reason)
        }

        static func isSpace(_ byte: UInt8) -> Bool {
            byte == 0x20 || (0x09...0x0D).contains(byte)
        }

        /// Skips whitespace and `#` comments (which run to the end of their line).
        mutating func skipSpaceAndComments() {
            while position < bytes.count {
                if Self.isSpace(bytes[position]) {
                    position += 1
                } else if bytes[position] == UInt8(ascii: "#") {
                    while position < bytes.count, bytes[position] != 0x0A, bytes[position] != 0x0D { position += 1 }
                } else {
                    return
                }
            }
        }

        /// A decimal number at `position`, at most `limit`; nil when there are no digits.
        mutating func number(limit: Int) -> (value: Int, tooLarge: Bool)? {
            let start = position
            var value = 0
            var tooLarge = false
            while position < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[position]) {
                value = value * 10 + Int(bytes[position] - UInt8(ascii: "0"))
                if value > limit { tooLarge = true; value = limit }
                position += 1
            }
            return position == start ? nil : (value, tooLarge)
        }

        /// A header field: a positive decimal number followed by whitespace, and its offset.
        mutating func headerNumber(_ name: String, limit: Int) throws -> (value: Int, offset: Int) {
            skipSpaceAndComments()
            let start = position
            guard position < bytes.count else {
                throw error(at: start, "truncated header: the file ends before the \(name)")
            }
            guard let (value, tooLarge) = number(limit: limit) else {
                throw error(at: start, "expected a decimal number for the \(name), found \(describe(bytes[start]))")
            }
            guard !tooLarge else { throw error(at: start, "\(name) is larger than \(limit)") }
            guard value > 0 else { throw error(at: start, "zero \(name)") }
            guard position < bytes.count else {
                throw error(at: position, "truncated header: the file ends after the \(name)")
            }
            guard Self.isSpace(bytes[position]) else {
                throw error(at: position, "expected whitespace after the \(name), found \(describe(bytes[position]))")
            }
            return (value, start)
        }

        /// The sample `index` of a P2 raster, and its offset.
        mutating func rasterNumber(index: Int, of count: Int) throws -> (value: Int, offset: Int) {
            skipSpaceAndComments()
            guard position < bytes.count else {
                throw error(at: position, "truncated pixel data: expected \(count) samples, found \(index)")
            }
            let start = position
            guard let (value, _) = number(limit: 65536) else {
                throw error(at: start, "expected a decimal sample, found \(describe(bytes[start]))")
            }
            return (value, start)
        }

        private func describe(_ byte: UInt8) -> String {
            (0x21...0x7E).contains(byte) ? "'\(Character(Unicode.Scalar(byte)))'" : "byte 0x\(FileBytes.hex([byte]))"
        }
    }
}
