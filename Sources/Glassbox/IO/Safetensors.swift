import Foundation

/// The safetensors format (Hugging Face): an 8-byte little-endian header length, a JSON header
/// naming each tensor's dtype, shape and byte range in the data section, then the data.
/// Glassbox reads and writes float32 (`F32`) tensors and the string-to-string `__metadata__`.
public struct Safetensors: Equatable {
    /// One tensor: its shape and its values, row-major.
    public struct Entry: Equatable {
        public var shape: [Int]
        public var values: [Float]
        public init(shape: [Int], values: [Float]) { self.shape = shape; self.values = values }
    }

    /// The largest header accepted: 100 MB, as Hugging Face's reader.
    public static let maximumHeaderBytes: UInt64 = 100_000_000

    public var tensors: [String: Entry]
    public var metadata: [String: String]

    public init(tensors: [String: Entry] = [:], metadata: [String: String] = [:]) {
        self.tensors = tensors
        self.metadata = metadata
    }

    /// Reads a file.
    /// - Throws: ``GlassboxError/malformedFile(path:offset:reason:)`` naming what is wrong and
    ///   where, or ``GlassboxError/fileAccess(path:reason:)``.
    public static func read(from url: URL) throws -> Safetensors {
        try decode(try FileBytes.read(url), path: url.path)
    }

    /// Parses the bytes of a file; `path` only names it in errors.
    public static func decode(_ data: Data, path: String) throws -> Safetensors {
        func malformed(_ offset: Int?, _ reason: String) -> GlassboxError { .malformedFile(path: path, offset: offset, reason: reason) }
        let bytes = [UInt8](data)
        guard bytes.count >= 8 else { throw malformed(0, "file of \(bytes.count) bytes is too short for a safetensors header") }
        var headerLength: UInt64 = 0
        for i in 0..<8 { headerLength |= UInt64(bytes[i]) << (8 * UInt64(i)) }
        guard headerLength >= 2, headerLength <= UInt64(bytes.count - 8) else {
            throw malformed(0, "header length \(headerLength) does not fit in a file of \(bytes.count) bytes")
        }
        // The format's own limit (Hugging Face's reader refuses larger headers too).
        guard headerLength <= Self.maximumHeaderBytes else {
            throw malformed(0, "header length \(headerLength) is more than the \(Self.maximumHeaderBytes) bytes a safetensors header may have")
        }
        let dataStart = 8 + Int(headerLength)
        let json: Any
        do {
            json = try JSONSerialization.jsonObject(with: Data(bytes[8..<dataStart]))
        } catch {
            throw malformed(8, "header is not valid JSON: \(error.localizedDescription)")
        }
        guard let header = json as? [String: Any] else { throw malformed(8, "header is not a JSON object") }
        var result = Safetensors()
        var ranges: [(begin: Int, end: Int, name: String)] = []
        let dataLength = bytes.count - dataStart
        for (name, value) in header {
            if name == "__metadata__" {
                guard let metadata = value as? [String: Any] else { throw malformed(8, "__metadata__ is not an object") }
                for (key, item) in metadata {
                    guard let text = item as? String else { throw malformed(8, "__metadata__ value of '\(key)' is not a string") }
                    result.metadata[key] = text
                }
                continue
            }
            guard let entry = value as? [String: Any] else { throw malformed(8, "tensor '\(name)': entry is not an object") }
            guard let dtype = entry["dtype"] as? String else { throw malformed(8, "tensor '\(name)': no dtype") }
            guard dtype == "F32" else { throw malformed(8, "tensor '\(name)': dtype \(dtype) is not supported (only F32)") }
            guard let shapeValues = entry["shape"] as? [Any], let shape = Self.integers(shapeValues), shape.allSatisfy({ $0 >= 0 }) else {
                throw malformed(8, "tensor '\(name)': shape is not a list of non-negative integers")
            }
            guard let offsetValues = entry["data_offsets"] as? [Any], let offsets = Self.integers(offsetValues), offsets.count == 2,
                  offsets[0] >= 0, offsets[0] <= offsets[1] else {
                throw malformed(8, "tensor '\(name)': data_offsets is not a pair [begin, end] with begin <= end")
            }
            guard offsets[1] <= dataLength else {
                throw malformed(dataStart + offsets[0],
                                "tensor '\(name)': data [\(offsets[0]), \(offsets[1])) runs past the end of the data section (\(dataLength) bytes; file truncated?)")
            }
            var count = shape.contains(0) ? 0 : 1   // an empty tensor holds nothing, whatever its other sizes
            for dimension in shape where count > 0 {
                let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
                guard !overflow, product <= dataLength / 4 + 1 else { throw malformed(8, "tensor '\(name)': shape \(shape) is too large") }
                count = product
            }
            guard offsets[1] - offsets[0] == count * 4 else {
                throw malformed(dataStart + offsets[0],
                                "tensor '\(name)': shape \(shape) needs \(count * 4) bytes, data_offsets give \(offsets[1] - offsets[0])")
            }
            var values = [Float](repeating: 0, count: count)
            let start = dataStart + offsets[0]
            for i in 0..<count {
                let b = start + 4 * i
                let bits = UInt32(bytes[b]) | UInt32(bytes[b + 1]) << 8 | UInt32(bytes[b + 2]) << 16 | UInt32(bytes[b + 3]) << 24
                values[i] = Float(bitPattern: bits)
            }
            result.tensors[name] = Entry(shape: shape, values: values)
            if count > 0 { ranges.append((offsets[0], offsets[1], name)) }
        }
        // Each byte belongs to one tensor (the format's rule): overlapping ranges would make two
        // tensors alias, which no writer does and which hides a damaged header.
        ranges.sort { $0.begin < $1.begin }
        for (previous, next) in zip(ranges, ranges.dropFirst()) where next.begin < previous.end {
            throw malformed(dataStart + next.begin,
                            "tensors '\(previous.name)' [\(previous.begin), \(previous.end)) and '\(next.name)' [\(next.begin), \(next.end)) overlap in the data section")
        }
        // ... and the tensors lie back to back from the start: a gap means a damaged header.
        // (Bytes after the last tensor are tolerated, as padding.)
        var covered = 0
        for range in ranges {
            guard range.begin == covered else {
                throw malformed(dataStart + covered, "data bytes [\(covered), \(range.begin)) belong to no tensor (before '\(range.name)')")
            }
            covered = range.end
        }
        return result
    }

