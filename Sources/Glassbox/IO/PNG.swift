import Foundation

/// Reading PNG files (ISO/IEC 15948, https://www.w3.org/TR/png/) as 8-bit grayscale.
///
/// Accepted: bit depth 8, not interlaced, color type 0 (gray), 2 (RGB), 4 (gray + alpha) or
/// 6 (RGBA). Color becomes gray by the Rec. 601 luma `0.299 R + 0.587 G + 0.114 B`, rounded;
/// alpha is dropped. Ancillary chunks (gamma, text, ...) are skipped; every chunk's CRC is
/// checked. Writing is in `PNG+Encode.swift`, scanline filters in `PNG+Filters.swift`.
public enum PNG {
    /// The eight bytes every PNG starts with (PNG spec, section 5.2).
    static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    /// Deflate expands at most about 1032-fold, so image data larger than this multiple of its
    /// compressed size cannot be there; a lying IHDR is rejected before anything is inflated.
    private static let maxDeflateRatio = 1100

    /// True when `data` starts with the PNG signature.
    static func hasSignature(_ data: Data) -> Bool {
        data.count >= signature.count && data.prefix(signature.count).elementsEqual(signature)
    }

    /// Decodes a PNG file to gray.
    /// - Parameters:
    ///   - data: The whole file.
    ///   - path: The file's path, for error messages.
    /// - Returns: The image, converted to gray when it is in color.
    /// - Throws: ``GlassboxError/malformedFile(path:offset:reason:)`` for a bad signature, a CRC
    ///   mismatch or truncated chunk (naming the chunk and its offset), a missing IHDR, IDAT or
    ///   IEND, an unsupported bit depth, color type or interlacing, corrupt compressed data, a
    ///   decompressed size that does not fit the IHDR, or an unknown filter type (naming the row).
    /// - Complexity: O(n) in the number of pixels.
    public static func decodeGray(_ data: Data, path: String) throws -> GrayImage {
        let (ihdr, samples) = try decodeSamples(data, path: path)
        return GrayImage(width: ihdr.width, height: ihdr.height, pixels: gray(samples, colorType: ihdr.colorType))
    }

    /// Decodes a PNG file to RGB: colour as stored, gray repeated in the three channels, alpha
    /// dropped (Keras's `color_mode="rgb"`).
    /// - Returns: the width, height and `width * height * 3` bytes, row-major, RGB per pixel.
    /// - Throws: what ``decodeGray(_:path:)`` throws.
    public static func decodeRGB(_ data: Data, path: String) throws -> (width: Int, height: Int, rgb: [UInt8]) {
        let (ihdr, samples) = try decodeSamples(data, path: path)
        let rgb: [UInt8]
        switch ihdr.colorType {
        case 2: rgb = samples
        case 6: rgb = stride(from: 0, to: samples.count, by: 4).flatMap { samples[$0..<($0 + 3)] }
        case 4: rgb = stride(from: 0, to: samples.count, by: 2).flatMap { [samples[$0], samples[$0], samples[$0]] }
        default: rgb = samples.flatMap { [$0, $0, $0] }
        }
        return (ihdr.width, ihdr.height, rgb)
    }

    /// Whether the file stores colour (RGB or RGBA), from its header alone.
    static func isColor(_ data: Data, path: String) throws -> Bool {
        guard hasSignature(data) else { return false }
        let chunks = try readChunks(data, path: path)
        guard let header = chunks.first, header.type == "IHDR" else { return false }
        return [2, 6].contains(try Header(header, path: path).colorType)
    }

