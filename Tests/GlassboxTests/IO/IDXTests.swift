import Foundation
import Glassbox
import XCTest

final class IDXTests: XCTestCase {
    private let pixels = IOFixtures.pixelPattern(count: 3, rows: 4, columns: 5)

    func testReadsPlainAndGzippedImages() throws {
        let folder = try IOFixtures.temporaryFolder(self)
        let data = IOFixtures.idxImages(count: 3, rows: 4, columns: 5, pixels: pixels)
        let plain = folder.appendingPathComponent("images-idx3-ubyte")
        // A compressed file without the .gz suffix: gzip is recognized by content.
        let gzipped = folder.appendingPathComponent("images-compressed")
        try data.write(to: plain)
        try Gzip.compress(data).write(to: gzipped)

        for url in [plain, gzipped] {
            let images = try IDX.readImages(at: url)
            XCTAssertEqual(images.count, 3)
            XCTAssertEqual(images.rows, 4)
            XCTAssertEqual(images.columns, 5)
            XCTAssertEqual(images.pixels, pixels)
        }
    }

    func testReadsPlainAndGzippedLabels() throws {
        let folder = try IOFixtures.temporaryFolder(self)
        let labels: [UInt8] = [9, 0, 0, 3, 0, 2, 7]
        let plain = folder.appendingPathComponent("labels-idx1-ubyte")
        let gzipped = folder.appendingPathComponent("labels-idx1-ubyte.gz")
        try IOFixtures.idxLabels(labels).write(to: plain)
        try Gzip.compress(IOFixtures.idxLabels(labels)).write(to: gzipped)
        XCTAssertEqual(try IDX.readLabels(at: plain), labels)
        XCTAssertEqual(try IDX.readLabels(at: gzipped), labels)
    }

    func testBadMagicNamesFoundAndExpected() throws {
        let folder = try IOFixtures.temporaryFolder(self)
        let url = folder.appendingPathComponent("train-images-idx3-ubyte")
        // A label file where images are expected.
        try IOFixtures.idxLabels([1, 2, 3]).write(to: url)
        assertThrowsGlassboxError(try IDX.readImages(at: url),
                                  containing: ["train-images-idx3-ubyte", "(at byte 0)", "bad magic number",
                                               "0x00000801", "expected 0x00000803"])
        try Data("hello, world".utf8).write(to: url)
        assertThrowsGlassboxError(try IDX.readImages(at: url),
                                  containing: ["train-images-idx3-ubyte", "bad magic number 0x68656c6c", "not an IDX file"])
    }

    func testTruncatedPixelData() throws {
        let folder = try IOFixtures.temporaryFolder(self)
        let url = folder.appendingPathComponent("train-images-idx3-ubyte")
        try IOFixtures.idxImages(count: 3, rows: 4, columns: 5, pixels: Array(pixels.prefix(50))).write(to: url)
        assertThrowsGlassboxError(try IDX.readImages(at: url),
                                  containing: ["train-images-idx3-ubyte", "(at byte 16)", "truncated pixel data",
                                               "expected 60 bytes", "found 50"])
    }

    func testTruncatedPixelDataInGzipSaysOffsetsAreDecompressed() throws {
        let folder = try IOFixtures.temporaryFolder(self)
        let url = folder.appendingPathComponent("train-images-idx3-ubyte.gz")
        try Gzip.compress(IOFixtures.idxImages(count: 3, rows: 4, columns: 5, pixels: [1, 2])).write(to: url)
        assertThrowsGlassboxError(try IDX.readImages(at: url),
                                  containing: ["train-images-idx3-ubyte.gz", "(at byte 16)", "truncated pixel data",
                                               "found 2", "decompressed"])
    }

    func testLyingHeaderDoesNotAllocate() throws {
        let folder = try IOFixtures.temporaryFolder(self)
        let url = folder.appendingPathComponent("huge-idx3-ubyte")
        try IOFixtures.idxImages(count: 0xFFFF_FFFF, rows: 0xFFFF_FFFF, columns: 0xFFFF_FFFF, pixels: [0]).write(to: url)
        assertThrowsGlassboxError(try IDX.readImages(at: url), containing: ["huge-idx3-ubyte", "truncated pixel data", "expected more than", "found 1"])
    }

    func testTruncatedHeader() throws {
        let folder = try IOFixtures.temporaryFolder(self)
        let url = folder.appendingPathComponent("short-idx3-ubyte")
        try Data([0, 0, 8, 3, 0, 0, 0, 1, 0, 0]).write(to: url)
        assertThrowsGlassboxError(try IDX.readImages(at: url), containing: ["short-idx3-ubyte", "truncated header"])
        try Data([0, 0]).write(to: url)
        assertThrowsGlassboxError(try IDX.readImages(at: url), containing: ["short-idx3-ubyte", "truncated header"])
    }

    func testTruncatedLabels() throws {
        let folder = try IOFixtures.temporaryFolder(self)
        let url = folder.appendingPathComponent("train-labels-idx1-ubyte")
        try IOFixtures.idxLabels([1, 2, 3], count: 10).write(to: url)
        assertThrowsGlassboxError(try IDX.readLabels(at: url),
                                  containing: ["train-labels-idx1-ubyte", "(at byte 8)", "truncated label data",
                                               "expected 10 bytes", "found 3"])
    }

    func testSurplusBytesAreReported() throws {
        let folder = try IOFixtures.temporaryFolder(self)
        let url = folder.appendingPathComponent("train-labels-idx1-ubyte")
        try IOFixtures.idxLabels([1, 2, 3, 4], count: 3).write(to: url)
        assertThrowsGlassboxError(try IDX.readLabels(at: url),
                                  containing: ["train-labels-idx1-ubyte", "(at byte 11)", "1 unexpected byte after the label data"])
    }

    func testZeroDimension() throws {
        let folder = try IOFixtures.temporaryFolder(self)
        let url = folder.appendingPathComponent("t10k-images-idx3-ubyte")
        try IOFixtures.idxImages(count: 2, rows: 0, columns: 5, pixels: []).write(to: url)
        assertThrowsGlassboxError(try IDX.readImages(at: url),
                                  containing: ["t10k-images-idx3-ubyte", "(at byte 8)", "zero dimension", "rows"])
        try IOFixtures.idxLabels([], count: 0).write(to: url)
        assertThrowsGlassboxError(try IDX.readLabels(at: url),
                                  containing: ["t10k-images-idx3-ubyte", "(at byte 4)", "zero dimension", "label count"])
    }

    func testCorruptGzip() throws {
        let folder = try IOFixtures.temporaryFolder(self)
        let url = folder.appendingPathComponent("train-images-idx3-ubyte.gz")
        var generator = SeededGenerator(seed: 5)
        let random = (0 ..< 3 * 28 * 28).map { _ in UInt8.random(in: 0...255, using: &generator) }
        var compressed = try Gzip.compress(IOFixtures.idxImages(count: 3, rows: 28, columns: 28, pixels: random))
        let middle = compressed.count / 2
        for index in middle ..< middle + 8 { compressed[index] = ~compressed[index] }
        try compressed.write(to: url)
        assertThrowsGlassboxError(try IDX.readImages(at: url),
                                  containing: ["train-images-idx3-ubyte.gz", "corrupt gzip data"])
    }

    func testMissingFile() {
        let url = URL(fileURLWithPath: "/nonexistent/glassbox/train-labels-idx1-ubyte")
        assertThrowsGlassboxError(try IDX.readLabels(at: url),
                                  containing: ["/nonexistent/glassbox/train-labels-idx1-ubyte", "no such file"])
    }
}