    /// The file's bytes: tensors sorted by name and packed in that order, little-endian float32.
    public func encode() throws -> Data {
        var header: [String: Any] = [:]
        var offset = 0
        let names = tensors.keys.sorted()
        for name in names {
            let entry = tensors[name]!
            guard entry.shape.allSatisfy({ $0 >= 0 }) else {
                throw GlassboxError.invalidShape(entry.shape, reason: "safetensors tensor '\(name)' has a negative dimension")
            }
            let count = entry.shape.reduce(1, *)
            guard count == entry.values.count else {
                throw GlassboxError.shapeMismatch(operation: "safetensors tensor '\(name)'",
                                                  expected: "\(entry.shape) (\(count) values)", actual: [entry.values.count])
            }
            header[name] = ["dtype": "F32", "shape": entry.shape, "data_offsets": [offset, offset + 4 * count]] as [String: Any]
            offset += 4 * count
        }
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        // Pad the header with spaces so the data starts 8-byte aligned, as the reference writer does.
        while (8 + json.count) % 8 != 0 { json.append(0x20) }
        var data = Data(capacity: 8 + json.count + offset)
        var length = UInt64(json.count).littleEndian
        withUnsafeBytes(of: &length) { data.append(contentsOf: $0) }
        data.append(json)
        for name in names {
            tensors[name]!.values.withUnsafeBufferPointer { values in
                var littleEndian = values.map { $0.bitPattern.littleEndian }
                littleEndian.withUnsafeMutableBytes { data.append(contentsOf: $0) }
            }
        }
        return data
    }

    /// Writes the file atomically (see ``AtomicFile``).
    public func write(to url: URL) throws {
        try AtomicFile.write(try encode(), to: url)
    }

    private static func integers(_ values: [Any]) -> [Int]? {
        var result: [Int] = []
        for value in values {
            guard let number = value as? NSNumber, number.doubleValue == number.doubleValue.rounded(),
                  abs(number.doubleValue) < 1e15 else { return nil }
            result.append(number.intValue)
        }
        return result
    }
}
