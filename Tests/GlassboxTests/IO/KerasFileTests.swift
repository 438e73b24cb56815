import Foundation
@testable import Glassbox
import GlassboxTestSupport
import XCTest

/// `.keras` files (Keras 3's `model.save`, written by `bench/onnx_fixtures.py`): imported, they
/// predict what Keras predicted; damaged archives and HDF5 files are refused by name.
final class KerasFileTests: XCTestCase {
    /// A Sequential CNN (strides, same padding, batch normalisation, dropout) and the residual
    /// example (a Functional graph with an Add) read from their zip and HDF5 files.
    func testKerasFilesPredictLikeKeras() throws {
        for name in ["keras-cnn", "keras-residual"] {
            let model = try KerasFile.model(from: ImportFixtures.url("\(name).keras"))
            try assertPredictsLikeItsFramework(model, name)
        }
        let residual = try KerasFile.model(from: ImportFixtures.url("keras-residual.keras"))
        XCTAssertFalse(residual.isChain)
        XCTAssertEqual(residual.layerNames.first, "conv2d_1", "the layers keep their Keras names")
    }

    /// The seed's functional model holds a Lambda: refused, with the advice to go through ONNX.
    func testLambdaIsRefusedWithTheAdviceToExportToONNX() throws {
        XCTAssertThrowsError(try KerasFile.model(from: ImportFixtures.url("keras-seed.keras"))) {
            XCTAssertTrue("\($0)".contains("'lambda' (Lambda)") && "\($0)".contains("export the model to ONNX"), "\($0)")
        }
    }

    func testKerasGroupNamesFollowKerasSnakeCase() {
        XCTAssertEqual(["Conv2D", "MaxPooling2D", "BatchNormalization", "GlobalAveragePooling2D", "InputLayer", "ReLU", "Dense"].map(KerasFile.snakeCase),
                       ["conv2d", "max_pooling2d", "batch_normalization", "global_average_pooling2d", "input_layer", "re_lu", "dense"])
    }

    /// What a damaged `.keras` file gets: an error naming the file and what is wrong.
    func testDamagedArchivesAreRefusedByName() throws {
        let data = try Data(contentsOf: ImportFixtures.url("keras-cnn.keras"))
        func refused(_ bytes: Data, _ expected: String, _ label: String, line: UInt = #line) {
            XCTAssertThrowsError(try KerasFile.model(bytes, path: "\(label).keras"), line: line) {
                XCTAssertTrue("\($0)".contains("\(label).keras") && "\($0)".contains(expected), "\(label): \($0)", line: line)
            }
        }
        refused(Data("not a zip".utf8), "not a zip archive", "junk")
        refused(data.prefix(data.count - 30), "not a zip archive", "cut")
        let archive = try ZipArchive(data, path: "x")
        let weights = try XCTUnwrap(archive.entries.first { $0.name == "model.weights.h5" })
        let config = try XCTUnwrap(archive.entries.first { $0.name == "config.json" })
        // The central directory's claimed size of the weights, far larger than the file.
        var lying = data
        let directory = try XCTUnwrap(lying.range(of: Data("model.weights.h5".utf8), options: .backwards)).lowerBound - 46
        lying.replaceSubrange(directory + 20..<directory + 28, with: [0x00, 0x00, 0x00, 0x7f, 0x00, 0x00, 0x00, 0x7f])
        refused(lying, "run past the end of the archive", "lying")
        // A flipped byte inside the stored weights: the CRC-32 catches it.
        var flipped = data
        flipped[weights.localHeaderOffset + 30 + weights.name.utf8.count + 900] ^= 0xff
        refused(flipped, "CRC-32 mismatch", "flipped")
        // The weights entry replaced by bytes that are not HDF5 (same size, CRC fixed up).
        var notHDF5 = data
        let start = weights.localHeaderOffset + 30 + weights.name.utf8.count
        let junk = Data((0..<weights.size).map { UInt8(truncatingIfNeeded: $0 &* 7) })
        notHDF5.replaceSubrange(start..<start + weights.size, with: junk)
        let crc = Zlib.crc32(of: junk)
        for offset in [weights.localHeaderOffset + 14, directory + 16] {
            notHDF5.replaceSubrange(offset..<offset + 4, with: (0..<4).map { UInt8(truncatingIfNeeded: crc >> (8 * $0)) })
        }
        refused(notHDF5, "not an HDF5 file", "nothdf5")
        // A config.json whose layer has another shape than the weights.
        let text = String(decoding: try XCTUnwrap(try archive.contents(of: "config.json")), as: UTF8.self)
        XCTAssertTrue(text.contains("\"filters\": 6"))
        XCTAssertEqual(config.method, 0)
        let other = try ZipWriterForTests.archive([("config.json", Data(text.replacingOccurrences(of: "\"filters\": 6", with: "\"filters\": 5").utf8)),
                                                   ("model.weights.h5", try XCTUnwrap(try archive.contents(of: "model.weights.h5")))], deflate: true)
        refused(other, "has shape [3, 3, 1, 6], the layer needs [3, 3, 1, 5]", "shape")
        let missing = try ZipWriterForTests.archive([("config.json", Data(text.utf8))], deflate: false)
        refused(missing, "no model.weights.h5 in the archive", "missing")
    }

    /// A deflated archive (as `zip` writes by default) reads like a stored one.
    func testDeflatedArchiveReadsLikeAStoredOne() throws {
        let data = try Data(contentsOf: ImportFixtures.url("keras-cnn.keras"))
        let archive = try ZipArchive(data, path: "stored")
        let deflated = try ZipWriterForTests.archive(try archive.entries.map { ($0.name, try XCTUnwrap(try archive.contents(of: $0.name))) }, deflate: true)
        XCTAssertLessThan(deflated.count, data.count)
        let pixels = Array(try ImportFixtures.images().prefix(16 * 784))
        XCTAssertEqual(try KerasFile.model(deflated, path: "deflated.keras").predict(pixels, backend: CPUBackend()),
                       try KerasFile.model(data, path: "stored.keras").predict(pixels, backend: CPUBackend()))
    }
}

/// A minimal zip writer for the tests: entries stored or deflated, one central directory.
enum ZipWriterForTests {
    static func archive(_ entries: [(String, Data)], deflate: Bool) throws -> Data {
        func u16(_ v: Int) -> [UInt8] { [UInt8(v & 0xff), UInt8(v >> 8 & 0xff)] }
        func u32(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }
        var out = Data(), directory = Data()
        for (name, contents) in entries {
            // Zlib.deflate writes a zlib stream: its 2-byte header and 4-byte trailer framed raw deflate.
            let stored = deflate ? try Zlib.deflate(contents).dropFirst(2).dropLast(4) : contents
            let crc = Zlib.crc32(of: contents)
            let common = u16(20) + u16(0) + u16(deflate ? 8 : 0) + u16(0) + u16(0) + u32(crc)
                + u32(UInt32(stored.count)) + u32(UInt32(contents.count)) + u16(name.utf8.count) + u16(0)
            directory += u32(0x0201_4b50) + u16(20) + common + u16(0) + u16(0) + u16(0) + u32(0) + u32(UInt32(out.count)) + Array(name.utf8)
            out += u32(0x0403_4b50) + common + Array(name.utf8)
            out += stored
        }
        let offset = out.count
        out += directory
        out += u32(0x0605_4b50) + u16(0) + u16(0) + u16(entries.count) + u16(entries.count) + u32(UInt32(directory.count)) + u32(UInt32(offset)) + u16(0)
        return out
    }
}
