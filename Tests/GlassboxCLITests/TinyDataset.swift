import Foundation
import XCTest

/// A tiny MNIST-style data set written by hand (32 training and 16 test images of 28x28), and a
/// model trained on it by the built binary: what the CLI tests run the commands on.
enum TinyDataset {
    static let trainCount = 32
    static let testCount = 16

    /// Image `index`'s label: 0...9 in turn, the test set shifted by 3 (so neither begins like
    /// MNIST or Fashion-MNIST, whose class names would then be assumed).
    static func label(_ index: Int, test: Bool) -> UInt8 { UInt8((index + (test ? 3 : 0)) % 10) }

    /// A 28x28 image of class `label`: faint noise and a bright 6x4 bar whose place is the class.
    static func image(label: UInt8, noiseSeed: Int) -> [UInt8] {
        var state = UInt32(truncatingIfNeeded: noiseSeed &* 2_654_435_761 &+ 1)
        var pixels = (0..<784).map { _ -> UInt8 in
            state = state &* 1_664_525 &+ 1_013_904_223
            return UInt8(state >> 26)   // 0...63
        }
        let top = Int(label / 5) * 12 + 4, left = Int(label % 5) * 5 + 2
        for row in top..<(top + 6) { for column in left..<(left + 4) { pixels[row * 28 + column] = 255 } }
        return pixels
    }

    /// Image `index` of the training (`test: false`) or test set, as written to the IDX file.
    static func image(_ index: Int, test: Bool) -> [UInt8] {
        image(label: label(index, test: test), noiseSeed: index + (test ? 1000 : 0))
    }

    static func bigEndian(_ value: Int) -> [UInt8] { (0..<4).map { UInt8((value >> (24 - 8 * $0)) & 0xFF) } }

    static func imageFile(count: Int, test: Bool) -> [UInt8] {
        bigEndian(0x0803) + bigEndian(count) + bigEndian(28) + bigEndian(28) + (0..<count).flatMap { image($0, test: test) }
    }

    static func labelFile(count: Int, test: Bool) -> [UInt8] {
        bigEndian(0x0801) + bigEndian(count) + (0..<count).map { label($0, test: test) }
    }

    /// A gzip file (RFC 1952) of stored, uncompressed deflate blocks (RFC 1951, 3.2.4), built by
    /// hand so the test needs neither zlib nor the library to make it.
    static func gzipStored(_ bytes: [UInt8]) -> Data {
        var out: [UInt8] = [0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 0xFF]
        var offset = 0
        repeat {
            let length = min(65_535, bytes.count - offset)
            let isLast: UInt8 = offset + length == bytes.count ? 1 : 0
            out += [isLast, UInt8(length & 0xFF), UInt8(length >> 8), UInt8(~length & 0xFF), UInt8((~length >> 8) & 0xFF)]
            out += bytes[offset..<(offset + length)]
            offset += length
        } while offset < bytes.count
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        let trailer = [~crc, UInt32(truncatingIfNeeded: bytes.count)].flatMap { value in (0..<4).map { UInt8((value >> (8 * $0)) & 0xFF) } }
        return Data(out + trailer)
    }

    /// The four files of an MNIST-style folder; the training images gzip-compressed.
    static func write(in folder: URL) throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try gzipStored(imageFile(count: trainCount, test: false)).write(to: folder.appendingPathComponent("train-images-idx3-ubyte.gz"))
        try Data(labelFile(count: trainCount, test: false)).write(to: folder.appendingPathComponent("train-labels-idx1-ubyte"))
        try Data(imageFile(count: testCount, test: true)).write(to: folder.appendingPathComponent("t10k-images-idx3-ubyte"))
        try Data(labelFile(count: testCount, test: true)).write(to: folder.appendingPathComponent("t10k-labels-idx1-ubyte"))
    }

    static func pgm(width: Int, height: Int, pixels: [UInt8]) -> Data {
        Data(Array("P5\n\(width) \(height)\n255\n".utf8) + pixels)
    }

    /// A folder under the temporary directory, new for each call.
    static func newFolder() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("glassbox-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }
}

/// The data set in a fresh folder and a model trained on it for one epoch by `glassbox train` on
/// the CPU reference (deterministic): training is the slow part, so a test class makes one and
/// shares it among its tests.
struct TrainedModel {
    let folder: URL
    let data: URL
    let model: URL
    let result: GlassboxBinary.Result

    static func make() throws -> TrainedModel {
        let folder = try TinyDataset.newFolder()
        let data = folder.appendingPathComponent("data")
        try TinyDataset.write(in: data)
        let model = folder.appendingPathComponent("model.safetensors")
        let result = try GlassboxBinary.run(["train", "--data", data.path, "--epochs", "1", "--batch-size", "16",
                                             "--out", model.path, "--device", "cpu"])
        return TrainedModel(folder: folder, data: data, model: model, result: result)
    }
}

/// A test class whose tests share one model trained by the binary (made on first use, removed
/// when the class's tests are done): training is the slow part of the CLI tests.
class TrainedModelTestCase: XCTestCase {
    struct Failure: Error, CustomStringConvertible { let description: String }

    nonisolated(unsafe) private static var models: [ObjectIdentifier: TrainedModel] = [:]

    /// The shared model; an error (not a cascade of failures) when training failed.
    func trainedModel() throws -> TrainedModel {
        let key = ObjectIdentifier(type(of: self))
        if Self.models[key] == nil { Self.models[key] = try TrainedModel.make() }
        let trained = Self.models[key]!
        guard trained.result.status == 0 else { throw Failure(description: "training the shared model failed:\n\(trained.result.transcript)") }
        return trained
    }

    override class func tearDown() {
        if let trained = models.removeValue(forKey: ObjectIdentifier(self)) { try? FileManager.default.removeItem(at: trained.folder) }
        super.tearDown()
    }
}

extension XCTestCase {
    /// A fresh folder, removed when the test ends.
    func temporaryFolder() throws -> URL {
        let folder = try TinyDataset.newFolder()
        addTeardownBlock { try? FileManager.default.removeItem(at: folder) }
        return folder
    }

    /// A non-zero exit whose stderr contains every fragment.
    func assertFails(_ result: GlassboxBinary.Result, naming fragments: [String], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertNotEqual(result.status, 0, result.transcript, file: file, line: line)
        for fragment in fragments where !result.standardError.contains(fragment) {
            XCTFail("stderr does not name \"\(fragment)\":\n\(result.transcript)", file: file, line: line)
        }
    }
}
