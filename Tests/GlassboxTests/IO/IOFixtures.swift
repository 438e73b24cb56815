import Foundation
import Glassbox
import XCTest

/// Small files for the IO tests, built byte by byte so each test states exactly what it feeds in.
enum IOFixtures {
    /// A fresh empty folder under the system's temporary folder; the test removes it on teardown.
    static func temporaryFolder(_ testCase: XCTestCase, name: String = "glassbox-io") throws -> URL {
        let folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("\(name)-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        testCase.addTeardownBlock { try? FileManager.default.removeItem(at: folder) }
        return folder
    }

    /// Big-endian bytes of `value`.
    static func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)]
    }

    /// An IDX image file: magic 0x00000803, count, rows, columns, pixels.
    static func idxImages(count: Int, rows: Int, columns: Int, pixels: [UInt8], magic: UInt32 = 0x0803) -> Data {
        Data(bigEndian(magic) + bigEndian(UInt32(count)) + bigEndian(UInt32(rows)) + bigEndian(UInt32(columns)) + pixels)
    }

    /// An IDX label file: magic 0x00000801, count, labels.
    static func idxLabels(_ labels: [UInt8], count: Int? = nil, magic: UInt32 = 0x0801) -> Data {
        Data(bigEndian(magic) + bigEndian(UInt32(count ?? labels.count)) + labels)
    }

    /// `count` images of `rows` x `columns` whose pixel `i` of image `n` is `(n * 7 + i) % 256`.
    static func pixelPattern(count: Int, rows: Int, columns: Int) -> [UInt8] {
        (0 ..< count * rows * columns).map { index in UInt8((index / (rows * columns) * 7 + index) % 256) }
    }

    /// Writes the four files of an MNIST-style folder; `gzip` compresses each and adds `.gz`.
    /// - Returns: Each file's URL by its stem: "train-images", "train-labels", "t10k-images", "t10k-labels".
    @discardableResult
    static func writeDataset(in folder: URL, trainLabels: [UInt8], testLabels: [UInt8],
                             rows: Int = 4, columns: Int = 3, testRows: Int? = nil, gzip: Bool = false,
                             separator: String = "-") throws -> [String: URL] {
        let testRows = testRows ?? rows
        let files: [(stem: String, kind: String, data: Data)] = [
            ("train-images", "idx3-ubyte",
             idxImages(count: trainLabels.count, rows: rows, columns: columns,
                       pixels: pixelPattern(count: trainLabels.count, rows: rows, columns: columns))),
            ("train-labels", "idx1-ubyte", idxLabels(trainLabels)),
            ("t10k-images", "idx3-ubyte",
             idxImages(count: testLabels.count, rows: testRows, columns: columns,
                       pixels: pixelPattern(count: testLabels.count, rows: testRows, columns: columns))),
            ("t10k-labels", "idx1-ubyte", idxLabels(testLabels)),
        ]
        var urls: [String: URL] = [:]
        for file in files {
            let url = folder.appendingPathComponent(file.stem + separator + file.kind + (gzip ? ".gz" : ""))
            try (gzip ? try Gzip.compress(file.data) : file.data).write(to: url)
            urls[file.stem] = url
        }
        return urls
    }

    /// A PNG chunk written independently of the library: length, type, data, CRC-32 of type + data.
    static func pngChunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        let typeAndData = Array(type.utf8) + data
        return bigEndian(UInt32(data.count)) + typeAndData + bigEndian(crc32(typeAndData))
    }

    /// The PNG signature.
    static let pngSignature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    /// IHDR data: width, height, bit depth, color type, compression 0, filter 0, interlace.
    static func ihdr(width: Int, height: Int, bitDepth: UInt8 = 8, colorType: UInt8, interlace: UInt8 = 0) -> [UInt8] {
        bigEndian(UInt32(width)) + bigEndian(UInt32(height)) + [bitDepth, colorType, 0, 0, interlace]
    }

    /// A whole PNG file from IHDR data and already-compressed image data.
    static func png(ihdr: [UInt8], idat: [UInt8]) -> Data {
        Data(pngSignature + pngChunk("IHDR", ihdr) + pngChunk("IDAT", idat) + pngChunk("IEND", []))
    }

    /// CRC-32 (ISO 3309, reflected polynomial 0xEDB88320), bit by bit: an independent check of
    /// the table-driven zlib routine the library uses.
    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0 ..< 8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }
}

/// Asserts that `expression` throws a ``GlassboxError`` whose description contains every one of
/// `fragments` (the file name, the offset, the key words of the problem).
func assertThrowsGlassboxError<T>(_ expression: @autoclosure () throws -> T, containing fragments: [String],
                                  file: StaticString = #filePath, line: UInt = #line) {
    do {
        _ = try expression()
        XCTFail("expected an error containing \(fragments), got a result", file: file, line: line)
    } catch let error as GlassboxError {
        let description = error.description
        for fragment in fragments where !description.contains(fragment) {
            XCTFail("error \"\(description)\" does not contain \"\(fragment)\"", file: file, line: line)
        }
    } catch {
        XCTFail("expected a GlassboxError, got \(error)", file: file, line: line)
    }
}
