import Foundation

extension PNG {
    /// Encodes an 8-bit RGB image (color type 2), for heatmaps.
    /// - Parameters:
    ///   - width: Columns, at least 1.
    ///   - height: Rows, at least 1.
    ///   - rgb: `width * height * 3` bytes, row-major, red, green, blue per pixel.
    /// - Throws: ``GlassboxError/invalidArgument(operation:reason:)`` when the sizes disagree.
    /// - Complexity: O(n) in the number of pixels.
    public static func encodeRGB(width: Int, height: Int, rgb: [UInt8]) throws -> Data {
        try encode(width: width, height: height, colorType: 2, channels: 3, samples: rgb)
    }

    /// Encodes a grayscale image (color type 0, bit depth 8).
    /// - Throws: ``GlassboxError/invalidArgument(operation:reason:)`` if zlib fails.
    /// - Complexity: O(n) in the number of pixels.
    public static func encodeGray(_ image: GrayImage) throws -> Data {
        try encode(width: image.width, height: image.height, colorType: 0, channels: 1, samples: image.pixels)
    }

    /// Signature, IHDR, one IDAT of unfiltered rows (filter type 0), IEND.
    private static func encode(width: Int, height: Int, colorType: UInt8, channels: Int, samples: [UInt8]) throws -> Data {
        guard (1...0x7FFF_FFFF).contains(width), (1...0x7FFF_FFFF).contains(height) else {
            throw GlassboxError.invalidArgument(operation: "PNG encode", reason: "image size \(width)x\(height): each side must be 1 to 2^31 - 1")
        }
        let rowBytes = width * channels
        let (count, overflow) = rowBytes.multipliedReportingOverflow(by: height)
        guard !overflow, samples.count == count else {
            throw GlassboxError.invalidArgument(operation: "PNG encode",
                                                reason: "\(samples.count) samples for \(width)x\(height) with \(channels) channels")
        }
        var scanlines = [UInt8]()
        scanlines.reserveCapacity(height * (rowBytes + 1))
        for row in 0 ..< height {
            scanlines.append(0)
            scanlines.append(contentsOf: samples[(row * rowBytes) ..< ((row + 1) * rowBytes)])
        }
        var header = Data()
        header.appendBigEndian(UInt32(width))
        header.appendBigEndian(UInt32(height))
        header.append(contentsOf: [8, colorType, 0, 0, 0])  // depth, color type, compression, filter, no interlace

        var file = Data(signature)
        file.appendChunk("IHDR", header)
        file.appendChunk("IDAT", try Zlib.deflate(Data(scanlines)))
        file.appendChunk("IEND", Data())
        return file
    }
}

extension Data {
    /// Appends `value` as four big-endian bytes.
    mutating func appendBigEndian(_ value: UInt32) {
        append(contentsOf: [UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)])
    }

    /// Appends one PNG chunk: length, type, data, and the CRC of type and data.
    mutating func appendChunk(_ type: String, _ data: Data) {
        precondition(type.utf8.count == 4, "a PNG chunk type has four letters")
        appendBigEndian(UInt32(data.count))
        let typeAndData = Data(type.utf8) + data
        append(typeAndData)
        appendBigEndian(Zlib.crc32(of: typeAndData))
    }
}
