import Foundation
import Glassbox
import XCTest

final class GzipTests: XCTestCase {
    /// 200 KB of patterned bytes: larger than the first output buffer, so inflate must grow it.
    private let sample = Data((0 ..< 200_000).map { (index: Int) -> UInt8 in UInt8((index * 31 + index / 1000) % 251) })

    func testCompressDecompressRoundTrip() throws {
        let compressed = try Gzip.compress(sample)
        XCTAssertTrue(Gzip.isGzip(compressed))
        XCTAssertEqual(Array(compressed.prefix(3)), [0x1f, 0x8b, 0x08])
        XCTAssertLessThan(compressed.count, sample.count)
        XCTAssertEqual(try Gzip.decompress(compressed, path: "sample.gz"), sample)
    }

    func testCompressIsRepeatable() throws {
        XCTAssertEqual(try Gzip.compress(sample), try Gzip.compress(sample))
    }

    func testEmptyRoundTrip() throws {
        XCTAssertEqual(try Gzip.decompress(try Gzip.compress(Data()), path: "empty.gz"), Data())
    }

    func testConcatenatedMembersDecompressToConcatenation() throws {
        let first = Data("first member\n".utf8), second = Data("second member\n".utf8)
        let both = try Gzip.compress(first) + Gzip.compress(second)
        XCTAssertEqual(try Gzip.decompress(both, path: "two.gz"), first + second)
    }

    func testIsGzipByContent() {
        XCTAssertFalse(Gzip.isGzip(Data([0x1f])))
        XCTAssertFalse(Gzip.isGzip(Data([0x00, 0x00, 0x08, 0x03])))
        XCTAssertTrue(Gzip.isGzip(Data([0x1f, 0x8b])))
    }

    func testCorruptDataIsReported() throws {
        var corrupt = try Gzip.compress(sample)
        let middle = corrupt.count / 2
        for index in middle ..< middle + 16 { corrupt[index] ^= 0xA5 }
        assertThrowsGlassboxError(try Gzip.decompress(corrupt, path: "/data/sample.gz"),
                                  containing: ["/data/sample.gz", "corrupt gzip data"])
    }

    func testTruncatedDataIsReported() throws {
        let compressed = try Gzip.compress(sample)
        assertThrowsGlassboxError(try Gzip.decompress(compressed.prefix(compressed.count / 2), path: "cut.gz"),
                                  containing: ["cut.gz", "corrupt gzip data", "truncated"])
    }

    func testTrailingGarbageIsReported() throws {
        let compressed = try Gzip.compress(sample) + Data("garbage".utf8)
        assertThrowsGlassboxError(try Gzip.decompress(compressed, path: "tail.gz"),
                                  containing: ["tail.gz", "trailing data"])
    }

    func testOutputLimit() throws {
        let compressed = try Gzip.compress(sample)
        assertThrowsGlassboxError(try Gzip.decompress(compressed, path: "big.gz", maxOutputBytes: 1000),
                                  containing: ["big.gz", "more than 1000 bytes"])
        XCTAssertEqual(try Gzip.decompress(compressed, path: "exact.gz", maxOutputBytes: sample.count), sample)
    }

    func testZlibRoundTripAndCorruption() throws {
        let compressed = try Zlib.deflate(sample)
        XCTAssertEqual(compressed.first, 0x78)  // zlib header: deflate, 32 KiB window
        XCTAssertEqual(try Zlib.inflate(compressed, path: "image.png"), sample)
        var corrupt = compressed
        corrupt[0] = 0x00
        assertThrowsGlassboxError(try Zlib.inflate(corrupt, path: "image.png"),
                                  containing: ["image.png", "(at byte", "corrupt zlib data"])
    }
}
