import Foundation
import Glassbox
import XCTest

final class PGMTests: XCTestCase {
    func testP5RoundTrip() throws {
        let image = GrayImage(width: 4, height: 3, pixels: (0 ..< 12).map { UInt8($0 * 21) })
        let encoded = PGM.encode(image)
        XCTAssertTrue(encoded.starts(with: Data("P5\n4 3\n255\n".utf8)))
        XCTAssertEqual(try PGM.decode(encoded, path: "round.pgm"), image)
    }

    func testP5WithComments() throws {
        let file = Data("P5\n# written by hand\n3 # width\n2\n# maxval next\n255\n".utf8) + Data([0, 10, 20, 30, 40, 255])
        XCTAssertEqual(try PGM.decode(file, path: "commented.pgm"),
                       GrayImage(width: 3, height: 2, pixels: [0, 10, 20, 30, 40, 255]))
    }

    func testP2WithCommentAndScaledMaxval() throws {
        let file = Data("P2\n# an ASCII graymap\n3 2\n100\n0 50 100\n  25\n75 1\n".utf8)
        // v * 255 / 100 rounded: 0, 127.5 -> 128, 255, 63.75 -> 64, 191.25 -> 191, 2.55 -> 3.
        XCTAssertEqual(try PGM.decode(file, path: "ascii.pgm"),
                       GrayImage(width: 3, height: 2, pixels: [0, 128, 255, 64, 191, 3]))
    }

    func testTruncatedP5() throws {
        let file = Data("P5\n4 4\n255\n".utf8) + Data(repeating: 9, count: 10)
        assertThrowsGlassboxError(try PGM.decode(file, path: "/img/cut.pgm"),
                                  containing: ["/img/cut.pgm", "(at byte 11)", "truncated pixel data", "16", "found 10"])
    }

    func testTruncatedP2() {
        assertThrowsGlassboxError(try PGM.decode(Data("P2\n2 2\n255\n1 2 3".utf8), path: "cut2.pgm"),
                                  containing: ["cut2.pgm", "truncated pixel data", "expected 4 samples, found 3"])
    }

    func testSixteenBitMaxvalIsRefused() {
        assertThrowsGlassboxError(try PGM.decode(Data("P5\n1 1\n65535\n\0\0".utf8), path: "deep.pgm"),
                                  containing: ["deep.pgm", "(at byte 7)", "maxval 65535", "not supported"])
        assertThrowsGlassboxError(try PGM.decode(Data("P5\n1 1\n0\n\0".utf8), path: "zero.pgm"),
                                  containing: ["zero.pgm", "zero maxval"])
    }

    func testMalformedHeaderAndSamples() {
        assertThrowsGlassboxError(try PGM.decode(Data("P5\nx 2\n255\n".utf8), path: "word.pgm"),
                                  containing: ["word.pgm", "(at byte 3)", "decimal number for the width", "'x'"])
        assertThrowsGlassboxError(try PGM.decode(Data("P2\n2 1\n15\n3 16\n".utf8), path: "big.pgm"),
                                  containing: ["big.pgm", "(at byte 12)", "sample 16 exceeds maxval 15"])
        assertThrowsGlassboxError(try PGM.decode(Data("P6\n1 1\n255\n\0\0\0".utf8), path: "color.ppm"),
                                  containing: ["color.ppm", "not a PGM file"])
        assertThrowsGlassboxError(try PGM.decode(Data("P5\n1".utf8), path: "stub.pgm"),
                                  containing: ["stub.pgm", "truncated header"])
    }
}