    /// The header and the unfiltered samples of every row.
    private static func decodeSamples(_ data: Data, path: String) throws -> (Header, [UInt8]) {
        func malformed(_ offset: Int?, _ reason: String) -> GlassboxError {
            .malformedFile(path: path, offset: offset, reason: reason)
        }
        guard hasSignature(data) else {
            throw malformed(0, "not a PNG file: bad signature \(FileBytes.hex(data.prefix(8))), expected \(FileBytes.hex(signature))")
        }
        let chunks = try readChunks(data, path: path)
        guard let header = chunks.first, header.type == "IHDR" else {
            throw malformed(chunks.first?.offset ?? signature.count,
                            "missing IHDR chunk: the first chunk is \(chunks.first.map { "'\($0.type)'" } ?? "absent")")
        }
        let ihdr = try Header(header, path: path)
        let compressed = chunks.filter { $0.type == "IDAT" }.reduce(into: Data()) { $0.append($1.data) }
        guard !compressed.isEmpty else { throw malformed(nil, "missing IDAT chunk: the file has no image data") }

        let rowBytes = ihdr.width * ihdr.channels  // width <= 2^31 - 1, channels <= 4: no overflow
        let (expected, overflow) = ihdr.height.multipliedReportingOverflow(by: rowBytes + 1)
        guard !overflow, expected / maxDeflateRatio <= compressed.count else {
            throw malformed(nil, "decompressed size mismatch: a \(ihdr.width)x\(ihdr.height) image needs "
                            + "\(overflow ? "more than \(Int.max)" : "\(expected)") bytes of scanlines, more than "
                            + "\(compressed.count) compressed bytes can hold")
        }
        let inflated = try Zlib.inflateStream(compressed, format: .zlib, path: path, maxOutputBytes: expected)
        guard !inflated.exceededLimit, inflated.bytes.count == expected else {
            throw malformed(nil, "decompressed size mismatch: expected \(expected) bytes of scanlines for "
                            + "\(ihdr.width)x\(ihdr.height) (color type \(ihdr.colorType)), found "
                            + (inflated.exceededLimit ? "more" : "\(inflated.bytes.count)"))
        }
        let samples = try unfilter([UInt8](inflated.bytes), rows: ihdr.height, rowBytes: rowBytes,
                                   bytesPerPixel: ihdr.channels, path: path)
        return (ihdr, samples)
    }

    /// One chunk: its type, its data and the offset of its length field.
    struct Chunk {
        let type: String
        let data: Data
        let offset: Int
    }

    /// The chunks up to and including IEND, each with its CRC checked.
    static func readChunks(_ data: Data, path: String) throws -> [Chunk] {
        var chunks: [Chunk] = []
        var offset = signature.count
        while true {
            guard offset < data.count else {
                throw GlassboxError.malformedFile(path: path, offset: offset, reason: "missing IEND chunk: the file ends after \(chunks.count) chunks (truncated?)")
            }
            guard let length = data.bigEndianUInt32(at: offset), let typeCode = data.bigEndianUInt32(at: offset + 4) else {
                throw GlassboxError.malformedFile(path: path, offset: offset, reason: "truncated chunk: \(data.count - offset) bytes left, a chunk header needs 8")
            }
            let typeBytes = data[(data.startIndex + offset + 4) ..< (data.startIndex + offset + 8)]
            guard typeBytes.allSatisfy({ (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0) }) else {
                throw GlassboxError.malformedFile(path: path, offset: offset + 4, reason: "invalid chunk type bytes \(FileBytes.hex(typeBytes))")
            }
            let type = String(decoding: typeBytes, as: UTF8.self)
            let available = data.count - offset - 12
            guard length <= 0x7FFF_FFFF, Int(length) <= available else {
                throw GlassboxError.malformedFile(path: path, offset: offset,
                    reason: "truncated chunk '\(type)': it declares \(length) data bytes, the file holds \(max(0, available)) more before the CRC")
            }
            let dataStart = data.startIndex + offset + 8
            let chunkData = data[dataStart ..< dataStart + Int(length)]
            let storedCRC = data.bigEndianUInt32(at: offset + 8 + Int(length)) ?? 0
            let computedCRC = Zlib.crc32(of: data[(dataStart - 4) ..< (dataStart + Int(length))])
            guard storedCRC == computedCRC else {
                throw GlassboxError.malformedFile(path: path, offset: offset,
                    reason: "CRC mismatch in chunk '\(type)': stored 0x\(String(storedCRC, radix: 16)), computed 0x\(String(computedCRC, radix: 16))")
            }
            // A critical chunk (uppercase first letter) we do not know changes how pixels decode.
            let isCritical = typeCode & 0x2000_0000 == 0
            if isCritical, !["IHDR", "PLTE", "IDAT", "IEND"].contains(type) {
                throw GlassboxError.malformedFile(path: path, offset: offset, reason: "unknown critical chunk '\(type)'")
            }
            chunks.append(Chunk(type: type, data: Data(chunkData), offset: offset))
            offset += 12 + Int(length)
            if type == "IEND" { return chunks }
        }
    }

