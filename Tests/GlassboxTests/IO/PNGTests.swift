import Foundation
import Glassbox
import XCTest

final class PNGTests: XCTestCase {
    private let image = GrayImage(width: 7, height: 5, pixels: (0 ..< 35).map { UInt8($0 * 7 % 256) })

    func testGrayRoundTrip() throws {
        let encoded = try PNG.encodeGray(image)
        XCTAssertEqual(Array(encoded.prefix(8)), IOFixtures.pngSignature)
        XCTAssertEqual(try PNG.decodeGray(encoded, path: "gray.png"), image)
    }

    func testEncodedChunksCarryCorrectCRCs() throws {
        let bytes = [UInt8](try PNG.encodeGray(image))
        var offset = 8
        var types: [String] = []
        while offset < bytes.count {
            let length = bytes[offset ..< offset + 4].reduce(0) { $0 << 8 | Int($1) }
            let typeAndData = Array(bytes[offset + 4 ..< offset + 8 + length])
            let stored = bytes[offset + 8 + length ..< offset + 12 + length].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            XCTAssertEqual(stored, IOFixtures.crc32(typeAndData))
            types.append(String(decoding: typeAndData.prefix(4), as: UTF8.self))
            offset += 12 + length
        }
        XCTAssertEqual(types, ["IHDR", "IDAT", "IEND"])
        XCTAssertEqual(Array(bytes[16 ..< 29]), IOFixtures.ihdr(width: 7, height: 5, colorType: 0))
    }

    func testRGBRoundTripBecomesLuma() throws {
        let colors: [[UInt8]] = [[255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 255, 255], [0, 0, 0], [10, 200, 30]]
        let encoded = try PNG.encodeRGB(width: 3, height: 2, rgb: colors.flatMap { $0 })
        let decoded = try PNG.decodeGray(encoded, path: "rgb.png")
        XCTAssertEqual(decoded.width, 3)
        XCTAssertEqual(decoded.height, 2)
        // 0.299 * 255 = 76.245, 0.587 * 255 = 149.685, 0.114 * 255 = 29.07,
        // 0.299 * 10 + 0.587 * 200 + 0.114 * 30 = 123.81.
        XCTAssertEqual(decoded.pixels, [76, 150, 29, 255, 0, 124])
    }

    func testEncodeRejectsWrongSampleCount() {
        assertThrowsGlassboxError(try PNG.encodeRGB(width: 2, height: 2, rgb: [1, 2, 3]),
                                  containing: ["PNG encode", "3 samples", "2x2"])
    }

    /// Every filter type on RGBA rows (where "left" is four bytes back) and on gray rows, with
    /// rows filtered here, independently of the decoder, and deflated and chunked by hand.
    func testDecodesEveryFilterType() throws {
        var random = SeededGenerator(seed: 2024)
        let filters: [UInt8] = [4, 2, 3, 1, 0, 4, 3, 2, 1]
        for (colorType, channels) in [(UInt8(6), 4), (UInt8(0), 1)] {
            let width = 5, height = filters.count
            let raw = (0 ..< width * height * channels).map { _ in UInt8.random(in: 0...255, using: &random) }
            let scanlines = filterRows(raw, rowBytes: width * channels, bytesPerPixel: channels, filters: filters)
            let file = IOFixtures.png(ihdr: IOFixtures.ihdr(width: width, height: height, colorType: colorType),
                                      idat: [UInt8](try Zlib.deflate(Data(scanlines))))
            let decoded = try PNG.decodeGray(file, path: "filtered.png")
            XCTAssertEqual(decoded.width, width)
            XCTAssertEqual(decoded.height, height)
            for pixel in 0 ..< width * height {
                let sample = raw[(pixel * channels) ..< ((pixel + 1) * channels)].map(Double.init)
                let expected = channels == 1 ? sample[0] : 0.299 * sample[0] + 0.587 * sample[1] + 0.114 * sample[2]
                XCTAssertLessThanOrEqual(abs(Double(decoded.pixels[pixel]) - expected), 0.5 + 1e-9,
                                         "color type \(colorType), pixel \(pixel)")
            }
        }
    }

    func testGrayAlphaDropsAlpha() throws {
        let scanlines: [UInt8] = [0, 10, 255, 20, 0, /* row 2 */ 0, 30, 128, 40, 7]
        let file = IOFixtures.png(ihdr: IOFixtures.ihdr(width: 2, height: 2, colorType: 4),
                                  idat: [UInt8](try Zlib.deflate(Data(scanlines))))
        XCTAssertEqual(try PNG.decodeGray(file, path: "ga.png"), GrayImage(width: 2, height: 2, pixels: [10, 20, 30, 40]))
    }

    func testBadCRC() throws {
        var encoded = try PNG.encodeGray(image)
        encoded[19] ^= 0x01  // the width's low byte, inside IHDR
        assertThrowsGlassboxError(try PNG.decodeGray(encoded, path: "/img/bad-crc.png"),
                                  containing: ["/img/bad-crc.png", "(at byte 8)", "CRC mismatch", "'IHDR'"])
    }

    func testBadSignature() throws {
        var encoded = try PNG.encodeGray(image)
        encoded[1] = UInt8(ascii: "Q")
        assertThrowsGlassboxError(try PNG.decodeGray(encoded, path: "sig.png"),
                                  containing: ["sig.png", "(at byte 0)", "bad signature", "89 51 4e 47"])
    }

