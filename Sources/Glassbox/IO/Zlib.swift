import CZlib
import Foundation

/// Raw zlib streams (RFC 1950): the compressed image data of a PNG, and the engine under ``Gzip``.
///
/// All work goes through zlib's streaming API in bounded steps, so input of any size is fed in
/// pieces that fit zlib's 32-bit counters and output grows only as real data arrives.
public enum Zlib {
    /// The most bytes ``inflate(_:path:maxOutputBytes:)`` produces unless told otherwise: 4 GiB,
    /// far above any data set this package reads, low enough to stop a runaway stream.
    public static let defaultMaxOutputBytes = 1 << 32

    /// Decompresses one zlib stream (RFC 1950), as found in a PNG's concatenated IDAT chunks.
    ///
    /// Bytes after the end of the stream are ignored, as PNG decoders commonly do.
    /// - Parameters:
    ///   - data: The compressed stream.
    ///   - path: The file the stream came from, for error messages.
    ///   - maxOutputBytes: Decompressing past this many bytes is an error.
    /// - Returns: The decompressed bytes.
    /// - Throws: ``GlassboxError/malformedFile(path:offset:reason:)`` for a corrupt or truncated
    ///   stream (the offset is the byte of `data` where zlib stopped) or output past the limit.
    /// - Complexity: O(n) in the size of the output.
    public static func inflate(_ data: Data, path: String, maxOutputBytes: Int = defaultMaxOutputBytes) throws -> Data {
        let result = try inflateStream(data, format: .zlib, path: path, maxOutputBytes: maxOutputBytes)
        guard !result.exceededLimit else {
            throw GlassboxError.malformedFile(path: path, offset: nil,
                                              reason: "zlib data decompresses to more than \(maxOutputBytes) bytes")
        }
        return result.bytes
    }

    /// Compresses `data` into one zlib stream (RFC 1950) at zlib's default level.
    /// - Throws: ``GlassboxError/invalidArgument(operation:reason:)`` if zlib reports an error
    ///   (in practice only when it cannot allocate its state).
    /// - Complexity: O(n).
    public static func deflate(_ data: Data) throws -> Data {
        try deflateStream(data, format: .zlib)
    }

    /// The CRC-32 of `bytes` (ISO 3309, as PNG chunks and gzip trailers use), by zlib's `crc32`.
    static func crc32(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        var crc = CZlib.crc32(0, nil, 0)
        guard let base = bytes.baseAddress?.assumingMemoryBound(to: Bytef.self) else { return UInt32(crc) }
        var done = 0
        while done < bytes.count {
            let step = min(bytes.count - done, largestStep)
            crc = CZlib.crc32(crc, base + done, uInt(step))
            done += step
        }
        return UInt32(truncatingIfNeeded: crc)
    }

    /// The CRC-32 of a byte sequence (a `Data`, an array or a slice of one).
    static func crc32<Bytes: ContiguousBytes>(of bytes: Bytes) -> UInt32 {
        bytes.withUnsafeBytes { crc32($0) }
    }

    /// The container around a deflate stream: zlib's 2-byte header, gzip's (RFC 1952), or none
    /// (raw deflate, RFC 1951, as inside a zip archive).
    enum Format {
        case zlib
        case gzip
        case raw

        /// zlib's `windowBits`: 15 for a zlib header, 16 + 15 for a gzip header, -15 for none.
        var windowBits: Int32 {
            switch self {
            case .zlib: MAX_WBITS
            case .gzip: 16 + MAX_WBITS
            case .raw: -MAX_WBITS
            }
        }
        /// The name used in error messages.
        var name: String {
            switch self {
            case .zlib: "zlib"
            case .gzip: "gzip"
            case .raw: "deflate"
            }
        }
    }

    /// What ``inflateStream(_:format:path:maxOutputBytes:)`` produced.
    struct InflateResult {
        /// The decompressed bytes, at most `maxOutputBytes` of them.
        var bytes: Data
        /// True when the stream held more than `maxOutputBytes`; `bytes` is then cut short.
        var exceededLimit: Bool
    }

    /// Zlib's input and output counters are 32-bit; larger buffers go through in pieces.
    private static let largestStep = 1 << 30