    /// The fields of IHDR that decoding needs, checked.
    struct Header {
        let width: Int
        let height: Int
        let colorType: UInt8
        /// Samples per pixel, which at 8 bits is also the filters' bytes per pixel.
        let channels: Int

        init(_ chunk: Chunk, path: String) throws {
            func malformed(_ fieldOffset: Int, _ reason: String) -> GlassboxError {
                .malformedFile(path: path, offset: chunk.offset + 8 + fieldOffset, reason: reason)
            }
            let fields = chunk.data
            guard fields.count == 13, let width = fields.bigEndianUInt32(at: 0), let height = fields.bigEndianUInt32(at: 4),
                  let bitDepth = fields.byte(at: 8), let colorType = fields.byte(at: 9),
                  let compression = fields.byte(at: 10), let filter = fields.byte(at: 11), let interlace = fields.byte(at: 12) else {
                throw malformed(0, "IHDR has \(fields.count) bytes, expected 13")
            }
            guard width >= 1, height >= 1, width <= 0x7FFF_FFFF, height <= 0x7FFF_FFFF else {
                throw malformed(0, "invalid image size \(width)x\(height): each side must be 1 to 2^31 - 1")
            }
            let channelsByColorType: [UInt8: Int] = [0: 1, 2: 3, 4: 2, 6: 4]
            guard let channels = channelsByColorType[colorType] else {
                let name = colorType == 3 ? " (palette)" : ""
                throw malformed(9, "unsupported color type \(colorType)\(name): only 0 (gray), 2 (RGB), 4 (gray+alpha) and 6 (RGBA) are read")
            }
            guard bitDepth == 8 else {
                throw malformed(8, "unsupported bit depth \(bitDepth): only 8-bit PNG is read")
            }
            guard compression == 0, filter == 0 else {
                throw malformed(10, "unknown compression method \(compression) or filter method \(filter): both must be 0")
            }
            guard interlace == 0 else {
                throw malformed(12, interlace == 1 ? "interlaced PNG not supported (Adam7): save it without interlacing"
                                                   : "unknown interlace method \(interlace)")
            }
            self.width = Int(width)
            self.height = Int(height)
            self.colorType = colorType
            self.channels = channels
        }
    }

    /// Unfiltered samples to one gray byte per pixel.
    static func gray(_ samples: [UInt8], colorType: UInt8) -> [UInt8] {
        func luma(_ red: UInt8, _ green: UInt8, _ blue: UInt8) -> UInt8 {
            // Rec. 601 weights in thousandths; + 500 rounds half up. At most 255.
            let weighted: Int = 299 * Int(red) + 587 * Int(green) + 114 * Int(blue)
            return UInt8((weighted + 500) / 1000)
        }
        switch colorType {
        case 2: return stride(from: 0, to: samples.count, by: 3).map { luma(samples[$0], samples[$0 + 1], samples[$0 + 2]) }
        case 4: return stride(from: 0, to: samples.count, by: 2).map { samples[$0] }
        case 6: return stride(from: 0, to: samples.count, by: 4).map { luma(samples[$0], samples[$0 + 1], samples[$0 + 2]) }
        default: return samples
        }
    }
}