    func testTruncated() throws {
        let encoded = try PNG.encodeGray(image)
        assertThrowsGlassboxError(try PNG.decodeGray(encoded.prefix(encoded.count - 20), path: "cut.png"),
                                  containing: ["cut.png", "(at byte 33)", "truncated chunk 'IDAT'"])
        assertThrowsGlassboxError(try PNG.decodeGray(encoded.prefix(encoded.count - 12), path: "cut.png"),
                                  containing: ["cut.png", "missing IEND"])
        assertThrowsGlassboxError(try PNG.decodeGray(encoded.prefix(12), path: "cut.png"),
                                  containing: ["cut.png", "(at byte 8)", "truncated chunk"])
    }

    func testInterlacedIsRefused() throws {
        let file = IOFixtures.png(ihdr: IOFixtures.ihdr(width: 2, height: 2, colorType: 0, interlace: 1), idat: [])
        assertThrowsGlassboxError(try PNG.decodeGray(file, path: "adam7.png"),
                                  containing: ["adam7.png", "interlaced PNG not supported"])
    }

    func testUnsupportedBitDepthAndColorType() throws {
        let deep = IOFixtures.png(ihdr: IOFixtures.ihdr(width: 2, height: 2, bitDepth: 16, colorType: 0), idat: [])
        assertThrowsGlassboxError(try PNG.decodeGray(deep, path: "deep.png"),
                                  containing: ["deep.png", "(at byte 24)", "unsupported bit depth 16"])
        let palette = IOFixtures.png(ihdr: IOFixtures.ihdr(width: 2, height: 2, colorType: 3), idat: [])
        assertThrowsGlassboxError(try PNG.decodeGray(palette, path: "palette.png"),
                                  containing: ["palette.png", "unsupported color type 3"])
    }

    func testMissingIHDRAndIDAT() throws {
        let signature = IOFixtures.pngSignature
        let noData = Data(signature + IOFixtures.pngChunk("IHDR", IOFixtures.ihdr(width: 1, height: 1, colorType: 0))
                          + IOFixtures.pngChunk("IEND", []))
        assertThrowsGlassboxError(try PNG.decodeGray(noData, path: "empty.png"), containing: ["empty.png", "missing IDAT"])
        let noHeader = Data(signature + IOFixtures.pngChunk("IDAT", [1, 2]) + IOFixtures.pngChunk("IEND", []))
        assertThrowsGlassboxError(try PNG.decodeGray(noHeader, path: "headless.png"),
                                  containing: ["headless.png", "missing IHDR", "'IDAT'"])
    }

    func testUnknownFilterTypeNamesTheRow() throws {
        let scanlines: [UInt8] = [0, 1, 2, /* row 1 */ 5, 3, 4]
        let file = IOFixtures.png(ihdr: IOFixtures.ihdr(width: 2, height: 2, colorType: 0),
                                  idat: [UInt8](try Zlib.deflate(Data(scanlines))))
        assertThrowsGlassboxError(try PNG.decodeGray(file, path: "filter.png"),
                                  containing: ["filter.png", "unknown filter type 5 on row 1"])
    }

    func testDecompressedSizeMismatch() throws {
        let header = IOFixtures.ihdr(width: 4, height: 4, colorType: 0)
        let short = IOFixtures.png(ihdr: header, idat: [UInt8](try Zlib.deflate(Data(repeating: 0, count: 15))))
        assertThrowsGlassboxError(try PNG.decodeGray(short, path: "short.png"),
                                  containing: ["short.png", "decompressed size mismatch", "expected 20", "found 15"])
        let long = IOFixtures.png(ihdr: header, idat: [UInt8](try Zlib.deflate(Data(repeating: 0, count: 25))))
        assertThrowsGlassboxError(try PNG.decodeGray(long, path: "long.png"),
                                  containing: ["long.png", "decompressed size mismatch", "found more"])
        // A lying header is refused before anything is inflated or allocated.
        let huge = IOFixtures.png(ihdr: IOFixtures.ihdr(width: 0x7FFF_FFFF, height: 0x7FFF_FFFF, colorType: 6),
                                  idat: [UInt8](try Zlib.deflate(Data(repeating: 0, count: 25))))
        assertThrowsGlassboxError(try PNG.decodeGray(huge, path: "huge.png"),
                                  containing: ["huge.png", "decompressed size mismatch"])
    }

    func testCorruptImageData() throws {
        let file = IOFixtures.png(ihdr: IOFixtures.ihdr(width: 2, height: 2, colorType: 0), idat: [0x78, 0x9c, 0xff, 0xff, 0xff])
        assertThrowsGlassboxError(try PNG.decodeGray(file, path: "zlib.png"), containing: ["zlib.png", "corrupt zlib data"])
    }

    /// PNG's filters (spec section 9.2) applied to raw rows: each byte minus its prediction from
    /// left (a), above (b) and above-left (c), modulo 256.
    private func filterRows(_ raw: [UInt8], rowBytes: Int, bytesPerPixel: Int, filters: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        for (row, filter) in filters.enumerated() {
            out.append(filter)
            for column in 0 ..< rowBytes {
                func at(_ r: Int, _ c: Int) -> Int { r < 0 || c < 0 ? 0 : Int(raw[r * rowBytes + c]) }
                let a = at(row, column - bytesPerPixel), b = at(row - 1, column), c = at(row - 1, column - bytesPerPixel)
                let prediction: Int
                switch filter {
                case 1: prediction = a
                case 2: prediction = b
                case 3: prediction = (a + b) >> 1
                case 4:
                    let p = a + b - c
                    let pa = abs(p - a), pb = abs(p - b), pc = abs(p - c)
                    prediction = pa <= pb && pa <= pc ? a : (pb <= pc ? b : c)
                default: prediction = 0
                }
                out.append(UInt8((Int(raw[row * rowBytes + column]) - prediction + 256) % 256))
            }
        }
        return out
    }
}
