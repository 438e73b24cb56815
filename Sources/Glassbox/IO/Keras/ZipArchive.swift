import Foundation

/// The entries of a zip archive (PKWARE's APPNOTE: end-of-central-directory record, central
/// directory, local headers), as a `.keras` file is. Entries are stored or deflated; ZIP64,
/// encryption, other compression methods and archives split over disks are refused.
///
/// Every size and offset is checked against the bytes actually there before it is used, and an
/// entry is inflated only up to the size its header claims (then its CRC-32 is checked), so an
/// archive that lies about a size gets an error naming the entry, never a large allocation.
struct ZipArchive {
    /// One file in the archive, from its central-directory record.
    struct Entry {
        var name: String
        var method: UInt16
        var crc32: UInt32
        var compressedSize: Int
        var size: Int
        var localHeaderOffset: Int
    }

    /// The archive's entries in central-directory order.
    let entries: [Entry]
    private let bytes: Data
    private let path: String

    /// The largest entry Glassbox inflates: 2 GiB, far above any model's weights.
    static let largestEntry = 1 << 31

    /// Reads the central directory of `data`; `path` names the file in errors.
    /// - Throws: ``GlassboxError/malformedFile(path:offset:reason:)`` naming what is wrong and where.
    init(_ data: Data, path: String) throws {
        self.bytes = data
        self.path = path
        let reader = ByteReader(data, path: path)
        // The end-of-central-directory record: 22 bytes plus a comment of at most 65,535.
        let earliest = max(0, data.count - 22 - 0xFFFF)
        guard data.count >= 22,
              let end = stride(from: data.count - 22, through: earliest, by: -1).first(where: { (try? reader.u32($0)) == 0x0605_4b50 }) else {
            throw GlassboxError.malformedFile(path: path, offset: nil, reason: "not a zip archive (no end-of-central-directory record)")
        }
        let disk = try reader.u16(end + 4), directoryDisk = try reader.u16(end + 6)
        let count = Int(try reader.u16(end + 10))
        let directorySize = Int(try reader.u32(end + 12)), directoryOffset = Int(try reader.u32(end + 16))
        guard disk == 0, directoryDisk == 0, Int(try reader.u16(end + 8)) == count else {
            throw GlassboxError.malformedFile(path: path, offset: end, reason: "zip archives split over several disks are not supported")
        }
        guard count != 0xFFFF, directorySize != 0xFFFF_FFFF, directoryOffset != 0xFFFF_FFFF else {
            throw GlassboxError.malformedFile(path: path, offset: end, reason: "ZIP64 archives are not supported")
        }
        guard directoryOffset <= end, directorySize <= end - directoryOffset else {
            throw GlassboxError.malformedFile(path: path, offset: end,
                reason: "the central directory (\(directorySize) bytes at offset \(directoryOffset)) lies outside the archive")
        }
        var entries: [Entry] = []
        var at = directoryOffset
        for index in 0..<count {
            guard try reader.u32(at) == 0x0201_4b50 else {
                throw GlassboxError.malformedFile(path: path, offset: at, reason: "central-directory record \(index) has a wrong signature")
            }
            let flags = try reader.u16(at + 8), method = try reader.u16(at + 10)
            let nameLength = Int(try reader.u16(at + 28)), extraLength = Int(try reader.u16(at + 30)), commentLength = Int(try reader.u16(at + 32))
            let name = String(decoding: try reader.bytes(at + 46, nameLength), as: UTF8.self)
            let entry = Entry(name: name, method: method, crc32: try reader.u32(at + 16),
                              compressedSize: Int(try reader.u32(at + 20)), size: Int(try reader.u32(at + 24)),
                              localHeaderOffset: Int(try reader.u32(at + 42)))
            guard flags & 1 == 0 else {
                throw GlassboxError.malformedFile(path: path, offset: at, reason: "entry '\(name)' is encrypted")
            }
            guard entry.compressedSize != 0xFFFF_FFFF, entry.size != 0xFFFF_FFFF, entry.localHeaderOffset != 0xFFFF_FFFF else {
                throw GlassboxError.malformedFile(path: path, offset: at, reason: "entry '\(name)' needs ZIP64, which is not supported")
            }
            entries.append(entry)
            at += 46 + nameLength + extraLength + commentLength
        }
        self.entries = entries
    }