    /// Inflates a zlib stream or a sequence of gzip members (as `gzip -d` accepts; zero padding
    /// after the last member is ignored, anything else after it is an error).
    static func inflateStream(_ data: Data, format: Format, path: String, maxOutputBytes: Int) throws -> InflateResult {
        var stream = z_stream()
        var status = inflateInit2_(&stream, format.windowBits, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else {
            throw GlassboxError.malformedFile(path: path, offset: nil,
                                              reason: "cannot start zlib inflate (status \(status)): \(message(stream))")
        }
        defer { inflateEnd(&stream) }

        // One byte past the limit tells a stream that ends exactly at the limit from a longer one.
        let capacity = maxOutputBytes == Int.max ? Int.max : max(0, maxOutputBytes) + 1
        var output = [UInt8](repeating: 0, count: min(capacity, max(1 << 16, min(data.count, Int.max / 8) * 4)))
        var produced = 0

        return try data.withUnsafeBytes { (input: UnsafeRawBufferPointer) -> InflateResult in
            let base = input.baseAddress?.assumingMemoryBound(to: Bytef.self)
            var fed = 0
            func offset() -> Int { fed - Int(stream.avail_in) }
            func corrupt(_ reason: String) -> GlassboxError {
                .malformedFile(path: path, offset: offset(), reason: "corrupt \(format.name) data: \(reason)")
            }

            while true {
                if stream.avail_in == 0 && fed < input.count, let base {
                    let step = min(input.count - fed, largestStep)
                    stream.next_in = UnsafeMutablePointer(mutating: base + fed)
                    stream.avail_in = uInt(step)
                    fed += step
                }
                if produced == output.count {
                    guard produced < capacity else {
                        return InflateResult(bytes: Data(output[..<(capacity - 1)]), exceededLimit: true)
                    }
                    let grown = min(capacity, max(output.count * 2, 1 << 16))
                    output.append(contentsOf: [UInt8](repeating: 0, count: grown - output.count))   // memset, not a per-element loop
                }
                let room = min(output.count - produced, largestStep)
                status = output.withUnsafeMutableBufferPointer { buffer -> Int32 in
                    stream.next_out = buffer.baseAddress! + produced
                    stream.avail_out = uInt(room)
                    return CZlib.inflate(&stream, Z_NO_FLUSH)
                }
                produced += room - Int(stream.avail_out)

                switch status {
                case Z_OK:
                    continue
                case Z_STREAM_END:
                    let rest = input[offset()...]
                    if format == .gzip, rest.count >= 2, rest[rest.startIndex] == 0x1f, rest[rest.startIndex + 1] == 0x8b {
                        inflateReset(&stream)  // another gzip member follows
                        continue
                    }
                    if format == .gzip, !rest.allSatisfy({ $0 == 0 }) {
                        throw corrupt("\(rest.count) bytes of trailing data after the end of the gzip stream")
                    }
                    output.removeSubrange(produced...)
                    return InflateResult(bytes: Data(output), exceededLimit: false)
                case Z_BUF_ERROR where stream.avail_in == 0 && fed == input.count:
                    throw corrupt("truncated: the data ends before the end of the compressed stream")
                case Z_BUF_ERROR:
                    continue  // no room for output; the next pass grows the buffer
                default:
                    throw corrupt("\(message(stream)) (zlib status \(status))")
                }
            }
        }
    }

    /// Deflates `data` at the default level into a zlib stream or a single gzip member.
    static func deflateStream(_ data: Data, format: Format) throws -> Data {
        var stream = z_stream()
        var status = deflateInit2_(&stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, format.windowBits, 8,
                                   Z_DEFAULT_STRATEGY, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else {
            throw GlassboxError.invalidArgument(operation: "\(format.name) compress",
                                                reason: "cannot start zlib deflate (status \(status)): \(message(stream))")
        }
        defer { deflateEnd(&stream) }

        var output = [UInt8](repeating: 0, count: 1 << 12)
        var produced = 0
        return try data.withUnsafeBytes { (input: UnsafeRawBufferPointer) -> Data in
            let base = input.baseAddress?.assumingMemoryBound(to: Bytef.self)
            var fed = 0
            while true {
                if stream.avail_in == 0 && fed < input.count, let base {
                    let step = min(input.count - fed, largestStep)
                    stream.next_in = UnsafeMutablePointer(mutating: base + fed)
                    stream.avail_in = uInt(step)
                    fed += step
                }
                if produced == output.count {
                    output.append(contentsOf: [UInt8](repeating: 0, count: output.count))
                }
                let room = min(output.count - produced, largestStep)
                let flush = fed == input.count ? Z_FINISH : Z_NO_FLUSH
                status = output.withUnsafeMutableBufferPointer { buffer -> Int32 in
                    stream.next_out = buffer.baseAddress! + produced
                    stream.avail_out = uInt(room)
                    return CZlib.deflate(&stream, flush)
                }
                produced += room - Int(stream.avail_out)
                switch status {
                case Z_STREAM_END:
                    return Data(output[..<produced])
                case Z_OK, Z_BUF_ERROR:
                    continue
                default:
                    throw GlassboxError.invalidArgument(operation: "\(format.name) compress",
                                                        reason: "\(message(stream)) (zlib status \(status))")
                }
            }
        }
    }

    /// zlib's last message for `stream`, or a generic one when it left none.
    private static func message(_ stream: z_stream) -> String {
        stream.msg.map { String(cString: $0) } ?? "no message from zlib"
    }
}