    /// The bytes of the entry called `name`, or nil when the archive has none.
    /// - Throws: ``GlassboxError/malformedFile(path:offset:reason:)`` for an entry whose header,
    ///   sizes, compression or CRC-32 do not hold, naming the entry.
    func contents(of name: String) throws -> Data? {
        guard let entry = entries.first(where: { $0.name == name }) else { return nil }
        func bad(_ reason: String, at offset: Int? = entry.localHeaderOffset) -> GlassboxError {
            .malformedFile(path: path, offset: offset, reason: "zip entry '\(name)': \(reason)")
        }
        let reader = ByteReader(bytes, path: path)
        let at = entry.localHeaderOffset
        guard at <= bytes.count - 30, try reader.u32(at) == 0x0403_4b50 else {
            throw bad("no local header at offset \(at)")
        }
        let start = at + 30 + Int(try reader.u16(at + 26)) + Int(try reader.u16(at + 28))
        guard start <= bytes.count, entry.compressedSize <= bytes.count - start else {
            throw bad("its \(entry.compressedSize) compressed bytes at offset \(start) run past the end of the archive (\(bytes.count) bytes)")
        }
        guard entry.size <= Self.largestEntry else { throw bad("it claims \(entry.size) bytes, more than the \(Self.largestEntry) Glassbox reads") }
        let stored = bytes.subdata(in: bytes.startIndex + start..<bytes.startIndex + start + entry.compressedSize)
        let contents: Data
        switch entry.method {
        case 0:
            guard entry.compressedSize == entry.size else {
                throw bad("stored, but its sizes disagree (\(entry.compressedSize) stored bytes, \(entry.size) claimed)")
            }
            contents = stored
        case 8:
            let result = try Zlib.inflateStream(stored, format: .raw, path: "\(path) (zip entry '\(name)')", maxOutputBytes: entry.size)
            guard !result.exceededLimit, result.bytes.count == entry.size else {
                throw bad("inflates to \(result.exceededLimit ? "more than" : "\(result.bytes.count) bytes, not") \(entry.size) bytes as its header claims")
            }
            contents = result.bytes
        default:
            throw bad("compression method \(entry.method) is not supported (stored or deflate)")
        }
        guard Zlib.crc32(of: contents) == entry.crc32 else {
            throw bad("CRC-32 mismatch: the contents are corrupt")
        }
        return contents
    }
}

/// Little-endian integers at offsets of a byte buffer, each read checked against its end.
private struct ByteReader {
    let data: Data
    let path: String

    init(_ data: Data, path: String) {
        self.data = data
        self.path = path
    }

    func bytes(_ offset: Int, _ count: Int) throws -> Data {
        guard offset >= 0, count >= 0, offset <= data.count - count else {
            throw GlassboxError.malformedFile(path: path, offset: offset,
                reason: "truncated: \(count) bytes needed at offset \(offset) of a \(data.count)-byte zip archive")
        }
        return data.subdata(in: data.startIndex + offset..<data.startIndex + offset + count)
    }

    func u16(_ offset: Int) throws -> UInt16 {
        let b = try bytes(offset, 2)
        return UInt16(b[b.startIndex]) | UInt16(b[b.startIndex + 1]) << 8
    }

    func u32(_ offset: Int) throws -> UInt32 {
        let b = try bytes(offset, 4)
        return (0..<4).reduce(0) { $0 | UInt32(b[b.startIndex + $1]) << (8 * $1) }
    }
}
